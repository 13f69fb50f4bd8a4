/**
 * The coordinator's shell: owns the store, the cores (registry, scheduler,
 * the member protocol), the watch hub and the routes (direct sessions and
 * relay links) that reach members.
 *
 * One command path: every change is a command given to propose(). The
 * command runs against the cores synchronously; what the cores produced
 * (plus any store writes the command adds) is persisted in one atomic batch;
 * only then are events published, messages sent and the caller answered —
 * in the order the commands were proposed. This is the one place that
 * decides whether a change may be made at all (a failed store, shutdown, a
 * full commit queue; leadership, with several coordinators).
 *
 * A store that cannot write is fatal: acknowledged state must never be
 * lost. The coordinator logs it, refuses every later command with
 * UNAVAILABLE (nothing hangs), and calls onFatal (the process exits
 * non-zero); a restart loads what was durable.
 */
import type { Logger } from '../platform/log';
import type { BatchOp, KvStore } from '../platform/store/store';
import { prefixEnd } from '../platform/store/store';
import type { ErrorCode, OpError } from '../protocol/errors';
import {
  KEY_MEMBER,
  KEY_META_REVISION,
  Registry,
  type Clock,
  type MemberRecord,
  type MembershipEvent,
  type RegistryConfig,
  type RouteId,
} from './core/registry';
import { WatchHub } from './watch-hub';
import { Retention } from './retention';
import { ControlPlane, isEmpty, type ControlEffects } from './core/control';
import { MemberLinks, outboundReply, type ProgressApplied, type Reply } from './core/links';
import {
  KEY_BROADCAST,
  KEY_SHARD,
  Scheduler,
  type BroadcastMeta,
  type SchedulerConfig,
  type SchedulerSend,
  type Shard,
} from './core/scheduler';
import type { SessionMessage } from '../protocol/generated/relaycast/v1/SessionMessage';

/** Where messages for members on one route go: a direct session or a relay link. */
export interface RouteSink {
  /** A reply for the member `key` (orders, revokes, lease losses, closes). */
  send(key: string, reply: Reply): void;
}

export interface CoordinatorOptions {
  registry: RegistryConfig;
  scheduler: SchedulerConfig;
  /** The address nodes use to read audience pages (ShardData). */
  dataAddress: string;
  failureCheckIntervalMs: number;
  watchBufferEventsMax: number;
  /** Commits waiting for the store beyond which API commands are refused and member streams pause. */
  commitQueueMax: number;
  /** Called once when the store failed a write: the process must exit non-zero (main.ts); tests observe it. */
  onFatal: (err: unknown) => void;
}

/** What one commit made durable and published, for observers such as the metrics. */
export interface Applied {
  events: readonly MembershipEvent[];
  /** DOWN → reassignment orders sent, in ms, one per takeover in this commit. */
  takeoverLatenciesMs: readonly number[];
}

/**
 * Who proposes: the public API (refused with UNAVAILABLE when the commit
 * queue is full), a member stream (never refused — liveness must flow —
 * but its shell pauses reading while the queue is full), or the coordinator
 * itself (ticks, closed routes).
 */
export type Proposer = 'api' | 'member' | 'internal';

/** What a command may do beyond the cores: add store writes to the same atomic batch. */
export interface Tx {
  write(ops: readonly BatchOp[]): void;
}

/** A command the coordinator refused or could not make durable: an operating error for the edge. */
export class CommandError extends Error implements OpError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** How often uploads past the retention and data a crash left behind are swept, at most (less when the retention is shorter). */
export const RETENTION_SWEEP_INTERVAL_MS_MAX = 60 * 60_000;

/** Bound on the reassignment latencies kept for GetStatus. */
const TAKEOVER_LATENCIES_KEPT = 1000;
/** Bound on WatchBroadcast listeners (streams), like the watch hub's watchers. */
export const BROADCAST_LISTENERS_MAX = 10_000;

export class Coordinator {
  /** The last write in the commit chain; never left rejected. */
  private writing: Promise<void> = Promise.resolve();
  /** Commits proposed whose write has not finished. */
  private queued = 0;
  private roomWaiters: Array<() => void> = [];
  private fatal: unknown = undefined;
  private readonly routes = new Map<RouteId, RouteSink>();
  private ticker: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  /** Bulk deletes of finished broadcasts and expired uploads (undefined: no retention configured). */
  readonly retention: Retention | undefined;
  private routeSeq = 0;
  /** Counters for GetStatus and benchmarks. */
  readonly stats = { livenessPackets: 0, relayedLivenessPackets: 0, relayBatches: 0, startedMs: 0, progressRefused: 0, commandsRefusedBusy: 0 };
  private closed = false;

  /** Listeners for broadcast changes (WatchBroadcast), called after persistence; at most BROADCAST_LISTENERS_MAX. */
  private readonly broadcastListeners = new Set<(changed: ReadonlySet<string>) => void>();
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

