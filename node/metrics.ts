/** The node's Prometheus metrics (docs/metrics.md), read from its shell at scrape time. */
import type { ProcessMetrics } from '../shared/metrics';
import type { NodeAgent } from './agent';
import type { Worker } from './worker';

export function registerNodeMetrics(metrics: ProcessMetrics, worker: Worker, agent: NodeAgent): void {
  metrics.counterFrom('relaycast_node_deliveries_total',
    'Items by result: delivered, skipped (unreachable: presence or the gateway said so), dead_lettered (recorded at the coordinator), retry (the gateway answered RETRY), gateway_unavailable (items of a gateway call that failed as a whole; kept in the outbox).',
    () => {
      const d = worker.deliveries;
      return { delivered: d.delivered, skipped: d.skipped, dead_lettered: d.deadLettered, retry: d.retry, gateway_unavailable: d.gatewayUnavailable };
    }, 'result');
  metrics.gaugeFrom('relaycast_node_outbox_items', 'Items in the durable outbox waiting for the gateway (RETRY answers and failed calls).', () => worker.outboxSize);
  metrics.gaugeFrom('relaycast_node_active_shards', 'Shards this node is working on.', () => worker.activeShards);
  metrics.gaugeFrom('relaycast_node_gateway_healthy', '1 while the last gateway call succeeded, 0 while the node holds deliveries for the gateway to recover.', () => (worker.gatewayIsHealthy ? 1 : 0));
  metrics.gaugeFrom('relaycast_node_lease_valid', '1 while the node holds a valid lease (it delivers only then), else 0.', () => (agent.serving ? 1 : 0));
  metrics.gaugeFrom('relaycast_node_lease_epoch', 'The epoch of the node\'s current lease (0: none); a change means it registered again.', () => agent.core.leaseEpoch);
}
