import { ConfigError, LOG_LEVEL_OPTION, METRICS_LISTEN_OPTION, type Schema, type ConfigOf } from '../platform/config';
import { checkTransport, transportOptions } from '../platform/tls';


export const RELAY_SCHEMA = [
  { name: 'coordinator', kind: 'address', default: '127.0.0.1:7070', doc: 'Coordinator HOST:PORT the relay links to.' },
  { name: 'listen', kind: 'address', default: '127.0.0.1:7071', doc: 'Where nodes attach (NodeSession), plus health and reflection.' },
  { name: 'cluster', kind: 'id', default: 'default', doc: 'Cluster id the relay registers in.' },
  { name: 'id', kind: 'id', default: '', doc: 'Relay id, unique in the cluster among nodes and relays. Required.' },
  { name: 'relayFlushMs', kind: 'int', default: 100, min: 5, max: 10_000, doc: 'How often the relay forwards one batch upstream. Adds at most this much to detection time; lower costs more coordinator CPU.' },
  { name: 'relayBatchEntriesMax', kind: 'int', default: 20_000, min: 1, max: 1_000_000, doc: 'Entries per batch; the rest waits for the next flush.' },
  { name: 'relayBatchesInFlightMax', kind: 'int', default: 4, min: 1, max: 1000, doc: 'Unacknowledged batches before the relay stops flushing (backpressure).' },
  { name: 'relayLeavesMax', kind: 'int', default: 200_000, min: 1, max: 10_000_000, doc: 'Nodes one relay carries at most; more are refused with RESOURCE_EXHAUSTED.' },
  { name: 'reconnectBackoffMinMs', kind: 'int', default: 100, min: 1, max: 600_000, doc: 'First back-off when the coordinator link fails (jittered, doubling).' },
  { name: 'reconnectBackoffMaxMs', kind: 'int', default: 2000, min: 1, max: 600_000, doc: 'Largest back-off between link attempts.' },
  { name: 'shutdownGraceMs', kind: 'int', default: 1000, min: 0, max: 60_000, doc: 'How long shutdown waits for calls to finish.' },
  METRICS_LISTEN_OPTION,
  ...transportOptions('relay'),
  LOG_LEVEL_OPTION,
] as const satisfies Schema;

/** The parsed settings, derived from the schema (each declared once, there). */
export type RelayConfig = ConfigOf<typeof RELAY_SCHEMA>;

export function checkRelayConfig(config: RelayConfig): RelayConfig {
  if (config.id === '') throw new ConfigError('--id (RELAYCAST_ID) is required');
  if (config.reconnectBackoffMinMs > config.reconnectBackoffMaxMs) throw new ConfigError('--reconnect-backoff-min-ms must not exceed --reconnect-backoff-max-ms');
  checkTransport(config, 'relay');
  return config;
}
