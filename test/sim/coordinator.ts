/**
 * The coordinator in the simulator: the real Registry, Scheduler and
 * ControlPlane cores, with a shell that does what coordinator.ts and
 * session-service.ts do — persist first (SimStore), then publish and send —
 * over simulated connections. A crash loses everything not yet durable;
 * a restart loads what is.
 */
import { prefixEnd } from '../../shared/store/store';
import { codeNumber } from '../../shared/grpc-status';
import { ControlPlane, isEmpty, type ControlEffects } from '../../coordinator/core/control';
import { KEY_MEMBER, KEY_META_REVISION, Registry, relayRoute, type MemberRecord, type Outbound, type RegistryConfig, type RouteId } from '../../coordinator/core/registry';
import { KEY_BROADCAST, KEY_SHARD, Scheduler, type BroadcastMeta, type SchedulerConfig, type SchedulerSend, type Shard } from '../../coordinator/core/scheduler';
import { registerInput, registerResponse } from '../../coordinator/convert';
import { memberKey } from '../../shared/validate';
import type { LeafDelivery } from '../../shared/generated/relaycast/v1/LeafDelivery';
import type { LeafRejection } from '../../shared/generated/relaycast/v1/LeafRejection';
import type { SessionMessage } from '../../shared/generated/relaycast/v1/SessionMessage';
import type { Observer } from './observer';
import { CODES, toDomain, type NodeUp, type ReadReply, type ReadRequest, type RelayDown, type RelayUp, type SessionDown } from './messages';
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
  deliver(outbound: Outbound): void;
  send(key: string, message: SessionMessage): void;
}

