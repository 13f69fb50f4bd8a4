/**
 * The member-facing links: NodeSession (a node talking to the coordinator
 * directly) and RelayLink (a relay carrying many nodes in batches). Both
 * turn packets into registry calls; only the framing differs.
 */
import * as grpc from '@grpc/grpc-js';
import { codeNumber, statusError } from '../shared/grpc-status';
import type { NodeSessionHandlers } from '../shared/generated/relaycast/v1/NodeSession';
import type { RelayLinkHandlers } from '../shared/generated/relaycast/v1/RelayLink';
import type { NodeMessage__Output } from '../shared/generated/relaycast/v1/NodeMessage';
import type { SessionMessage } from '../shared/generated/relaycast/v1/SessionMessage';
import type { LeafDelivery } from '../shared/generated/relaycast/v1/LeafDelivery';
import type { LeafRejection } from '../shared/generated/relaycast/v1/LeafRejection';
import type { ShardProgress__Output } from '../shared/generated/relaycast/v1/ShardProgress';
import { checkId, checkInstanceId, memberKey } from '../shared/validate';
import { fail } from '../shared/errors';
import type { Coordinator, RouteSink } from './coordinator';
import { registerInput, registerResponse } from './convert';
import { relayRoute, type Outbound, type RegistryConfig, type RouteId } from './core/registry';
import { peerAuth, refuseUnlessMember, refuseUnlessRelay } from '../shared/peer-identity';

/**
 * Over TLS a relay speaks only for leaves of its own cluster, and a leaf's
 * attach must name the key the relay routes it under; the relay itself has
 * checked the leaf's certificate against that attach (relay/relay.ts).
 * `relayCluster` is undefined on a plaintext link: nothing to check.
 */
function refuseLeaf(relayCluster: string | undefined, nodeKey: string, message?: NodeMessage__Output | null): string | undefined {
  if (relayCluster === undefined) return undefined;
  if (!nodeKey.startsWith(`${relayCluster}/`)) return `relay of cluster ${relayCluster} may not speak for ${nodeKey}`;
  const register = message?.attach?.register;
  if (register && memberKey(register.clusterId, register.nodeId) !== nodeKey) return `attach for ${memberKey(register.clusterId, register.nodeId)} relayed as ${nodeKey}`;
  return undefined;
}

/**
 * Unsolicited deliveries to a relay's leaves (orders, revokes, lease losses)
 * go in acks of at most this many bytes: an order carries its template (up
 * to 64 KiB), and gRPC refuses a message over 16 MiB, which would drop the
 * link and, with the orders re-sent, drop it again forever.
 */
const LINK_ACK_BYTES_MAX = 4 * 1024 * 1024;
/** Everything in a delivery but an order's template, generously. */
const DELIVERY_OVERHEAD_BYTES = 1024;

function deliveryBytes(delivery: LeafDelivery): number {
  return (delivery.message?.order?.template?.length ?? 0) * 3 + (delivery.closeMessage?.length ?? 0) * 3 + DELIVERY_OVERHEAD_BYTES;
}

/** What one non-liveness member message asks the session to answer. */
type Reply = { message?: SessionMessage; close?: { code: number; message: string } };

/** attach and leave are handled the same way on a direct session and through a relay. */
function handleControl(coordinator: Coordinator, config: RegistryConfig, route: RouteId, message: NodeMessage__Output): { key?: string; reply: () => Reply } {
  const { registry } = coordinator;
  if (message.msg === 'attach' && message.attach) {
    const attach = message.attach;
    const result = registry.attach('NODE', registerInput(attach.register), attach.leaseEpoch, route);
    if (!result.ok) return { reply: () => ({ close: { code: codeNumber(result.error.code), message: result.error.message } }) };
    const registration = result.value;
    return {
      key: registration.key,
      reply: () => ({ message: { welcome: { registration: registerResponse(registration, config), resumed: registration.resumed } } }),
    };
  }
  if (message.msg === 'leave' && message.leave) {
    return { reply: () => ({ close: { code: grpc.status.INVALID_ARGUMENT, message: 'leave must name the member (send it on an attached session)' } }) };
  }
  return { reply: () => ({ close: { code: grpc.status.INVALID_ARGUMENT, message: `unexpected ${message.msg ?? 'empty'} message before attach` } }) };
}

