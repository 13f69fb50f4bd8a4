/**
 * The coordinator's shell: owns the store, the registry core, the watch hub
 * and the routes (direct sessions and relay links) that reach members.
 *
 * Every change goes through commit(): the core's effects are persisted
 * first, then events are published and messages sent — in order.
 */
import type { Logger } from '../shared/log';
import type { KvStore } from '../shared/store/store';
import { prefixEnd } from '../shared/store/store';
import {
  KEY_MEMBER,
  KEY_META_REVISION,
  Registry,
  type Clock,
  type MemberRecord,
  type MembershipEvent,
  type Outbound,
  type RegistryConfig,
  type RouteId,
} from './core/registry';
import { WatchHub } from './watch-hub';
import { ControlPlane, isEmpty, type ControlEffects } from './core/control';
import {
  KEY_BROADCAST,
  KEY_SHARD,
  Scheduler,
  shardKey,
  type ShardProgressDomain,
  type BroadcastMeta,
  type SchedulerConfig,
  type SchedulerSend,
  type Shard,
} from './core/scheduler';
import type { SessionMessage } from '../shared/generated/relaycast/v1/SessionMessage';

/** Where messages for members on one route go: a direct session or a relay link. */
export interface RouteSink {
  /** Registry decisions: lease lost, session superseded. */
  deliver(outbound: Outbound): void;
  /** Orders and revokes for the member `key`. */
  send(key: string, message: SessionMessage): void;
}

export interface CoordinatorOptions {
  registry: RegistryConfig;
  scheduler: SchedulerConfig;
  /** The address nodes use to read audience pages (ShardData). */
  dataAddress: string;
  failureCheckIntervalMs: number;
  watchBufferEventsMax: number;
}

/** What one commit made durable and published, for observers such as the metrics. */
export interface Applied {
  events: readonly MembershipEvent[];
  /** DOWN → reassignment orders sent, in ms, one per takeover in this commit. */
  takeoverLatenciesMs: readonly number[];
}

export class Coordinator {
  private applying: Promise<void> = Promise.resolve();
  private readonly routes = new Map<RouteId, RouteSink>();
  private ticker: NodeJS.Timeout | undefined;
  private routeSeq = 0;
  /** Counters for GetStatus and benchmarks. */
  readonly stats = { livenessPackets: 0, relayedLivenessPackets: 0, relayBatches: 0, startedMs: 0 };
  private closed = false;

  /** Listeners for broadcast changes (WatchBroadcast), called after persistence. */
  readonly broadcastListeners = new Set<(changed: ReadonlySet<string>) => void>();
  /** DOWN → reassignment orders sent, in ms, most recent last (bounded). */
  readonly takeoverLatenciesMs: number[] = [];
  /** Called after each commit is durable and published. */
  readonly appliedListeners = new Set<(applied: Applied) => void>();
  /**
   * Shards whose progress changed since it was last written, by store key,
   * with when the first unwritten change arrived. Insertion order is arrival
   * order, so the first entry is the oldest. Bounded by the shards.
   */
  private readonly unpersistedProgress = new Map<string, number>();

  readonly registry: Registry;
  readonly scheduler: Scheduler;

  private constructor(
    readonly control: ControlPlane,
    readonly watchHub: WatchHub,
    private readonly store: KvStore,
    private readonly options: CoordinatorOptions,
    readonly log: Logger,
    readonly clock: Clock,
  ) {
    this.registry = control.registry;
    this.scheduler = control.scheduler;
    this.stats.startedMs = clock.monotonicMs();
  }