  /** Read-only use by services (queries); changes go through propose(). */
  readonly registry: Registry;
  readonly scheduler: Scheduler;
  readonly links: MemberLinks;

  private constructor(
    private readonly control: ControlPlane,
    readonly watchHub: WatchHub,
    private readonly store: KvStore,
    private readonly options: CoordinatorOptions,
    readonly log: Logger,
    readonly clock: Clock,
  ) {
    this.registry = control.registry;
    this.scheduler = control.scheduler;
    this.links = new MemberLinks(control, options.registry);
    const retentionMs = options.scheduler.retentionMs;
    this.retention = retentionMs === undefined ? undefined : new Retention(store, log.child({ part: 'retention' }), this.scheduler, { retentionMs });
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
      // Under overload, skip a tick rather than queue it behind the others:
      // the registry treats the gap as a stall of its own and judges nobody.
      if (this.queued >= this.options.commitQueueMax) return;
      this.propose(() => this.control.tick(), 'internal').catch(() => undefined);
    }, this.options.failureCheckIntervalMs);
    const retentionMs = this.options.scheduler.retentionMs;
    if (this.retention !== undefined && retentionMs !== undefined) {
      const sweep = () => {
        const now = this.clock.wallMs();
        void this.retention!.expireUploads(now);
        void this.retention!.sweepOrphans(now);
      };
      // Once after the load (a crash may have left data behind), then periodically.
      sweep();
      this.sweeper = setInterval(sweep, Math.max(1000, Math.min(RETENTION_SWEEP_INTERVAL_MS_MAX, Math.floor(retentionMs / 2))));
    }
  }

  /**
   * Apply `command` to the cores now, persist what it produced (with the
   * writes it added through `tx`) after every earlier command's, then
   * publish and send; resolves with the command's value once all that is
   * done. `ordered: false` answers at once when the command wrote nothing
   * (a read that needs no earlier write to be durable first).
   */
  propose<T>(command: (tx: Tx) => T, proposer: Proposer, options: { ordered?: boolean } = {}): Promise<T> {
    const refused = this.refusal(proposer);
    if (refused !== undefined) return Promise.reject(refused);
    const extra: BatchOp[] = [];
    const value = command({ write: (ops) => void extra.push(...ops) });
    const effects = this.control.collect();
    if (extra.length === 0 && isEmpty(effects)) {
      if (options.ordered === false) return Promise.resolve(value);
      // Nothing new to write, but the answer must not overtake earlier commits.
      return this.writing.then(() => this.answer(value));
    }
    this.queued += 1;
    const collectedMs = this.clock.monotonicMs();
    const done = this.writing.then(() => this.apply(effects, extra, collectedMs));
    this.writing = done.then(
      () => this.dequeued(),
      () => this.dequeued(),
    );
    return done.then(() => value);
  }

  /** Whether member streams should stop reading until whenRoom() resolves. */
  get busy(): boolean {
    return this.queued >= this.options.commitQueueMax;
  }

  /** Resolves when the commit queue has room again. */
  whenRoom(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Commits waiting for the store (for metrics and GetStatus). */
  get commitsQueued(): number {
    return this.queued;
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
    this.propose(() => this.registry.routeClosed(route), 'internal').catch(() => undefined);
  }

  /**
   * Note progress that awaits a checkpoint and log refused reports (a buggy
   * or hostile node). Call it inside the command that applied the progress,
   * so that the command's own write counts as its checkpoint.
   */
  noteProgress(applied: ProgressApplied): void {
    if (applied.progressed.length > 0) {
      const now = this.clock.monotonicMs();
      for (const key of applied.progressed) if (!this.unpersistedProgress.has(key)) this.unpersistedProgress.set(key, now);
    }
    for (const r of applied.refusals) {
      this.stats.progressRefused += 1;
      this.log.warn({ nodeKey: r.nodeKey, broadcastId: r.broadcastId, shardId: r.shardId, epoch: r.epoch, reason: r.reason }, 'progress report refused: it cannot be true (the shard keeps its last checkpoint)');
    }
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

  /** Listen for broadcast changes; false when too many listen already. Returns an unsubscribe function. */
  onBroadcastChange(listener: (changed: ReadonlySet<string>) => void): (() => void) | undefined {
    if (this.broadcastListeners.size >= BROADCAST_LISTENERS_MAX) return undefined;
    this.broadcastListeners.add(listener);
    return () => void this.broadcastListeners.delete(listener);
  }

  get broadcastWatchers(): number {
    return this.broadcastListeners.size;
  }

  private refusal(proposer: Proposer): CommandError | undefined {
    if (this.fatal !== undefined) return new CommandError('UNAVAILABLE', 'the coordinator cannot write to its store and is stopping; retry against it once it restarted');
    if (this.closed && proposer !== 'internal') return new CommandError('UNAVAILABLE', 'the coordinator is shutting down');
    if (proposer === 'api' && this.queued >= this.options.commitQueueMax) {
      this.stats.commandsRefusedBusy += 1;
      return new CommandError('UNAVAILABLE', `the coordinator is busy (${this.queued} commits waiting for the store); retry shortly`);
    }
    return undefined;
  }

  private answer<T>(value: T): T {
    if (this.fatal !== undefined) throw this.refusal('internal')!;
    return value;
  }

  private dequeued(): void {
    this.queued -= 1;
    if (this.busy || this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private async apply({ membership: effects, scheduled }: ControlEffects, extra: readonly BatchOp[], collectedMs: number): Promise<void> {
    if (this.fatal !== undefined) throw this.refusal('internal')!;
    const persist = [...effects.persist, ...scheduled.persist, ...extra];
    if (persist.length > 0) {
      try {
        await this.store.batch(persist);
      } catch (err) {
        this.fail(err);
        throw this.refusal('internal')!;
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
    // Durable: now publish and send. Nothing a listener or a transport does can undo it or stop the next commit.
    for (const event of effects.events) {
      const m = event.member;
      this.log.info({ event: event.type, nodeKey: m.key, clusterId: m.clusterId, nodeId: m.memberId, kind: m.kind, epoch: m.epoch, revision: event.revision, reason: event.reason }, `${m.kind.toLowerCase()} ${m.key} ${event.type}`);
    }
    this.guard('watch hub', () => this.watchHub.publish(effects.events));
    for (const outbound of effects.send) this.guard('route', () => this.routes.get(outbound.route)?.send(outbound.key, outboundReply(outbound)));
    for (const send of scheduled.send) this.guard('route', () => this.sendToNode(send));
    const now = this.clock.monotonicMs();
    const takeoverLatenciesMs: number[] = [];
    for (const takeover of scheduled.takeovers) {
      const latencyMs = now - takeover.atMs;
      takeoverLatenciesMs.push(latencyMs);
      this.takeoverLatenciesMs.push(latencyMs);
      if (this.takeoverLatenciesMs.length > TAKEOVER_LATENCIES_KEPT) this.takeoverLatenciesMs.shift();
      this.log.info({ nodeKey: takeover.nodeKey, shards: takeover.shards, reassignMs: Math.round(latencyMs * 10) / 10 }, 'remainder of a DOWN node handed on');
    }
    for (const split of scheduled.splits) {
      this.log.info({ broadcastId: split.broadcastId, shardId: split.shardId, nodeKey: split.owner, pieceShardId: split.pieceShardId, start: split.start, end: split.end }, 'unread tail split off for an idle node');
    }
    // Their metas and shards are deleted durably now; their bulk data goes in the background.
    if (scheduled.purged.length > 0 && this.retention !== undefined) void this.retention.purge(scheduled.purged);
    if (scheduled.changed.size > 0) for (const listener of this.broadcastListeners) this.guard('broadcast listener', () => listener(scheduled.changed));
    if (this.appliedListeners.size > 0 && (effects.events.length > 0 || takeoverLatenciesMs.length > 0)) {
      for (const listener of this.appliedListeners) this.guard('applied listener', () => listener({ events: effects.events, takeoverLatenciesMs }));
    }
  }

  /** Publishing is after the write: a throwing observer is a bug to log, never a reason to stop committing. */
  private guard(what: string, publish: () => void): void {
    try {
      publish();
    } catch (err) {
      this.log.error({ err, what }, 'publishing a durable change failed; continuing');
    }
  }

  private fail(err: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = err;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.log.fatal({ err }, 'store write failed: the change was not made durable, so nothing more can be acknowledged; exiting (a restart loads what is durable)');
    this.options.onFatal(err);
  }

  private sendToNode(send: SchedulerSend): void {
    const route = this.registry.routeOf(send.nodeKey);
    const sink = route === undefined ? undefined : this.routes.get(route);
    // No route now: the scheduler re-sends unconfirmed orders when the node is back.
    if (sink === undefined) return;
    let message: SessionMessage;
    if (send.kind === 'order') {
      const o = send.order;
      this.log.info({ nodeKey: send.nodeKey, broadcastId: o.broadcastId, shardId: o.shardId, epoch: o.epoch, start: o.start, end: o.end }, 'shard ordered');
      message = { order: { ...o, dataAddress: this.options.dataAddress, leaseEpoch: this.registry.get(send.nodeKey)?.epoch ?? 0 } };
    } else {
      this.log.info({ nodeKey: send.nodeKey, broadcastId: send.broadcastId, shardId: send.shardId, epoch: send.epoch, reason: send.reason }, 'shard revoked');
      message = { revoke: { broadcastId: send.broadcastId, shardId: send.shardId, epoch: send.epoch, reason: send.reason } };
    }
    sink.send(send.nodeKey, { message });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    await this.writing;
    await this.retention?.close();
    this.watchHub.closeAll();
  }
}