function outboundToMessage(outbound: Outbound): Reply {
  if (outbound.message.kind === 'lost') {
    return { message: { lost: { leaseEpoch: outbound.message.epoch, reason: outbound.message.reason, drained: outbound.message.drained === true } }, close: { code: grpc.status.FAILED_PRECONDITION, message: `lease lost: ${outbound.message.reason}` } };
  }
  return { close: { code: codeNumber(outbound.message.code), message: outbound.message.reason } };
}

export function nodeSessionHandlers(coordinator: Coordinator, config: RegistryConfig): NodeSessionHandlers {
  const { registry } = coordinator;
  return {
    Session(call) {
      const auth = peerAuth(call);
      const route = coordinator.newDirectRoute();
      let key: string | undefined;
      let instanceId = '';
      let ended = false;
      const end = (reply: Reply) => {
        if (reply.message) call.write(reply.message);
        if (reply.close && !ended) {
          ended = true;
          call.emit('error', statusError(reply.close.code, reply.close.message));
        }
      };
      const sink: RouteSink = {
        deliver: (outbound) => end(outboundToMessage(outbound)),
        send: (_key, message) => {
          if (!ended) call.write(message);
        },
      };
      coordinator.addRoute(route, sink);
      const closed = () => coordinator.removeRoute(route, sink);
      call.on('end', () => {
        closed();
        if (!ended) {
          ended = true;
          call.end();
        }
      });
      call.on('cancelled', closed);
      call.on('error', closed);
      call.on('data', (message: NodeMessage__Output) => {
        if (ended) return;
        if (key === undefined) {
          const register = message.attach?.register;
          const refused = register ? refuseUnlessMember(auth, 'node', register.clusterId, register.nodeId) : undefined;
          if (refused !== undefined) {
            coordinator.log.warn({ peer: call.getPeer(), reason: refused }, 'node session refused');
            return end({ close: { code: grpc.status.PERMISSION_DENIED, message: refused } });
          }
          const handled = handleControl(coordinator, config, route, message);
          key = handled.key;
          instanceId = message.attach?.register?.instanceId ?? '';
          void coordinator.commit().then(() => end(handled.reply()));
          return;
        }
        if (message.msg === 'liveness' && message.liveness) {
          const { seq, leaseEpoch, progress } = message.liveness;
          coordinator.stats.livenessPackets += 1;
          const result = registry.heartbeat(key, leaseEpoch, 0, route);
          if (result.ok) applyProgress(coordinator, key, progress);
          void coordinator.commit().then(() => {
            if (result.ok) end({ message: { renewed: { seq, leaseEpoch } } });
            else end({ message: { lost: { leaseEpoch, reason: result.error.message } }, close: { ...toStatusPair(result.error) } });
          });
        } else if (message.msg === 'leave' && message.leave) {
          const result = registry.leave(key, instanceId, message.leave.leaseEpoch);
          void coordinator.commit().then(() => end({ close: result.ok ? { code: grpc.status.OK, message: 'left' } : toStatusPair(result.error) }));
        } else {
          end({ close: { code: grpc.status.INVALID_ARGUMENT, message: `session is already attached as ${key}; unexpected ${message.msg ?? 'empty'} message` } });
        }
      });
    },
  };
}

