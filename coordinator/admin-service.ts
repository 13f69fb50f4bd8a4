/** relaycast.v1.Admin: the operator's view of the coordinator. */
import { errorStatus, toStatus } from '../protocol/grpc-status';
import type { AdminHandlers } from '../protocol/generated/relaycast/v1/Admin';
import type { StateCount } from '../protocol/generated/relaycast/v1/StateCount';
import { checkId, memberKey } from '../protocol/validate';
import { memberMessage } from './convert';
import { VERSION } from '../platform/version';
import type { Coordinator } from './coordinator';

export function adminHandlers(coordinator: Coordinator): AdminHandlers {
  const { registry } = coordinator;
  return {
    GetStatus(call, callback) {
      const { clusterId } = call.request;
      if (clusterId !== '') {
        const check = checkId('cluster_id', clusterId);
        if (!check.ok) return callback(toStatus(check.error));
      }
      const counts = new Map<string, StateCount>();
      for (const record of registry.list(clusterId)) {
        const id = `${record.kind}/${record.state}`;
        const entry = counts.get(id) ?? { kind: `MEMBER_KIND_${record.kind}`, state: `NODE_STATE_${record.state}`, count: 0 };
        entry.count! += 1;
        counts.set(id, entry);
      }
      const routes = coordinator.routeCounts();
      callback(null, {
        version: VERSION,
        revision: registry.currentRevision,
        oldestRetainedRevision: registry.oldestRetainedRevision,
        members: [...counts.values()],
        directSessions: routes.direct,
        relayLinks: routes.relay,
        watchers: coordinator.watchHub.watcherCount,
        livenessPacketsTotal: coordinator.stats.livenessPackets,
        relayBatchesTotal: coordinator.stats.relayBatches,
        uptimeMs: Math.round(coordinator.clock.monotonicMs() - coordinator.stats.startedMs),
        reassignP50Ms: percentile(coordinator.takeoverLatenciesMs, 0.5),
        reassignP99Ms: percentile(coordinator.takeoverLatenciesMs, 0.99),
        reassignments: coordinator.takeoverLatenciesMs.length,
      });
    },

    DrainNode(call, callback) {
      const { clusterId, nodeId } = call.request;
      for (const check of [checkId('cluster_id', clusterId), checkId('node_id', nodeId)]) if (!check.ok) return callback(toStatus(check.error));
      const key = memberKey(clusterId, nodeId);
      const record = registry.get(key);
      if (record?.kind === 'RELAY') return callback(toStatus({ code: 'INVALID_ARGUMENT', message: `${key} is a relay; only nodes can be drained` }));
      coordinator
        .propose(() => {
          const result = registry.drain(key, 'drain requested by an operator');
          return result.ok ? { ok: true as const, shards: coordinator.scheduler.ownedBy(key) } : result;
        }, 'api')
        .then((result) => {
          if (!result.ok) return callback(toStatus(result.error));
          coordinator.log.info({ nodeKey: key, shards: result.shards }, 'node draining');
          callback(null, { node: memberMessage(registry.get(key)!), shards: result.shards });
        }, (err: unknown) => callback(errorStatus(err)));
    },
  };
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100;
}
