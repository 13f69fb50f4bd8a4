/**
 * The coordinator in the simulator: the real Registry, Scheduler and
 * ControlPlane cores, with a shell that does what coordinator.ts and
 * session-service.ts do — persist first (SimStore), then publish and send —
 * over simulated connections. A crash loses everything not yet durable;
 * a restart loads what is.
 */
import { prefixEnd } from '../../platform/store/store';
import { codeNumber } from '../../protocol/grpc-status';
import { ControlPlane, isEmpty, type ControlEffects } from '../../coordinator/core/control';
import { KEY_MEMBER, KEY_META_REVISION, Registry, type MemberRecord, type RegistryConfig, type RouteId } from '../../coordinator/core/registry';
import { MemberLinks, outboundReply, type RelayLinkState, type Reply, type SessionState } from '../../coordinator/core/links';
import { changeLifecycle, deadLetterStanding, recordDeadLetters, retryDeadLetters, type DeadLetterStanding, type LifecycleOp, type StoredDeadLetter } from '../../coordinator/core/broadcast-commands';
import type { Tx } from '../../coordinator/coordinator';
import type { BatchOp } from '../../platform/store/store';
import { KEY_BROADCAST, KEY_DEAD_LETTER, KEY_SHARD, Scheduler, type BroadcastMeta, type SchedulerConfig, type SchedulerSend, type Shard } from '../../coordinator/core/scheduler';
import type { LeafDelivery } from '../../protocol/generated/relaycast/v1/LeafDelivery';
import type { LeafBatch__Output } from '../../protocol/generated/relaycast/v1/LeafBatch';
import type { Observer } from './observer';
import { CODES, type DeadLetterReply, type DeadLetterRequest, type NodeUp, type ReadReply, type ReadRequest, type RelayDown, type RelayUp, type SessionDown } from './messages';
import { SimStore } from './store';
import { Proc, type Conn, type ConnEnd, type World } from './world';

export interface SimCoordinatorConfig {
  registry: RegistryConfig;
  scheduler: SchedulerConfig;
  failureCheckIntervalMs: number;
  fsyncMinMs: number;
  fsyncMaxMs: number;
  /** The lease told to nodes: registry.leaseTtlMs, except in a deliberately broken variant. */
  leaseTtlAdvertisedMs: number;
}

interface RouteSink {
  send(key: string, reply: Reply): void;
}

export class SimCoordinator {
  readonly proc = new Proc('coordinator');
  readonly store: SimStore;
  control!: ControlPlane;
  private links!: MemberLinks;
  private routes = new Map<RouteId, RouteSink>();
  private routeSeq = 0;
  restarts = 0;

  constructor(
    private readonly world: World,
    private readonly config: SimCoordinatorConfig,
    private readonly observer: Observer,
  ) {
    this.store = new SimStore(world, this.proc, config.fsyncMinMs, config.fsyncMaxMs);
    this.store.onDurable = (ops) => observer.onDurable(ops);
  }

  get scheduler(): Scheduler {
    return this.control.scheduler;
  }

  get registry(): Registry {
    return this.control.registry;
  }

  /** Create a broadcast before the cluster starts (durable at once, as an acknowledged CreateBroadcast is). */
  seedBroadcast(meta: BroadcastMeta): void {
    const scheduler = new Scheduler(this.config.scheduler, this.world.clock);
    scheduler.create(meta);
    for (const op of scheduler.takeEffects().persist) if (op.type === 'put') this.store.durable.set(op.key, op.value);
  }

  start(): void {
    const { registry: registryConfig, scheduler: schedulerConfig } = this.config;
    const registry = new Registry(registryConfig, this.world.clock);
    const records = this.store.scan(KEY_MEMBER).map((v) => JSON.parse(v) as MemberRecord);
    const meta = this.store.durable.get(KEY_META_REVISION);
    const { revision, firstRetained } = meta === undefined ? { revision: 0, firstRetained: 1 } : (JSON.parse(meta) as { revision: number; firstRetained: number });
    registry.load(records, revision, firstRetained);
    const scheduler = new Scheduler(schedulerConfig, this.world.clock);
    scheduler.load(
      this.store.scan(KEY_BROADCAST).filter((v) => v.startsWith('{')).map((v) => JSON.parse(v) as BroadcastMeta),
      this.store.scan(KEY_SHARD).map((v) => JSON.parse(v) as Shard),
    );
    this.control = new ControlPlane(registry, scheduler);
    this.control.loaded(records);
    this.links = new MemberLinks(this.control, this.advertised());
    this.routes = new Map();
    this.tick();
  }

  crash(): void {
    this.world.crash(this.proc);
    this.store.crashed();
    this.routes.clear();
  }

  restart(): void {
    this.restarts += 1;
    this.world.restart(this.proc);
    this.start();
  }

