/**
 * The coordinator's decisions, pure: membership (Registry) drives scheduling
 * (Scheduler). A node that registers or recovers takes work; a node that
 * drains has its shards revoked and becomes LEFT once it holds none; a node
 * that is DOWN or LEFT has its remainder handed on.
 *
 * The shell (coordinator.ts) and the simulator (test/sim) both call
 * collect() after feeding inputs, then persist what it returns before they
 * publish events or send anything.
 */
import type { Effects, MemberRecord, Registry } from './registry';
import type { Scheduler, SchedulerEffects, ShardProgressDomain } from './scheduler';

export interface ControlEffects {
  membership: Effects;
  scheduled: SchedulerEffects;
}

export class ControlPlane {
  /** Nodes draining: LEFT once they hold no shard. */
  private readonly draining = new Set<string>();

  constructor(
    readonly registry: Registry,
    readonly scheduler: Scheduler,
  ) {}

  /** After both cores loaded their state: live nodes take work again, draining ones keep draining. */
  loaded(records: Iterable<MemberRecord>): void {
    for (const record of records) {
      if (record.kind !== 'NODE') continue;
      if (record.state === 'ALIVE' || record.state === 'SUSPECT') this.scheduler.nodeUp(record.key, record.capacityWeight);
      if (record.state === 'DRAINING') {
        this.scheduler.nodeDraining(record.key);
        this.draining.add(record.key);
      }
    }
  }

  /** Advance failure detection and scheduling to the clock's time. */
  tick(): void {
    this.registry.tick();
    this.scheduler.tick();
  }

  /** Progress carried by a liveness packet whose lease was renewed. */
  progress(nodeKey: string, reports: readonly ShardProgressDomain[]): void {
    for (const report of reports) this.scheduler.progress(nodeKey, report);
  }

  /** Everything decided since the last call, membership and scheduling together. */
  collect(): ControlEffects {
    const membership = this.registry.takeEffects();
    for (const event of membership.events) {
      const m = event.member;
      if (m.kind !== 'NODE') continue;
      if (event.type === 'REGISTERED' || event.type === 'RECOVERED') this.scheduler.nodeUp(m.key, m.capacityWeight);
      else if (event.type === 'DRAINING') {
        this.scheduler.nodeDraining(m.key);
        this.draining.add(m.key);
      } else if (event.type === 'DOWN' || event.type === 'LEFT') {
        this.scheduler.nodeGone(m.key);
        this.draining.delete(m.key);
      }
    }
    for (const key of this.draining) {
      if (this.scheduler.ownedBy(key) > 0) continue;
      this.draining.delete(key);
      this.registry.finishDrain(key);
      const more = this.registry.takeEffects();
      membership.persist.push(...more.persist);
      membership.events.push(...more.events);
      membership.send.push(...more.send);
      this.scheduler.nodeGone(key);
    }
    // A membership change can free or need capacity: schedule at once rather than at the next tick.
    if (membership.events.length > 0) this.scheduler.tick();
    return { membership, scheduled: this.scheduler.takeEffects() };
  }
}

export function isEmpty(effects: ControlEffects): boolean {
  const { membership: m, scheduled: s } = effects;
  return m.persist.length === 0 && m.events.length === 0 && m.send.length === 0 && s.persist.length === 0 && s.send.length === 0 && s.changed.size === 0 && s.purged.length === 0;
}