/** Shard progress carried by a liveness packet whose lease was renewed. */
function applyProgress(coordinator: Coordinator, nodeKey: string, progress: readonly ShardProgress__Output[]): void {
  for (const p of progress) {
    coordinator.applyProgress(nodeKey, {
      broadcastId: p.broadcastId,
      shardId: p.shardId,
      epoch: p.epoch,
      watermark: p.watermark,
      delivered: p.delivered,
      skipped: p.skippedUnreachable,
      dead: p.deadLettered,
      done: p.done,
      stopped: p.stopped,
    });
  }
}

function toStatusPair(error: { code: Parameters<typeof codeNumber>[0]; message: string }): { code: number; message: string } {
  return { code: codeNumber(error.code), message: error.message };
}

export function relayLinkHandlers(coordinator: Coordinator, config: RegistryConfig): RelayLinkHandlers {
  const { registry } = coordinator;
  return {
    Link(call) {
      const auth = peerAuth(call);
      /** The cluster the relay's certificate names; undefined on a plaintext link. */
      let relayCluster: string | undefined;
      let relayKey: string | undefined;
      let relayEpoch = 0;
      let route: RouteId | undefined;
      let ended = false;
      /** Messages for leaves produced outside a batch (lease lost, superseded). */
      let unsolicited: LeafDelivery[] = [];
      let flushScheduled = false;
      const abort = (code: number, message: string) => {
        if (ended) return;
        ended = true;
        call.emit('error', statusError(code, message));
      };
      const toDelivery = (key: string, reply: Reply): LeafDelivery => ({
        nodeKey: key,
        message: reply.message ?? null,
        closeCode: reply.close?.code ?? 0,
        closeMessage: reply.close?.message ?? '',
      });
      const enqueue = (delivery: LeafDelivery) => {
        unsolicited.push(delivery);
        if (flushScheduled) return;
        flushScheduled = true;
        setImmediate(() => {
          flushScheduled = false;
          if (ended || unsolicited.length === 0) return;
          let deliveries: LeafDelivery[] = [];
          let bytes = 0;
          for (const delivery of unsolicited) {
            const size = deliveryBytes(delivery);
            if (deliveries.length > 0 && bytes + size > LINK_ACK_BYTES_MAX) {
              call.write({ batchAck: { batchId: 0, rejected: [], deliveries } });
              deliveries = [];
              bytes = 0;
            }
            deliveries.push(delivery);
            bytes += size;
          }
          call.write({ batchAck: { batchId: 0, rejected: [], deliveries } });
          unsolicited = [];
        });
      };
      const sink: RouteSink = {
        deliver: (outbound) => enqueue(toDelivery(outbound.key, outboundToMessage(outbound))),
        send: (key, message) => enqueue({ nodeKey: key, message, closeCode: 0, closeMessage: '' }),
      };
      const closed = () => {
        if (route !== undefined) coordinator.removeRoute(route, sink);
      };
      call.on('cancelled', closed);
      call.on('error', closed);
      call.on('end', () => {
        closed();
        if (!ended) {
          ended = true;
          call.end();
        }
      });
      call.on('data', (up) => {
        if (ended) return;
        if (relayKey === undefined) {
          if (up.msg !== 'hello' || !up.hello) return abort(grpc.status.INVALID_ARGUMENT, 'the first message on a relay link must be hello');
          const { clusterId, relayId, instanceId, address } = up.hello;
          for (const check of [checkId('cluster_id', clusterId), checkId('relay_id', relayId), checkInstanceId('instance_id', instanceId)]) {
            if (!check.ok) return abort(codeNumber(check.error.code), check.error.message);
          }
          const refused = refuseUnlessRelay(auth) ?? refuseUnlessMember(auth, 'relay', clusterId, relayId);
          if (refused !== undefined) {
            coordinator.log.warn({ peer: call.getPeer(), reason: refused }, 'relay link refused');
            return abort(grpc.status.PERMISSION_DENIED, refused);
          }
          if (auth.secure) relayCluster = clusterId;
          route = relayRoute(memberKey(clusterId, relayId));
          const result = registry.attach('RELAY', { clusterId, memberId: relayId, instanceId, address, labels: [], capacityWeight: 0 }, 0, route);
          if (!result.ok) return abort(codeNumber(result.error.code), result.error.message);
          relayKey = result.value.key;
          relayEpoch = result.value.epoch;
          coordinator.addRoute(route, sink);
          coordinator.log.info({ relayKey, relayEpoch, resumed: result.value.resumed }, 'relay linked');
          void coordinator.commit().then(() => call.write({ welcome: { flushIntervalMs: 0, heartbeatIntervalMs: config.heartbeatIntervalMs } }));
          return;
        }
        if (up.msg !== 'batch' || !up.batch) return abort(grpc.status.INVALID_ARGUMENT, `unexpected ${up.msg ?? 'empty'} message on an established relay link`);
        const batch = up.batch;
        const linkRoute = route!;
        // The batch is the relay's own liveness.
        const linkKey = relayKey;
        const self = registry.heartbeat(linkKey, relayEpoch, 0, linkRoute);
        if (!self.ok) return abort(codeNumber(self.error.code), `relay ${relayKey}: ${self.error.message}`);
        coordinator.stats.relayBatches += 1;
        coordinator.stats.livenessPackets += batch.liveness.length;
        coordinator.stats.relayedLivenessPackets += batch.liveness.length;
        // Sessions that ended come first: a leaf that closed and attached
        // again within one flush is detached, then attached, in that order.
        for (const key of batch.detached) if (refuseLeaf(relayCluster, key) === undefined) registry.detached(key, linkRoute);
        const rejected: LeafRejection[] = [];
        for (const entry of batch.liveness) {
          const refused = refuseLeaf(relayCluster, entry.nodeKey);
          if (refused !== undefined) {
            rejected.push({ nodeKey: entry.nodeKey, code: grpc.status.PERMISSION_DENIED, message: refused });
            continue;
          }
          const result = registry.heartbeat(entry.nodeKey, entry.leaseEpoch, entry.ageMs, linkRoute);
          if (result.ok) applyProgress(coordinator, entry.nodeKey, entry.progress);
          else rejected.push({ nodeKey: entry.nodeKey, code: codeNumber(result.error.code), message: result.error.message });
        }
        const replies: Array<{ key: string; reply: () => Reply }> = [];
        for (const leaf of batch.messages) {
          const message = leaf.message;
          if (message === null) continue;
          const refused = refuseLeaf(relayCluster, leaf.nodeKey, message);
          if (refused !== undefined) {
            replies.push({ key: leaf.nodeKey, reply: () => ({ close: { code: grpc.status.PERMISSION_DENIED, message: refused } }) });
            continue;
          }
          if (message.msg === 'leave' && message.leave) {
            const record = registry.get(leaf.nodeKey);
            const result = record === undefined ? fail('NOT_FOUND', `${leaf.nodeKey} is not registered`) : registry.leave(leaf.nodeKey, record.instanceId, message.leave.leaseEpoch);
            replies.push({ key: leaf.nodeKey, reply: () => ({ close: result.ok ? { code: grpc.status.OK, message: 'left' } : toStatusPair(result.error) }) });
            continue;
          }
          const handled = handleControl(coordinator, config, linkRoute, message);
          replies.push({ key: leaf.nodeKey, reply: handled.reply });
        }
        void coordinator.commit().then(() => {
          if (ended) return;
          const deliveries = replies.map(({ key, reply }) => toDelivery(key, reply()));
          call.write({ batchAck: { batchId: batch.batchId, rejected, deliveries } });
          // A relay with its unacknowledged batches at the limit waits for
          // us and sends nothing: its silence counts from this ack, not from
          // its last batch, or a slow coordinator would declare it DOWN.
          registry.heartbeat(linkKey, relayEpoch, 0, linkRoute);
        });
      });
    },
  };
}
