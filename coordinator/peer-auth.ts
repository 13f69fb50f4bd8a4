/**
 * Identity checks for the unary calls members make on their own behalf,
 * as wrappers around the services' handlers (sessions and relay links are
 * checked inside session-service.ts). Over a plaintext port they pass
 * everything through; over TLS the caller's certificate must name the node
 * the request speaks for (platform/peer-identity.ts), or the call is
 * PERMISSION_DENIED and changes nothing.
 */
import * as grpc from '@grpc/grpc-js';
import { statusError } from '../protocol/grpc-status';
import { peerAuth, refuseUnlessMember } from '../platform/peer-identity';
import type { MembershipHandlers } from '../protocol/generated/relaycast/v1/Membership';
import type { ShardDataHandlers } from '../protocol/generated/relaycast/v1/ShardData';

/** "<cluster>/<id>" → its parts ('' for both when it is not a key). */
function splitKey(nodeKey: string): { clusterId: string; id: string } {
  const slash = nodeKey.indexOf('/');
  return slash <= 0 ? { clusterId: '', id: '' } : { clusterId: nodeKey.slice(0, slash), id: nodeKey.slice(slash + 1) };
}

/** ReadAudience and ReportDeadLetters only for the node named by request.node_key. */
export function guardShardData(handlers: ShardDataHandlers): ShardDataHandlers {
  return {
    ReadAudience(call, callback) {
      const { clusterId, id } = splitKey(call.request.nodeKey);
      const refused = refuseUnlessMember(peerAuth(call), 'node', clusterId, id);
      if (refused !== undefined) return callback(statusError(grpc.status.PERMISSION_DENIED, refused));
      handlers.ReadAudience(call, callback);
    },
    ReportDeadLetters(call, callback) {
      const { clusterId, id } = splitKey(call.request.nodeKey);
      const refused = refuseUnlessMember(peerAuth(call), 'node', clusterId, id);
      if (refused !== undefined) return callback(statusError(grpc.status.PERMISSION_DENIED, refused));
      handlers.ReportDeadLetters(call, callback);
    },
  };
}

/**
 * Register and Deregister are public (an admin token covers them), but a
 * caller whose certificate names a member may only (de)register that
 * member: a node cannot register under another node's identity, and a
 * relay's certificate registers no node. Certificates that name no member
 * (operators', other services') are left to the token check.
 */
export function guardMembership(handlers: MembershipHandlers): MembershipHandlers {
  const check = (call: { getAuthContext?: () => unknown }, clusterId: string, nodeId: string): string | undefined => {
    const auth = peerAuth(call as Parameters<typeof peerAuth>[0]);
    if (!auth.secure || auth.identity === undefined) return undefined;
    return refuseUnlessMember(auth, 'node', clusterId, nodeId);
  };
  return {
    ...handlers,
    Register(call, callback) {
      const refused = check(call, call.request.clusterId, call.request.nodeId);
      if (refused !== undefined) return callback(statusError(grpc.status.PERMISSION_DENIED, refused));
      handlers.Register(call, callback);
    },
    Deregister(call, callback) {
      const refused = check(call, call.request.clusterId, call.request.nodeId);
      if (refused !== undefined) return callback(statusError(grpc.status.PERMISSION_DENIED, refused));
      handlers.Deregister(call, callback);
    },
  };
}
