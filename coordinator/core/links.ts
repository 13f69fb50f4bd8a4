/**
 * The member-facing protocol, pure: what the coordinator decides for each
 * message on a node's direct session (NodeSession) and on a relay's link
 * (RelayLink). Both the gRPC shell (coordinator/session-service.ts) and the
 * simulator (test/sim/coordinator.ts) call these functions inside one
 * command, then persist what the cores produced and only then send the
 * replies returned here. The shells keep only framing and I/O.
 *
 * Everything here arrives from the network: ids are checked, a relay may
 * speak only for leaves of its own cluster (over TLS), and shard progress is
 * checked by the scheduler, which refuses an impossible report with a reason
 * that is returned (for the shell to log), never asserted.
 */
import type { ErrorCode, OpError } from '../../protocol/errors';
import { fail, ok, type Result } from '../../protocol/errors';
import { checkId, checkInstanceId, memberKey } from '../../protocol/validate';
import type { NodeMessage__Output } from '../../protocol/generated/relaycast/v1/NodeMessage';
import type { SessionMessage } from '../../protocol/generated/relaycast/v1/SessionMessage';
import type { LeafBatch__Output } from '../../protocol/generated/relaycast/v1/LeafBatch';
import type { ShardProgress__Output } from '../../protocol/generated/relaycast/v1/ShardProgress';
import { registerInput, registerResponse } from '../convert';
import type { ControlPlane } from './control';
import { relayRoute, type Outbound, type RegistryConfig, type RouteId } from './registry';
import { shardKey, type ShardProgressDomain } from './scheduler';

/** How a stream to a member ends: a status name ('OK' for a clean end) and a message. */
export interface Close {
  code: ErrorCode | 'OK';
  message: string;
}

/** What the shell sends to one member once the command is durable: a message, a close, or both (in that order). */
export interface Reply {
  message?: SessionMessage;
  close?: Close;
}

/** A progress report the scheduler refused as impossible: logged by the shell with the node. */
export interface ProgressRefusal {
  nodeKey: string;
  broadcastId: string;
  shardId: number;
  epoch: number;
  reason: string;
}

/** What a liveness packet did besides renewing: progress refused, shards whose progress moved (store keys). */
export interface ProgressApplied {
  refusals: ProgressRefusal[];
  /** Store keys of shards whose progress changed and now await a checkpoint. */
  progressed: string[];
}

/** One direct session, from the coordinator's side. */
export interface SessionState {
  route: RouteId;
  /** Set once the session is attached. */
  key: string | undefined;
  instanceId: string;
}

/** One relay link, after its hello. */
export interface RelayLinkState {
  route: RouteId;
  relayKey: string;
  epoch: number;
  resumed: boolean;
  /** The cluster the relay's certificate names; undefined on a plaintext link (nothing to check). */
  cluster: string | undefined;
}

export interface LeafRejectionDomain {
  nodeKey: string;
  code: ErrorCode;
  message: string;
}

export interface BatchOutcome extends ProgressApplied {
  /** The link must end: the relay itself lost its registration. */
  abort?: OpError;
  rejected: LeafRejectionDomain[];
  replies: Array<{ nodeKey: string; reply: Reply }>;
  /** Liveness entries in the batch (for counters). */
  liveness: number;
}

export function progressFromWire(p: ShardProgress__Output): ShardProgressDomain {
  return {
    broadcastId: p.broadcastId,
    shardId: p.shardId,
    epoch: Number(p.epoch),
    watermark: Number(p.watermark),
    delivered: Number(p.delivered),
    skipped: Number(p.skippedUnreachable),
    dead: Number(p.deadLettered),
    done: p.done,
    stopped: p.stopped,
  };
}

/** A registry decision for a member (lease lost, session superseded) as a reply. */
export function outboundReply(outbound: Outbound): Reply {
  const m = outbound.message;
  if (m.kind === 'lost') {
    return { message: { lost: { leaseEpoch: m.epoch, reason: m.reason, drained: m.drained === true } }, close: { code: 'FAILED_PRECONDITION', message: `lease lost: ${m.reason}` } };
  }
  return { close: { code: m.code, message: m.reason } };
}

