/** The relay's Prometheus metrics (docs/metrics.md), read from its shell at scrape time. */
import type { ProcessMetrics } from '../platform/metrics';
import type { Relay } from './relay';

/** Entries per batch: one per leaf that spoke in a flush, up to --relay-batch-entries-max (20,000 by default). */
const BATCH_ENTRIES_BUCKETS = [0, 1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 20_000, 50_000];

export function registerRelayMetrics(metrics: ProcessMetrics, relay: Relay): void {
  metrics.counterFrom('relaycast_relay_liveness_packets_total', 'Liveness packets received from the relay\'s leaves (nodes).', () => relay.stats.livenessPackets);
  metrics.counterFrom('relaycast_relay_batches_sent_total', 'Batches sent to the coordinator.', () => relay.stats.batchesSent);
  metrics.gaugeFrom('relaycast_relay_leaves', 'Node sessions open on this relay.', () => relay.sessionCount);
  metrics.gaugeFrom('relaycast_relay_linked', '1 while the relay is linked to the coordinator, else 0.', () => (relay.isLinked ? 1 : 0));
  const batchEntries = metrics.histogram('relaycast_relay_batch_entries', 'Entries (liveness, control messages, detached leaves) per batch sent to the coordinator.', BATCH_ENTRIES_BUCKETS);
  relay.onBatchSent = (entries) => batchEntries.observe(entries);
}