  /** Load persisted state. The caller reports SERVING only after this resolves. */
  static async open(store: KvStore, clock: Clock, options: CoordinatorOptions, log: Logger): Promise<Coordinator> {
    const registry = new Registry(options.registry, clock);
    const records: MemberRecord[] = [];
    for await (const [, value] of store.scan({ gte: KEY_MEMBER, lt: prefixEnd(KEY_MEMBER) })) {
      records.push(JSON.parse(value) as MemberRecord);
    }
    const meta = await store.get(KEY_META_REVISION);
    const { revision, firstRetained } = meta === undefined ? { revision: 0, firstRetained: 1 } : (JSON.parse(meta) as { revision: number; firstRetained: number });
    registry.load(records, revision, firstRetained);
    const scheduler = new Scheduler(options.scheduler, clock);
    const broadcasts: BroadcastMeta[] = [];
    for await (const [, value] of store.scan({ gte: KEY_BROADCAST, lt: prefixEnd(KEY_BROADCAST) })) broadcasts.push(JSON.parse(value) as BroadcastMeta);
    const shards: Shard[] = [];
    for await (const [, value] of store.scan({ gte: KEY_SHARD, lt: prefixEnd(KEY_SHARD) })) shards.push(JSON.parse(value) as Shard);
    scheduler.load(broadcasts, shards);
    const control = new ControlPlane(registry, scheduler);
    control.loaded(records);
    const hub = new WatchHub(store, options.watchBufferEventsMax, revision, () => registry.oldestRetainedRevision);
    log.info({ members: records.length, revision, live: records.filter((r) => r.state !== 'DOWN' && r.state !== 'LEFT').length, broadcasts: broadcasts.length, shards: shards.length }, 'state loaded');
    return new Coordinator(control, hub, store, options, log, clock);
  }

  start(): void {
    this.ticker = setInterval(() => {
      this.control.tick();
      void this.commit();
    }, this.options.failureCheckIntervalMs);
  }

  /** A fresh route id for a direct session. */
  newDirectRoute(): RouteId {
    return `direct:${++this.routeSeq}`;
  }

  addRoute(route: RouteId, sink: RouteSink): void {
    this.routes.set(route, sink);
  }

  /** The route's transport ended. Members on it keep their lease until they time out. */
  removeRoute(route: RouteId, sink: RouteSink): void {
    if (this.routes.get(route) !== sink) return; // already replaced by a newer link
    this.routes.delete(route);
    this.registry.routeClosed(route);
    void this.commit();
  }

  /** Shard progress from a renewed liveness packet, noting changes that await a checkpoint. */
  applyProgress(nodeKey: string, report: ShardProgressDomain): void {
    const shard = this.scheduler.shard(report.broadcastId, report.shardId);
    if (shard === undefined) return void this.scheduler.progress(nodeKey, report);
    const { watermark, delivered, skipped, dead } = shard;
    this.scheduler.progress(nodeKey, report);
    if (shard.watermark === watermark && shard.delivered === delivered && shard.skipped === skipped && shard.dead === dead) return;
    const key = shardKey(shard.broadcastId, shard.shardId);
    if (!this.unpersistedProgress.has(key)) this.unpersistedProgress.set(key, this.clock.monotonicMs());
  }

  /** Age in ms of the oldest shard progress accepted but not yet written to the store; 0 when all is written. */
  checkpointLagMs(): number {
    for (const sinceMs of this.unpersistedProgress.values()) return Math.max(0, this.clock.monotonicMs() - sinceMs);
    return 0;
  }

  /** Open member-facing streams by kind. */
  routeCounts(): { direct: number; relay: number } {
    let relay = 0;
    for (const route of this.routes.keys()) if (route.startsWith('relay:')) relay += 1;
    return { direct: this.routes.size - relay, relay };
  }

  /**
   * Persist what the registry produced, then publish events and send.
   * Resolves once this and every earlier commit is applied.
   */
  /**
   * Makes everything decided so far durable, then publishes it; resolves
   * once that is done. Each call writes what was collected at that moment,
   * in order. (Group commit — sharing one write among the commits that
   * arrive while a write is in flight — was tried: it made acks to relays
   * so lumpy during a registration storm that 100,000 relayed leaves went
   * SUSPECT waiting for their welcomes.)
   */
  commit(): Promise<void> {
    const effects = this.control.collect();
    if (isEmpty(effects)) return this.applying;
    const collectedMs = this.clock.monotonicMs();
    this.applying = this.applying.then(() => this.apply(effects, collectedMs));
    return this.applying;
  }