/**
 * The member protocol over the control plane. `advertised` is the registry
 * configuration told to members in their welcome.
 */
export class MemberLinks {
  constructor(
    private readonly control: ControlPlane,
    private readonly advertised: RegistryConfig,
  ) {}

  /** A message on a direct session. Attaches the session on its first message. */
  sessionMessage(session: SessionState, message: NodeMessage__Output): { reply: Reply } & ProgressApplied {
    const none: ProgressApplied = { refusals: [], progressed: [] };
    if (session.key === undefined) {
      const attached = this.attach(session.route, message);
      if (attached.key !== undefined) {
        session.key = attached.key;
        session.instanceId = message.attach?.register?.instanceId ?? '';
      }
      return { reply: attached.reply, ...none };
    }
    const key = session.key;
    if (message.msg === 'liveness' && message.liveness) {
      const { seq, leaseEpoch, progress } = message.liveness;
      const result = this.control.registry.heartbeat(key, Number(leaseEpoch), 0, session.route);
      if (!result.ok) return { reply: { message: { lost: { leaseEpoch, reason: result.error.message } }, close: result.error }, ...none };
      return { reply: { message: { renewed: { seq, leaseEpoch } } }, ...this.progress(key, progress) };
    }
    if (message.msg === 'leave' && message.leave) {
      const result = this.control.registry.leave(key, session.instanceId, Number(message.leave.leaseEpoch));
      return { reply: { close: result.ok ? { code: 'OK', message: 'left' } : result.error }, ...none };
    }
    return { reply: { close: { code: 'INVALID_ARGUMENT', message: `session is already attached as ${key}; unexpected ${message.msg ?? 'empty'} message` } }, ...none };
  }

  /** A relay's hello: the relay registers as a member; its route carries its leaves. */
  relayHello(hello: { clusterId: string; relayId: string; instanceId: string; address: string }, secure: boolean): Result<RelayLinkState> {
    const { clusterId, relayId, instanceId, address } = hello;
    for (const check of [checkId('cluster_id', clusterId), checkId('relay_id', relayId), checkInstanceId('instance_id', instanceId)]) {
      if (!check.ok) return check;
    }
    const route = relayRoute(memberKey(clusterId, relayId));
    const result = this.control.registry.attach('RELAY', { clusterId, memberId: relayId, instanceId, address, labels: [], capacityWeight: 0 }, 0, route);
    if (!result.ok) return result;
    return ok({ route, relayKey: result.value.key, epoch: result.value.epoch, resumed: result.value.resumed, cluster: secure ? clusterId : undefined });
  }

  /**
   * One batch from a relay: the batch is the relay's own liveness; then
   * sessions that ended (first, so a leaf that closed and attached again
   * within one flush is detached, then attached), then every leaf's
   * liveness, then attaches and leaves in the order the relay received them.
   */
  relayBatch(link: RelayLinkState, batch: LeafBatch__Output): BatchOutcome {
    const { registry } = this.control;
    const outcome: BatchOutcome = { rejected: [], replies: [], refusals: [], progressed: [], liveness: batch.liveness.length };
    const self = registry.heartbeat(link.relayKey, link.epoch, 0, link.route);
    if (!self.ok) return { ...outcome, abort: { code: self.error.code, message: `relay ${link.relayKey}: ${self.error.message}` } };
    for (const key of batch.detached) if (refuseLeaf(link.cluster, key) === undefined) registry.detached(key, link.route);
    for (const entry of batch.liveness) {
      const refused = refuseLeaf(link.cluster, entry.nodeKey);
      if (refused !== undefined) {
        outcome.rejected.push({ nodeKey: entry.nodeKey, code: 'PERMISSION_DENIED', message: refused });
        continue;
      }
      const result = registry.heartbeat(entry.nodeKey, Number(entry.leaseEpoch), entry.ageMs, link.route);
      if (!result.ok) {
        outcome.rejected.push({ nodeKey: entry.nodeKey, code: result.error.code, message: result.error.message });
        continue;
      }
      if (entry.progress.length > 0) {
        const applied = this.progress(entry.nodeKey, entry.progress);
        outcome.refusals.push(...applied.refusals);
        outcome.progressed.push(...applied.progressed);
      }
    }
    for (const leaf of batch.messages) {
      const message = leaf.message;
      if (message === null) continue;
      const refused = refuseLeaf(link.cluster, leaf.nodeKey, message);
      if (refused !== undefined) {
        outcome.replies.push({ nodeKey: leaf.nodeKey, reply: { close: { code: 'PERMISSION_DENIED', message: refused } } });
        continue;
      }
      if (message.msg === 'leave' && message.leave) {
        const record = registry.get(leaf.nodeKey);
        const result = record === undefined ? fail('NOT_FOUND', `${leaf.nodeKey} is not registered`) : registry.leave(leaf.nodeKey, record.instanceId, Number(message.leave.leaseEpoch));
        outcome.replies.push({ nodeKey: leaf.nodeKey, reply: { close: result.ok ? { code: 'OK', message: 'left' } : result.error } });
        continue;
      }
      outcome.replies.push({ nodeKey: leaf.nodeKey, reply: this.attach(link.route, message).reply });
    }
    return outcome;
  }

