import { ConfigError, LOG_LEVEL_OPTION, METRICS_LISTEN_OPTION, type Schema, type ConfigOf } from '../platform/config';
import { parseGatewayTarget } from './gateway-client';
import { checkTransport, transportOptions } from '../platform/tls';


export const NODE_SCHEMA = [
  { name: 'coordinator', kind: 'address', default: '', doc: 'Coordinator HOST:PORT. Used directly when no relays are given, otherwise as the last resort after every relay failed.' },
  { name: 'relays', kind: 'list', default: [], doc: 'Comma-separated relay HOST:PORT list, in order of preference.' },
  { name: 'cluster', kind: 'id', default: 'default', doc: 'Cluster id (letters, digits, . _ -; at most 63).' },
  { name: 'id', kind: 'id', default: '', doc: 'Node id, unique in the cluster (letters, digits, . _ -; at most 63). Required.' },
  { name: 'listen', kind: 'address', default: '127.0.0.1:0', doc: 'Health and reflection port; health is SERVING only while the lease is valid. Advertised as the node address.' },
  { name: 'labels', kind: 'string', default: '', doc: 'Labels as key=value pairs separated by commas.' },
  { name: 'capacityWeight', kind: 'int', default: 1, min: 1, max: 1000, doc: 'Relative share of broadcast work this node takes.' },
  { name: 'relayFailoverMs', kind: 'int', default: 1000, min: 50, max: 600_000, doc: 'Move to the next relay after this long without a lease renewal.' },
  { name: 'reconnectBackoffMinMs', kind: 'int', default: 100, min: 1, max: 600_000, doc: 'First back-off after every endpoint failed (jittered, doubling).' },
  { name: 'reconnectBackoffMaxMs', kind: 'int', default: 5000, min: 1, max: 600_000, doc: 'Largest back-off between connection attempts.' },
  { name: 'shutdownGraceMs', kind: 'int', default: 2000, min: 0, max: 60_000, doc: 'How long SIGTERM waits for a graceful leave.' },
  { name: 'gateway', kind: 'string', default: '127.0.0.1:7090', doc: 'The downstream gateway: HOST:PORT or grpc://HOST:PORT (relaycast.gateway.v1.Gateway), or an http(s):// webhook base URL.' },
  { name: 'gatewayTimeoutMs', kind: 'int', default: 5000, min: 10, max: 600_000, doc: 'Bound on one gateway call; a timeout counts as the gateway being unavailable.' },
  { name: 'deliverBatchSize', kind: 'int', default: 500, min: 1, max: 10_000, doc: 'Items per gateway Deliver call.' },
  { name: 'deliverBatchesInFlightMax', kind: 'int', default: 4, min: 1, max: 256, doc: 'Deliver calls in flight per shard.' },
  { name: 'audiencePageSize', kind: 'int', default: 2000, min: 1, max: 5000, doc: 'Recipients read from the coordinator per page.' },
  { name: 'deliveryAttemptsMax', kind: 'int', default: 5, min: 1, max: 1000, doc: 'Attempts at an item before it is dead-lettered, counting RETRY answers and calls the gateway refused (HTTP 4xx other than 408/429, a non-transient gRPC status; the reason says "gateway refused: ..."). Calls that fail as a whole (unavailable, timeouts) count no attempt: their items wait for the gateway.' },
  { name: 'gatewayRetryMinMs', kind: 'int', default: 100, min: 1, max: 600_000, doc: 'First wait before an item is resent after RETRY or a refusal, and before the gateway is probed again after it failed (jittered, doubling).' },
  { name: 'gatewayRetryMaxMs', kind: 'int', default: 2000, min: 1, max: 600_000, doc: 'Longest of those waits.' },
  { name: 'outboxItemsMax', kind: 'int', default: 100_000, min: 1, max: 10_000_000, doc: 'Items held in memory for another attempt (after RETRY, a refusal, or a failed call), over all shards. At this many the node reads no new audience page until some leave; nothing is dropped. Nothing is stored on disk: after a crash the next owner resends from the coordinator\'s checkpoint.' },
  { name: 'coordinatorCallAttemptsMax', kind: 'int', default: 10, min: 1, max: 1000, doc: 'Tries of an audience page read or a dead-letter report at the coordinator (jittered back-off from 100 ms, doubling to 5 s) before the node gives the shard back: it stops it and reports where it stopped, so the coordinator hands the remainder on.' },
  METRICS_LISTEN_OPTION,
  ...transportOptions('node'),
  { name: 'gatewayTlsCaFile', kind: 'path', default: '', doc: 'PEM CA bundle the gateway\'s certificate (gRPC with TLS, or an https:// webhook) is verified against; default: the system\'s trusted roots plus --tls-ca-file.' },
  LOG_LEVEL_OPTION,
] as const satisfies Schema;

/** The parsed settings, derived from the schema (each declared once, there). */
export type NodeConfig = ConfigOf<typeof NODE_SCHEMA>;

export function parseLabels(text: string): Array<{ key: string; value: string }> {
  if (text.trim() === '') return [];
  return text.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--labels: expected key=value, got ${JSON.stringify(pair)}`);
    return { key: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
  });
}

export function checkNodeConfig(config: NodeConfig): NodeConfig {
  if (config.id === '') throw new ConfigError('--id (RELAYCAST_ID) is required');
  if (config.coordinator === '' && config.relays.length === 0) throw new ConfigError('give --relays, --coordinator, or both');
  if (config.reconnectBackoffMinMs > config.reconnectBackoffMaxMs) throw new ConfigError('--reconnect-backoff-min-ms must not exceed --reconnect-backoff-max-ms');
  parseLabels(config.labels);
  try {
    parseGatewayTarget(config.gateway);
  } catch (err) {
    throw new ConfigError(`--gateway: ${(err as Error).message}`);
  }
  if (config.gatewayRetryMinMs > config.gatewayRetryMaxMs) throw new ConfigError('--gateway-retry-min-ms must not exceed --gateway-retry-max-ms');
  checkTransport(config, 'node');
  if (!config.plaintext && parseGatewayTarget(config.gateway).kind === 'http' && /^http:/i.test(config.gateway.trim())) {
    throw new ConfigError(`--gateway ${config.gateway} is plain HTTP, but this node runs with TLS: use an https:// URL, or --plaintext`);
  }
  return config;
}