export class SimCoordinator {
  readonly proc = new Proc('coordinator');
  readonly store: SimStore;
  control!: ControlPlane;
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
    this.control.tick();
    this.commit();
    this.world.after(this.config.failureCheckIntervalMs, this.proc, () => this.tick());
  }

  /** Persist, then publish and send: the order coordinator.ts keeps. */
  private commit(then?: () => void): void {
    const effects = this.control.collect();
    if (isEmpty(effects)) {
      // Nothing new to persist, but earlier writes may still be in flight: answer after them.
      if (then !== undefined) this.store.batch([], then);
      return;
    }
    this.store.batch([...effects.membership.persist, ...effects.scheduled.persist], () => {
      this.apply(effects);
      then?.();
    });
  }

  private apply({ membership, scheduled }: ControlEffects): void {
    const now = this.world.nowMs;
    this.observer.onEvents(membership.events, now);
    for (const split of scheduled.splits) this.observer.onSplit(split.broadcastId, split.shardId, split.start);
    for (const outbound of membership.send) this.routes.get(outbound.route)?.deliver(outbound);
    for (const send of scheduled.send) this.sendToNode(send);
    for (const takeover of scheduled.takeovers) this.observer.onTakeover(takeover.nodeKey, takeover.atMs, now);
  }

  private sendToNode(send: SchedulerSend): void {
    if (send.kind === 'order') this.observer.onOrder(send.nodeKey, send.order, this.world.nowMs);
    const route = this.registry.routeOf(send.nodeKey);
    const sink = route === undefined ? undefined : this.routes.get(route);
    if (sink === undefined) return;
    if (send.kind === 'order') sink.send(send.nodeKey, { order: { ...send.order, dataAddress: 'coordinator', leaseEpoch: this.registry.get(send.nodeKey)?.epoch ?? 0 } });
    else sink.send(send.nodeKey, { revoke: { broadcastId: send.broadcastId, shardId: send.shardId, epoch: send.epoch, reason: send.reason } });
  }

  private removeRoute(route: RouteId, sink: RouteSink): void {
    if (this.routes.get(route) !== sink) return;
    this.routes.delete(route);
    if (route.startsWith('relay:')) this.observer.onRelayLinkLost(this.world.nowMs);
    this.registry.routeClosed(route);
    this.commit();
  }

  /** ShardData.ReadAudience: pages come from the coordinator, so it knows what each owner has read. */
  serveRead(request: ReadRequest, respond: (reply: ReadReply) => void): void {
    const held = this.scheduler.beginRead(request.nodeKey, request.broadcastId, request.shardId, request.epoch, request.fromSequence, Math.max(1, request.limit));
    if (!held.ok) return respond({ error: held.error.message, code: held.error.code });
    respond({ firstSequence: request.fromSequence, count: held.value.end - request.fromSequence, shardEnd: held.value.shard.end });
  }

  /** A node's direct session (NodeSession.Session). */
  acceptSession(conn: Conn<NodeUp, SessionDown>): ConnEnd<NodeUp> {
    const route = `direct:${++this.routeSeq}`;
    let key: string | undefined;
    let instanceId = '';
    let ended = false;
    const end = (down: SessionDown) => {
      if (ended) return;
      conn.toA(down);
      if (down.close) {
        ended = true;
        conn.reset(this.proc, down.close.message);
        this.removeRoute(route, sink);
      }
    };
    const sink: RouteSink = {
      deliver: (outbound) => end(outboundToDown(outbound)),
      send: (_key, message) => end({ message }),
    };
    this.routes.set(route, sink);
    return {
      closed: () => this.removeRoute(route, sink),
      message: (m) => {
        if (ended) return;
        if (key === undefined) {
          if (m.msg !== 'attach' || !m.attach) return end({ close: { code: CODES.INVALID_ARGUMENT, message: 'attach first' } });
          const result = this.registry.attach('NODE', registerInput(m.attach.register), Number(m.attach.leaseEpoch), route);
          instanceId = m.attach.register?.instanceId ?? '';
          if (result.ok) key = result.value.key;
          this.commit(() => end(result.ok ? welcome(result.value, this.advertised()) : { close: { code: codeNumber(result.error.code), message: result.error.message } }));
          return;
        }
        if (m.msg === 'liveness' && m.liveness) {
          const { seq, leaseEpoch, progress } = m.liveness;
          const result = this.registry.heartbeat(key, Number(leaseEpoch), 0, route);
          if (result.ok) this.control.progress(key, progress.map(toDomain));
          this.commit(() => end(result.ok ? { message: { renewed: { seq, leaseEpoch } } } : { message: { lost: { leaseEpoch, reason: result.error.message } }, close: { code: codeNumber(result.error.code), message: result.error.message } }));
        } else if (m.msg === 'leave' && m.leave) {
          const result = this.registry.leave(key, instanceId, Number(m.leave.leaseEpoch));
          this.commit(() => end({ close: result.ok ? { code: CODES.OK, message: 'left' } : { code: codeNumber(result.error.code), message: result.error.message } }));
        }
      },
    };
  }

  /** A relay's link (RelayLink.Link): one stream carrying many nodes in batches. */
  acceptRelay(conn: Conn<RelayUp, RelayDown>): ConnEnd<RelayUp> {
    let relayKey: string | undefined;
    let relayEpoch = 0;
    let route: RouteId | undefined;
    let ended = false;
    const abort = (code: number, message: string) => {
      if (ended) return;
      ended = true;
      conn.toA({ close: { code, message } });
      conn.reset(this.proc, message);
      if (route !== undefined) this.removeRoute(route, sink);
    };
    const toDelivery = (key: string, down: SessionDown): LeafDelivery => ({ nodeKey: key, message: down.message ?? null, closeCode: down.close?.code ?? 0, closeMessage: down.close?.message ?? '' });
    const sink: RouteSink = {
      deliver: (outbound) => {
        if (!ended) conn.toA({ batchAck: { batchId: 0, rejected: [], deliveries: [toDelivery(outbound.key, outboundToDown(outbound))] } as never });
      },
      send: (key, message) => {
        if (!ended) conn.toA({ batchAck: { batchId: 0, rejected: [], deliveries: [toDelivery(key, { message })] } as never });
      },
    };
    return {
      closed: () => {
        if (route !== undefined) this.removeRoute(route, sink);
      },
      message: (up) => {
        if (ended) return;
        if (relayKey === undefined) {
          if (!('hello' in up)) return abort(CODES.INVALID_ARGUMENT, 'hello first');
          const { clusterId, relayId, instanceId } = up.hello;
          route = relayRoute(memberKey(clusterId, relayId));
          const result = this.registry.attach('RELAY', { clusterId, memberId: relayId, instanceId, address: 'sim', labels: [], capacityWeight: 0 }, 0, route);
          if (!result.ok) return abort(codeNumber(result.error.code), result.error.message);
          relayKey = result.value.key;
          relayEpoch = result.value.epoch;
          const previous = this.routes.get(route);
          if (previous !== undefined) this.routes.delete(route);
          this.routes.set(route, sink);
          this.commit(() => {
            if (!ended) conn.toA({ welcome: true });
          });
          return;
        }
        if (!('batch' in up)) return abort(CODES.INVALID_ARGUMENT, 'batch expected');
        const batch = up.batch;
        const self = this.registry.heartbeat(relayKey, relayEpoch, 0, route!);
        if (!self.ok) return abort(codeNumber(self.error.code), self.error.message);
        for (const key of batch.detached ?? []) this.registry.detached(key, route!);
        const rejected: LeafRejection[] = [];
        for (const entry of batch.liveness ?? []) {
          const nodeKey = entry.nodeKey!;
          const result = this.registry.heartbeat(nodeKey, Number(entry.leaseEpoch), Number(entry.ageMs), route!);
          if (result.ok) this.control.progress(nodeKey, (entry.progress ?? []).map((p) => toDomain(p as never)));
          else rejected.push({ nodeKey, code: codeNumber(result.error.code), message: result.error.message });
        }
        const replies: Array<{ key: string; down: () => SessionDown }> = [];
        for (const leaf of batch.messages ?? []) {
          const m = leaf.message as NodeUp | null | undefined;
          const nodeKey = leaf.nodeKey!;
          if (m === null || m === undefined) continue;
          if (m.msg === 'leave' && m.leave) {
            const record = this.registry.get(nodeKey);
            const result = record === undefined ? undefined : this.registry.leave(nodeKey, record.instanceId, Number(m.leave.leaseEpoch));
            replies.push({ key: nodeKey, down: () => ({ close: result?.ok === true ? { code: CODES.OK, message: 'left' } : { code: CODES.NOT_FOUND, message: 'leave refused' } }) });
          } else if (m.msg === 'attach' && m.attach) {
            const result = this.registry.attach('NODE', registerInput(m.attach.register), Number(m.attach.leaseEpoch), route!);
            replies.push({ key: nodeKey, down: () => (result.ok ? welcome(result.value, this.advertised()) : { close: { code: codeNumber(result.error.code), message: result.error.message } }) });
          }
        }
        this.commit(() => {
          if (ended) return;
          conn.toA({ batchAck: { batchId: Number(batch.batchId), rejected, deliveries: replies.map(({ key, down }) => toDelivery(key, down())) } as never });
        });
      },
    };
  }

  private advertised(): RegistryConfig {
    return { ...this.config.registry, leaseTtlMs: this.config.leaseTtlAdvertisedMs };
  }

  /** Durable shard records (what a restart would load), for the checkers. */
  durableShards(): Shard[] {
    return [...this.store.durable.entries()].filter(([k]) => k >= KEY_SHARD && k < prefixEnd(KEY_SHARD)).map(([, v]) => JSON.parse(v) as Shard);
  }
}

function welcome(registration: { key: string; epoch: number; revision: number; resumed: boolean }, config: RegistryConfig): SessionDown {
  return { message: { welcome: { registration: registerResponse(registration, config), resumed: registration.resumed } } };
}

function outboundToDown(outbound: Outbound): SessionDown {
  if (outbound.message.kind === 'lost') {
    return {
      message: { lost: { leaseEpoch: outbound.message.epoch, reason: outbound.message.reason, drained: outbound.message.drained === true } },
      close: { code: CODES.FAILED_PRECONDITION, message: `lease lost: ${outbound.message.reason}` },
    };
  }
  return { close: { code: codeNumber(outbound.message.code), message: outbound.message.reason } };
}