  /**
   * After the batch's ack went out. A relay with its unacknowledged batches
   * at the limit waits for us and sends nothing: its silence counts from
   * this ack, not from its last batch, or a slow coordinator would declare
   * it DOWN.
   */
  relayAcked(link: RelayLinkState): void {
    this.control.registry.heartbeat(link.relayKey, link.epoch, 0, link.route);
  }

  /** attach is handled the same way on a direct session and through a relay; anything else before it is refused. */
  private attach(route: RouteId, message: NodeMessage__Output): { key?: string; reply: Reply } {
    if (message.msg === 'attach' && message.attach) {
      const attach = message.attach;
      const result = this.control.registry.attach('NODE', registerInput(attach.register), Number(attach.leaseEpoch), route);
      if (!result.ok) return { reply: { close: result.error } };
      const registration = result.value;
      return { key: registration.key, reply: { message: { welcome: { registration: registerResponse(registration, this.advertised), resumed: registration.resumed } } } };
    }
    if (message.msg === 'leave' && message.leave) {
      return { reply: { close: { code: 'INVALID_ARGUMENT', message: 'leave must name the member (send it on an attached session)' } } };
    }
    return { reply: { close: { code: 'INVALID_ARGUMENT', message: `unexpected ${message.msg ?? 'empty'} message before attach` } } };
  }

  /** Shard progress carried by a liveness packet whose lease was renewed. */
  private progress(nodeKey: string, reports: readonly ShardProgress__Output[]): ProgressApplied {
    const applied: ProgressApplied = { refusals: [], progressed: [] };
    const { scheduler } = this.control;
    for (const wire of reports) {
      const report = progressFromWire(wire);
      const shard = scheduler.shard(report.broadcastId, report.shardId);
      const before = shard === undefined ? undefined : `${shard.watermark}/${shard.delivered}/${shard.skipped}/${shard.dead}`;
      const outcome = scheduler.progress(nodeKey, report);
      if (typeof outcome === 'object') {
        applied.refusals.push({ nodeKey, broadcastId: report.broadcastId, shardId: report.shardId, epoch: report.epoch, reason: outcome.refused });
        continue;
      }
      if (outcome === 'applied' && shard !== undefined && before !== `${shard.watermark}/${shard.delivered}/${shard.skipped}/${shard.dead}`) {
        applied.progressed.push(shardKey(shard.broadcastId, shard.shardId));
      }
    }
    return applied;
  }
}

/**
 * Over TLS a relay speaks only for leaves of its own cluster, and a leaf's
 * attach must name the key the relay routes it under; the relay itself has
 * checked the leaf's certificate against that attach (relay/relay.ts).
 */
export function refuseLeaf(relayCluster: string | undefined, nodeKey: string, message?: NodeMessage__Output | null): string | undefined {
  if (relayCluster === undefined) return undefined;
  if (!nodeKey.startsWith(`${relayCluster}/`)) return `relay of cluster ${relayCluster} may not speak for ${nodeKey}`;
  const register = message?.attach?.register;
  if (register && memberKey(register.clusterId, register.nodeId) !== nodeKey) return `attach for ${memberKey(register.clusterId, register.nodeId)} relayed as ${nodeKey}`;
  return undefined;
}
