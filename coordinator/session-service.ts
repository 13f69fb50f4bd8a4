/**
 * The member-facing streams: NodeSession (a node talking to the coordinator
 * directly) and RelayLink (a relay carrying many nodes in batches). What
 * each message means is decided by the member protocol core
 * (core/links.ts) inside one command; this shell only frames replies,
 * checks peer certificates, and respects flow control both ways.
 */
import { LINK_ACK_BYTES_MAX } from '../protocol/limits';
import * as grpc from '@grpc/grpc-js';
import { codeNumber, statusError } from '../protocol/grpc-status';
import type { NodeSessionHandlers } from '../protocol/generated/relaycast/v1/NodeSession';
import type { RelayLinkHandlers } from '../protocol/generated/relaycast/v1/RelayLink';
import type { NodeMessage__Output } from '../protocol/generated/relaycast/v1/NodeMessage';
import type { LeafDelivery } from '../protocol/generated/relaycast/v1/LeafDelivery';
import type { RelayUp__Output } from '../protocol/generated/relaycast/v1/RelayUp';
import type { RelayDown } from '../protocol/generated/relaycast/v1/RelayDown';
import type { Coordinator, RouteSink } from './coordinator';
import type { Close, RelayLinkState, Reply, SessionState } from './core/links';
import type { RegistryConfig } from './core/registry';
import { peerAuth, refuseUnlessMember, refuseUnlessRelay } from '../platform/peer-identity';

/** Everything in a delivery but an order's template, generously. */
const DELIVERY_OVERHEAD_BYTES = 1024;

function deliveryBytes(delivery: LeafDelivery): number {
  return (delivery.message?.order?.template?.length ?? 0) * 3 + (delivery.closeMessage?.length ?? 0) * 3 + DELIVERY_OVERHEAD_BYTES;
}

function closeCode(close: Close): number {
  return close.code === 'OK' ? grpc.status.OK : codeNumber(close.code);
}

function toDelivery(nodeKey: string, reply: Reply): LeafDelivery {
  return { nodeKey, message: reply.message ?? null, closeCode: reply.close === undefined ? 0 : closeCode(reply.close), closeMessage: reply.close?.message ?? '' };
}

/**
 * Flow control on a member stream: stop reading while the coordinator's
 * commit queue is full or while the peer does not take what we write, and
 * read again once both have room. Writes are never dropped; a peer that
 * stops reading stops being read.
 */
function flowControl(coordinator: Coordinator, call: grpc.ServerDuplexStream<unknown, unknown>): { write: (message: unknown) => void; admitted: () => void } {
  let pausedForPeer = false;
  let pausedForQueue = false;
  const resume = () => {
    if (!pausedForPeer && !pausedForQueue) call.resume();
  };
  call.on('drain', () => {
    pausedForPeer = false;
    resume();
  });
  return {
    write: (message) => {
      if (!call.write(message) && !pausedForPeer) {
        pausedForPeer = true;
        call.pause();
      }
    },
    admitted: () => {
      if (!coordinator.busy || pausedForQueue) return;
      pausedForQueue = true;
      call.pause();
      void coordinator.whenRoom().then(() => {
        pausedForQueue = false;
        resume();
      });
    },
  };
}

export function nodeSessionHandlers(coordinator: Coordinator): NodeSessionHandlers {
  return {
    Session(call) {
      const auth = peerAuth(call);
      const session: SessionState = { route: coordinator.newDirectRoute(), key: undefined, instanceId: '' };
      const flow = flowControl(coordinator, call as never);
      let ended = false;
      const end = (reply: Reply) => {
        if (ended) return;
        if (reply.message) flow.write(reply.message);
        if (reply.close) {
          ended = true;
          if (reply.close.code === 'OK') call.end();
          else call.emit('error', statusError(closeCode(reply.close), reply.close.message));
        }
      };
      const sink: RouteSink = { send: (_key, reply) => end(reply) };
      coordinator.addRoute(session.route, sink);
      const closed = () => coordinator.removeRoute(session.route, sink);
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
        if (session.key === undefined) {
          const register = message.attach?.register;
          const refused = register ? refuseUnlessMember(auth, 'node', register.clusterId, register.nodeId) : undefined;
          if (refused !== undefined) {
            coordinator.log.warn({ peer: call.getPeer(), reason: refused }, 'node session refused');
            return end({ close: { code: 'PERMISSION_DENIED', message: refused } });
          }
        }
        if (message.msg === 'liveness') coordinator.stats.livenessPackets += 1;
        coordinator
          .propose(() => {
            const outcome = coordinator.links.sessionMessage(session, message);
            // Inside the command: progress noted now is in this command's write.
            coordinator.noteProgress(outcome);
            return outcome;
          }, 'member')
          .then((outcome) => {
            end(outcome.reply);
          }, (err: { code?: Close['code']; message: string }) => end({ close: { code: err.code ?? 'UNAVAILABLE', message: err.message } }));
        flow.admitted();
      });
    },
  };
}

