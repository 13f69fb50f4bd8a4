/** The node's Prometheus metrics (docs/metrics.md), read from its shell at scrape time. */
import type { ProcessMetrics } from '../platform/metrics';
import type { NodeAgent } from './agent';
import type { Worker } from './worker';

export function registerNodeMetrics(metrics: ProcessMetrics, worker: Worker, agent: NodeAgent): void {
  const core = worker.core;
  metrics.counterFrom('relaycast_node_deliveries_total',
    'Items by result: delivered, skipped (unreachable: presence or the gateway said so), dead_lettered (recorded at the coordinator), retry (the gateway answered RETRY), gateway_unavailable (items of a gateway call that failed as a whole; kept in the outbox), gateway_refused (items of a call the gateway refused as a whole; an attempt each).',
    () => {
      const d = core.deliveries;
      return { delivered: d.delivered, skipped: d.skipped, dead_lettered: d.deadLettered, retry: d.retry, gateway_unavailable: d.gatewayUnavailable, gateway_refused: d.gatewayRefused };
    }, 'result');
  metrics.counterFrom('relaycast_node_dead_letters_total',
    'Items dead-lettered (recorded at the coordinator) by reason: permanent_failure (the gateway answered PERMANENT_FAILURE), attempts_exhausted (RETRY answers up to --delivery-attempts-max), gateway_refused (calls the gateway refused, up to --delivery-attempts-max), unrenderable (the template cannot be rendered for the recipient).',
    () => ({ ...core.deadLettersByClass }), 'reason');
  metrics.counterFrom('relaycast_node_gateway_refusals_total', 'Gateway calls (deliveries and presence lookups) the gateway refused as a whole: HTTP 4xx other than 408/429, or a non-transient gRPC status.', () => core.gatewayRefusals);
  metrics.counterFrom('relaycast_node_shards_given_back_total', 'Shards this node stopped and reported stopped because a coordinator call (a page read, a dead-letter report) failed --coordinator-call-attempts-max times in a row, or was refused; the coordinator hands the remainder on.', () => core.shardsGivenBack);
  metrics.gaugeFrom('relaycast_node_outbox_items', 'Items held in memory for another attempt (RETRY answers, refused and failed calls); at --outbox-items-max no new page is read.', () => core.outboxSize);
  metrics.gaugeFrom('relaycast_node_active_shards', 'Shards this node is working on.', () => core.activeShards);
  metrics.gaugeFrom('relaycast_node_gateway_healthy', '1 while the gateway answers (a refusal is an answer), 0 while the node holds deliveries for it to recover.', () => (core.gatewayHealthy ? 1 : 0));
  metrics.gaugeFrom('relaycast_node_lease_valid', '1 while the node holds a valid lease (it delivers only then), else 0.', () => (agent.serving ? 1 : 0));
  metrics.gaugeFrom('relaycast_node_lease_epoch', 'The epoch of the node\'s current lease (0: none); a change means it registered again.', () => agent.core.leaseEpoch);
}