  private tick(): void {
    this.propose(() => this.control.tick());
    this.world.after(this.config.failureCheckIntervalMs, this.proc, () => this.tick());
  }

  /**
   * The coordinator's command path (coordinator.ts propose()): apply the
   * command to the cores, persist what they produced, then publish and send,
   * then answer — in the order commands were proposed.
   */
  propose<T>(command: (tx: Tx) => T, then?: (value: T) => void): void {
    const extra: BatchOp[] = [];
    const value = command({ write: (ops) => void extra.push(...ops) });
    const effects = this.control.collect();
    if (extra.length === 0 && isEmpty(effects)) {
      // Nothing new to persist, but earlier writes may still be in flight: answer after them.
      if (then !== undefined) this.store.batch([], () => then(value));
      return;
    }
    this.store.batch([...effects.membership.persist, ...effects.scheduled.persist, ...extra], () => {
      this.apply(effects);
      then?.(value);
    });
  }

  private apply({ membership, scheduled }: ControlEffects): void {
    const now = this.world.nowMs;
    this.observer.onEvents(membership.events, now);
    for (const split of scheduled.splits) this.observer.onSplit(split.broadcastId, split.shardId, split.start);
    for (const outbound of membership.send) this.routes.get(outbound.route)?.send(outbound.key, outboundReply(outbound));
    for (const send of scheduled.send) this.sendToNode(send);
    for (const takeover of scheduled.takeovers) this.observer.onTakeover(takeover.nodeKey, takeover.atMs, now);
  }

  private sendToNode(send: SchedulerSend): void {
    if (send.kind === 'order') this.observer.onOrder(send.nodeKey, send.order, this.world.nowMs);
    const route = this.registry.routeOf(send.nodeKey);
    const sink = route === undefined ? undefined : this.routes.get(route);
    if (sink === undefined) return;
    if (send.kind === 'order') sink.send(send.nodeKey, { message: { order: { ...send.order, dataAddress: 'coordinator', leaseEpoch: this.registry.get(send.nodeKey)?.epoch ?? 0 } } });
    else sink.send(send.nodeKey, { message: { revoke: { broadcastId: send.broadcastId, shardId: send.shardId, epoch: send.epoch, reason: send.reason } } });
  }

  private removeRoute(route: RouteId, sink: RouteSink): void {
    if (this.routes.get(route) !== sink) return;
    this.routes.delete(route);
    if (route.startsWith('relay:')) this.observer.onRelayLinkLost(this.world.nowMs);
    this.propose(() => this.registry.routeClosed(route));
  }

  /** ShardData.ReportDeadLetters: recorded (durably) only for the shard's owner and epoch, by the same core as broadcast-service.ts. */
  serveDeadLetters(request: DeadLetterRequest, respond: (reply: DeadLetterReply) => void): void {
    this.propose((tx) => {
      const result = recordDeadLetters(this.scheduler, request);
      if (result.ok) tx.write(result.value);
      return result;
    }, (result) => respond(result.ok ? { ok: true } : { error: result.error.message, code: result.error.code }));
  }

  /** An operator's CancelBroadcast, PauseBroadcast or ResumeBroadcast (when the coordinator is up to take it). */
  changeLifecycle(id: string, op: LifecycleOp): void {
    if (!this.proc.up) return;
    this.propose(() => changeLifecycle(this.scheduler, id, op));
  }

  /** An operator's RetryDeadLetters of everything recorded: read the records, then one command, as broadcast-service.ts does. */
  retryDeadLetters(id: string): void {
    if (!this.proc.up) return;
    const records = this.store.scan(`${KEY_DEAD_LETTER}${id}/`).map((v) => JSON.parse(v) as StoredDeadLetter);
    this.propose((tx) => {
      const result = retryDeadLetters(this.scheduler, id, records);
      if (result.ok) tx.write(result.value.ops);
      return result;
    });
  }

  /** Durable dead-letter records of a broadcast (what ListDeadLetters reads), with their standing now. */
  deadLettersOf(id: string): Array<{ record: StoredDeadLetter; standing: DeadLetterStanding }> {
    return this.store.scan(`${KEY_DEAD_LETTER}${id}/`).map((v) => JSON.parse(v) as StoredDeadLetter).map((record) => ({ record, standing: deadLetterStanding(this.scheduler, record) }));
  }

  /** ShardData.ReadAudience: pages come from the coordinator, so it knows what each owner has read. */
  serveRead(request: ReadRequest, respond: (reply: ReadReply) => void): void {
    const held = this.scheduler.beginRead(request.nodeKey, request.broadcastId, request.shardId, request.epoch, request.fromSequence, Math.max(1, request.limit));
    if (!held.ok) return respond({ error: held.error.message, code: held.error.code });
    respond({ firstSequence: request.fromSequence, count: held.value.end - request.fromSequence, shardEnd: held.value.shard.end });
  }