  /** Resolves when everything the registry has done so far is durable and published. */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && !this.closed; i++) {
      await this.commit();
      if (this.registry.takeEffectsPending() === false) return;
    }
  }

  private async apply({ membership: effects, scheduled }: ControlEffects, collectedMs: number): Promise<void> {
    const persist = scheduled.persist.length === 0 ? effects.persist : [...effects.persist, ...scheduled.persist];
    if (persist.length > 0) {
      try {
        await this.store.batch(persist);
      } catch (err) {
        // Acknowledged state must never be lost: a store that cannot write is fatal.
        this.log.fatal({ err }, 'store write failed; exiting');
        process.exit(70);
      }
      if (this.unpersistedProgress.size > 0) {
        // A change that arrived after these effects were collected is not in this write.
        for (const op of persist) {
          if (!op.key.startsWith(KEY_SHARD)) continue;
          const sinceMs = this.unpersistedProgress.get(op.key);
          if (sinceMs !== undefined && sinceMs <= collectedMs) this.unpersistedProgress.delete(op.key);
        }
      }
    }
    for (const event of effects.events) {
      const m = event.member;
      this.log.info({ event: event.type, nodeKey: m.key, clusterId: m.clusterId, nodeId: m.memberId, kind: m.kind, epoch: m.epoch, revision: event.revision, reason: event.reason }, `${m.kind.toLowerCase()} ${m.key} ${event.type}`);
    }
    this.watchHub.publish(effects.events);
    for (const outbound of effects.send) this.routes.get(outbound.route)?.deliver(outbound);
    for (const send of scheduled.send) this.sendToNode(send);
    const now = this.clock.monotonicMs();
    const takeoverLatenciesMs: number[] = [];
    for (const takeover of scheduled.takeovers) {
      const latencyMs = now - takeover.atMs;
      takeoverLatenciesMs.push(latencyMs);
      this.takeoverLatenciesMs.push(latencyMs);
      if (this.takeoverLatenciesMs.length > 1000) this.takeoverLatenciesMs.shift();
      this.log.info({ nodeKey: takeover.nodeKey, shards: takeover.shards, reassignMs: Math.round(latencyMs * 10) / 10 }, 'remainder of a DOWN node handed on');
    }
    for (const split of scheduled.splits) {
      this.log.info({ broadcastId: split.broadcastId, shardId: split.shardId, nodeKey: split.owner, pieceShardId: split.pieceShardId, start: split.start, end: split.end }, 'unread tail split off for an idle node');
    }
    if (scheduled.changed.size > 0) for (const listener of this.broadcastListeners) listener(scheduled.changed);
    if (this.appliedListeners.size > 0 && (effects.events.length > 0 || takeoverLatenciesMs.length > 0)) {
      for (const listener of this.appliedListeners) listener({ events: effects.events, takeoverLatenciesMs });
    }
  }

  private sendToNode(send: SchedulerSend): void {
    const route = this.registry.routeOf(send.nodeKey);
    const sink = route === undefined ? undefined : this.routes.get(route);
    // No route now: the scheduler re-sends unconfirmed orders when the node is back.
    if (sink === undefined) return;
    if (send.kind === 'order') {
      const o = send.order;
      this.log.info({ nodeKey: send.nodeKey, broadcastId: o.broadcastId, shardId: o.shardId, epoch: o.epoch, start: o.start, end: o.end }, 'shard ordered');
      sink.send(send.nodeKey, { order: { ...o, dataAddress: this.options.dataAddress, leaseEpoch: this.registry.get(send.nodeKey)?.epoch ?? 0 } });
    } else {
      this.log.info({ nodeKey: send.nodeKey, broadcastId: send.broadcastId, shardId: send.shardId, epoch: send.epoch, reason: send.reason }, 'shard revoked');
      sink.send(send.nodeKey, { revoke: { broadcastId: send.broadcastId, shardId: send.shardId, epoch: send.epoch, reason: send.reason } });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    await this.commit();
    this.watchHub.closeAll();
  }
}
