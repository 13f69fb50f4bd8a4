/** relaycast.v1.Admin: the operator's view of the coordinator. */
import { toStatus } from '../shared/grpc-status';
import type { AdminHandlers } from '../shared/generated/relaycast/v1/Admin';
import type { StateCount } from '../shared/generated/relaycast/v1/StateCount';
import { checkId } from '../shared/validate';
import { VERSION } from '../shared/version';
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
      });
    },
  };
}