  /** A node's direct session (NodeSession.Session): the member protocol core decides, as in session-service.ts. */
  acceptSession(conn: Conn<NodeUp, SessionDown>): ConnEnd<NodeUp> {
    const session: SessionState = { route: `direct:${++this.routeSeq}`, key: undefined, instanceId: '' };
    let ended = false;
    const end = (reply: Reply) => {
      if (ended) return;
      const down = toDown(reply);
      conn.toA(down);
      if (down.close) {
        ended = true;
        conn.reset(this.proc, down.close.message);
        this.removeRoute(session.route, sink);
      }
    };
    const sink: RouteSink = { send: (_key, reply) => end(reply) };
    this.routes.set(session.route, sink);
    return {
      closed: () => this.removeRoute(session.route, sink),
      message: (m) => {
        if (ended) return;
        this.propose(() => this.links.sessionMessage(session, m), (outcome) => {
          this.observer.onProgressRefused(outcome.refusals.length);
          end(outcome.reply);
        });
      },
    };
  }

  /** A relay's link (RelayLink.Link): one stream carrying many nodes in batches, decided by the same core. */
  acceptRelay(conn: Conn<RelayUp, RelayDown>): ConnEnd<RelayUp> {
    let link: RelayLinkState | undefined;
    let ended = false;
    const abort = (code: number, message: string) => {
      if (ended) return;
      ended = true;
      conn.toA({ close: { code, message } });
      conn.reset(this.proc, message);
      if (link !== undefined) this.removeRoute(link.route, sink);
    };
    const sink: RouteSink = {
      send: (key, reply) => {
        if (!ended) conn.toA({ batchAck: { batchId: 0, rejected: [], deliveries: [toDelivery(key, reply)] } as never });
      },
    };
    return {
      closed: () => {
        if (link !== undefined) this.removeRoute(link.route, sink);
      },
      message: (up) => {
        if (ended) return;
        if (link === undefined) {
          if (!('hello' in up)) return abort(CODES.INVALID_ARGUMENT, 'hello first');
          this.propose(() => {
            const result = this.links.relayHello({ ...up.hello, address: 'sim' }, false);
            if (result.ok) {
              link = result.value;
              this.routes.set(link.route, sink);
            }
            return result;
          }, (result) => {
            if (!result.ok) return abort(codeNumber(result.error.code), result.error.message);
            if (!ended) conn.toA({ welcome: true });
          });
          return;
        }
        if (!('batch' in up)) return abort(CODES.INVALID_ARGUMENT, 'batch expected');
        const current = link;
        const batch = up.batch as LeafBatch__Output;
        this.propose(() => this.links.relayBatch(current, batch), (outcome) => {
          if (outcome.abort !== undefined) return abort(codeNumber(outcome.abort.code), outcome.abort.message);
          this.observer.onProgressRefused(outcome.refusals.length);
          if (ended) return;
          conn.toA({ batchAck: { batchId: Number(batch.batchId), rejected: outcome.rejected.map((r) => ({ nodeKey: r.nodeKey, code: codeNumber(r.code), message: r.message })), deliveries: outcome.replies.map(({ nodeKey, reply }) => toDelivery(nodeKey, reply)) } as never });
          this.propose(() => this.links.relayAcked(current));
        });
      },
    };
  }

  private advertised(): RegistryConfig {
    return { ...this.config.registry, leaseTtlMs: this.config.leaseTtlAdvertisedMs };
  }

  /** The durable record of a broadcast (what a restart would load). */
  durableMeta(id: string): BroadcastMeta | undefined {
    const value = this.store.durable.get(`${KEY_BROADCAST}${id}`);
    return value === undefined ? undefined : (JSON.parse(value) as BroadcastMeta);
  }

  /** Durable shard records (what a restart would load), for the checkers. */
  durableShards(): Shard[] {
    return [...this.store.durable.entries()].filter(([k]) => k >= KEY_SHARD && k < prefixEnd(KEY_SHARD)).map(([, v]) => JSON.parse(v) as Shard);
  }
}

/** A reply as the simulated transport carries it (close codes as numbers, as gRPC would). */
function toDown(reply: Reply): SessionDown {
  return { ...(reply.message ? { message: reply.message } : {}), ...(reply.close ? { close: { code: reply.close.code === 'OK' ? CODES.OK : codeNumber(reply.close.code), message: reply.close.message } } : {}) };
}

function toDelivery(nodeKey: string, reply: Reply): LeafDelivery {
  const down = toDown(reply);
  return { nodeKey, message: down.message ?? null, closeCode: down.close?.code ?? 0, closeMessage: down.close?.message ?? '' };
}
