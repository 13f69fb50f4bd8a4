/** relaycast.v1.Membership: register, deregister, list and watch. */
import * as grpc from '@grpc/grpc-js';
import { errorStatus, statusError, toStatus } from '../protocol/grpc-status';
import type { MembershipHandlers } from '../protocol/generated/relaycast/v1/Membership';
import type { Member } from '../protocol/generated/relaycast/v1/Member';
import { checkId, checkInstanceId, LIST_RESPONSE_BYTES_MAX, memberKey } from '../protocol/validate';
import type { Coordinator } from './coordinator';
import { memberMessage, registerInput, registerResponse, watchEventMessage } from './convert';
import type { MemberState, RegistryConfig } from './core/registry';

export const LIST_PAGE_SIZE_DEFAULT = 500;
export const LIST_PAGE_SIZE_MAX = 5000;
/** What a listed member costs in a response beyond its strings, generously. */
const MEMBER_MESSAGE_OVERHEAD_BYTES = 128;

/** Upper bound of a member's encoded size: strings at 3 bytes per UTF-16 unit (labels can make it ~10 KB). */
function memberBytes(member: Member): number {
  let chars = (member.nodeKey?.length ?? 0) * 2 + (member.address?.length ?? 0) + (member.relayId?.length ?? 0);
  for (const label of member.labels ?? []) chars += (label.key?.length ?? 0) + (label.value?.length ?? 0);
  return chars * 3 + MEMBER_MESSAGE_OVERHEAD_BYTES;
}

const STATE_FILTER: Record<string, MemberState | undefined> = {
  NODE_STATE_ALIVE: 'ALIVE',
  NODE_STATE_SUSPECT: 'SUSPECT',
  NODE_STATE_DOWN: 'DOWN',
  NODE_STATE_DRAINING: 'DRAINING',
  NODE_STATE_LEFT: 'LEFT',
};

export function membershipHandlers(coordinator: Coordinator, config: RegistryConfig): MembershipHandlers {
  const { registry } = coordinator;
  return {
    Register(call, callback) {
      coordinator.propose(() => registry.attach('NODE', registerInput(call.request), 0, coordinator.newDirectRoute()), 'api').then(
        (result) => (result.ok ? callback(null, registerResponse(result.value, config)) : callback(toStatus(result.error))),
        (err: unknown) => callback(errorStatus(err)),
      );
    },

    Deregister(call, callback) {
      const { clusterId, nodeId, instanceId, leaseEpoch } = call.request;
      for (const check of [checkId('cluster_id', clusterId), checkId('node_id', nodeId), checkInstanceId('instance_id', instanceId)]) {
        if (!check.ok) return callback(toStatus(check.error));
      }
      coordinator.propose(() => registry.leave(memberKey(clusterId, nodeId), instanceId, Number(leaseEpoch)), 'api').then(
        (result) => (result.ok ? callback(null, { revision: registry.currentRevision }) : callback(toStatus(result.error))),
        (err: unknown) => callback(errorStatus(err)),
      );
    },

    ListNodes(call, callback) {
      const { clusterId, state, pageSize, pageToken, kind } = call.request;
      if (clusterId !== '') {
        const check = checkId('cluster_id', clusterId);
        if (!check.ok) return callback(toStatus(check.error));
      }
      if (pageSize > LIST_PAGE_SIZE_MAX) {
        return callback(statusError(grpc.status.INVALID_ARGUMENT, `page_size ${pageSize} is above the maximum ${LIST_PAGE_SIZE_MAX}`));
      }
      const limit = pageSize === 0 ? LIST_PAGE_SIZE_DEFAULT : pageSize;
      const stateFilter = STATE_FILTER[state];
      const kindFilter = kind === 'MEMBER_KIND_NODE' ? 'NODE' : kind === 'MEMBER_KIND_RELAY' ? 'RELAY' : undefined;
      // Snapshot only once everything decided so far is durable and
      // published, so that watching from the returned revision has no gap.
      coordinator.propose(() => undefined, 'api').then(() => {
        const nodes: Member[] = [];
        let nextPageToken = '';
        let bytes = 0;
        for (const record of registry.list(clusterId)) {
          if (pageToken !== '' && record.key <= pageToken) continue;
          if (stateFilter !== undefined && record.state !== stateFilter) continue;
          if (kindFilter !== undefined && record.kind !== kindFilter) continue;
          const member = memberMessage(record, { ageMs: registry.ageMs(record.key), relayId: registry.relayOf(record.key) });
          bytes += memberBytes(member);
          if (nodes.length === limit || (nodes.length > 0 && bytes > LIST_RESPONSE_BYTES_MAX)) {
            nextPageToken = nodes[nodes.length - 1]!.nodeKey!;
            break;
          }
          nodes.push(member);
        }
        callback(null, { nodes, revision: registry.currentRevision, nextPageToken });
      }, (err: unknown) => callback(errorStatus(err)));
    },

    Watch(call) {
      const { clusterId } = call.request;
      if (clusterId !== '') {
        const check = checkId('cluster_id', clusterId);
        if (!check.ok) return call.emit('error', statusError(toStatus(check.error).code!, check.error.message));
      }
      const after = call.request._afterRevision === 'afterRevision' ? call.request.afterRevision : undefined;
      let unsubscribe: (() => void) | undefined;
      let cancelled = false;
      call.on('cancelled', () => {
        cancelled = true;
        unsubscribe?.();
      });
      coordinator.watchHub
        .watch(clusterId, after, {
          write: (event) => call.write(watchEventMessage(event)),
          backlog: () => call.writableLength,
          end: (error) => {
            if (error === undefined) call.end();
            else call.emit('error', statusError(grpc.status.RESOURCE_EXHAUSTED, error.message));
          },
        })
        .then((result) => {
          if (!result.ok) return call.emit('error', statusError(toStatus(result.error).code!, result.error.message));
          unsubscribe = result.value;
          if (cancelled) unsubscribe();
        }, (err: Error) => call.emit('error', statusError(grpc.status.INTERNAL, err.message)));
    },
  };
}