export function relayLinkHandlers(coordinator: Coordinator, config: RegistryConfig): RelayLinkHandlers {
  return {
    Link(call) {
      const auth = peerAuth(call);
      let link: RelayLinkState | undefined;
      let ended = false;
      const flow = flowControl(coordinator, call as never);
      /** Messages for leaves produced outside a batch (orders, revokes, lease lost, superseded). */
      let unsolicited: LeafDelivery[] = [];
      let flushScheduled = false;
      const write = (down: RelayDown) => {
        if (!ended) flow.write(down);
      };
      const abort = (code: number, message: string) => {
        if (ended) return;
        ended = true;
        call.emit('error', statusError(code, message));
      };
      const flushUnsolicited = () => {
        flushScheduled = false;
        if (ended || unsolicited.length === 0) return;
        let deliveries: LeafDelivery[] = [];
        let bytes = 0;
        for (const delivery of unsolicited) {
          const size = deliveryBytes(delivery);
          if (deliveries.length > 0 && bytes + size > LINK_ACK_BYTES_MAX) {
            write({ batchAck: { batchId: 0, rejected: [], deliveries } });
            deliveries = [];
            bytes = 0;
          }
          deliveries.push(delivery);
          bytes += size;
        }
        write({ batchAck: { batchId: 0, rejected: [], deliveries } });
        unsolicited = [];
      };
      const sink: RouteSink = {
        send: (key, reply) => {
          unsolicited.push(toDelivery(key, reply));
          if (flushScheduled) return;
          flushScheduled = true;
          setImmediate(flushUnsolicited);
        },
      };
      const closed = () => {
        if (link !== undefined) coordinator.removeRoute(link.route, sink);
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
      call.on('data', (up: RelayUp__Output) => {
        if (ended) return;
        if (link === undefined) {
          if (up.msg !== 'hello' || !up.hello) return abort(grpc.status.INVALID_ARGUMENT, 'the first message on a relay link must be hello');
          const hello = up.hello;
          const refused = refuseUnlessRelay(auth) ?? refuseUnlessMember(auth, 'relay', hello.clusterId, hello.relayId);
          if (refused !== undefined) {
            coordinator.log.warn({ peer: call.getPeer(), reason: refused }, 'relay link refused');
            return abort(grpc.status.PERMISSION_DENIED, refused);
          }
          coordinator
            .propose(() => {
              const result = coordinator.links.relayHello(hello, auth.secure);
              if (result.ok) {
                link = result.value;
                coordinator.addRoute(link.route, sink);
              }
              return result;
            }, 'member')
            .then((result) => {
              if (!result.ok) return abort(codeNumber(result.error.code), result.error.message);
              coordinator.log.info({ relayKey: result.value.relayKey, relayEpoch: result.value.epoch, resumed: result.value.resumed }, 'relay linked');
              write({ welcome: { flushIntervalMs: 0, heartbeatIntervalMs: config.heartbeatIntervalMs } });
            }, (err: Error) => abort(grpc.status.UNAVAILABLE, err.message));
          return;
        }
        if (up.msg !== 'batch' || !up.batch) return abort(grpc.status.INVALID_ARGUMENT, `unexpected ${up.msg ?? 'empty'} message on an established relay link`);
        const batch = up.batch;
        const current = link;
        coordinator
          .propose(() => {
            const outcome = coordinator.links.relayBatch(current, batch);
            coordinator.noteProgress(outcome);
            return outcome;
          }, 'member')
          .then((outcome) => {
            if (outcome.abort !== undefined) return abort(codeNumber(outcome.abort.code), outcome.abort.message);
            coordinator.stats.relayBatches += 1;
            coordinator.stats.livenessPackets += outcome.liveness;
            coordinator.stats.relayedLivenessPackets += outcome.liveness;
            write({
              batchAck: {
                batchId: batch.batchId,
                rejected: outcome.rejected.map((r) => ({ nodeKey: r.nodeKey, code: codeNumber(r.code), message: r.message })),
                deliveries: outcome.replies.map(({ nodeKey, reply }) => toDelivery(nodeKey, reply)),
              },
            });
            coordinator.propose(() => coordinator.links.relayAcked(current), 'member', { ordered: false }).catch(() => undefined);
          }, (err: Error) => abort(grpc.status.UNAVAILABLE, err.message));
        flow.admitted();
      });
    },
  };
}
