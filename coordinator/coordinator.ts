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
  type Effects,
  type MemberRecord,
  type Outbound,
  type RegistryConfig,
  type RouteId,
} from './core/registry';
import { WatchHub } from './watch-hub';

/** Where messages for members on one route go: a direct session or a relay link. */
export interface RouteSink {
  deliver(outbound: Outbound): void;
}

export interface CoordinatorOptions {
  registry: RegistryConfig;
  failureCheckIntervalMs: number;
  watchBufferEventsMax: number;
}

export class Coordinator {
  private applying: Promise<void> = Promise.resolve();
  private readonly routes = new Map<RouteId, RouteSink>();
  private ticker: NodeJS.Timeout | undefined;
  private routeSeq = 0;
  /** Counters for GetStatus and benchmarks. */
  readonly stats = { livenessPackets: 0, relayBatches: 0, startedMs: 0 };
  private closed = false;

  private constructor(
    readonly registry: Registry,
    readonly watchHub: WatchHub,
    private readonly store: KvStore,
    private readonly options: CoordinatorOptions,
    readonly log: Logger,
    readonly clock: Clock,
  ) {
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
    const hub = new WatchHub(store, options.watchBufferEventsMax, revision, () => registry.oldestRetainedRevision);
    log.info({ members: records.length, revision, live: records.filter((r) => r.state !== 'DOWN' && r.state !== 'LEFT').length }, 'registry loaded');
    return new Coordinator(registry, hub, store, options, log, clock);
  }

  start(): void {
    this.ticker = setInterval(() => {
      this.registry.tick();
      if (this.registry.takeEffectsPending()) void this.commit();
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
  commit(): Promise<void> {
    const effects = this.registry.takeEffects();
    this.applying = this.applying.then(() => this.apply(effects));
    return this.applying;
  }

  /** Resolves when everything the registry has done so far is durable and published. */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && !this.closed; i++) {
      await this.commit();
      if (this.registry.takeEffectsPending() === false) return;
    }
  }

  private async apply(effects: Effects): Promise<void> {
    if (effects.persist.length > 0) {
      try {
        await this.store.batch(effects.persist);
      } catch (err) {
        // Acknowledged state must never be lost: a store that cannot write is fatal.
        this.log.fatal({ err }, 'store write failed; exiting');
        process.exit(70);
      }
    }
    for (const event of effects.events) {
      const m = event.member;
      this.log.info({ event: event.type, nodeKey: m.key, clusterId: m.clusterId, nodeId: m.memberId, kind: m.kind, epoch: m.epoch, revision: event.revision, reason: event.reason }, `${m.kind.toLowerCase()} ${m.key} ${event.type}`);
    }
    this.watchHub.publish(effects.events);
    for (const outbound of effects.send) this.routes.get(outbound.route)?.deliver(outbound);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    await this.commit();
    this.watchHub.closeAll();
  }
}
