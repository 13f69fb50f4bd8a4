import { ConfigError, LOG_LEVEL_OPTION, METRICS_LISTEN_OPTION, type Schema, type ConfigOf } from '../platform/config';
import { checkTransport, transportOptions } from '../platform/tls';


/** Retentions up to about ten years. */
const RETENTION_MS_MAX = 315_360_000_000;

export const COORDINATOR_SCHEMA = [
  { name: 'listen', kind: 'address', default: '127.0.0.1:7070', doc: 'gRPC listen address (HOST:PORT; port 0 picks a free port).' },
  { name: 'dataDir', kind: 'path', default: './relaycast-data', doc: 'LevelDB directory for the registry, events and broadcasts.' },
  { name: 'heartbeatIntervalMs', kind: 'int', default: 500, min: 10, max: 60_000, doc: 'How often nodes send liveness (told to nodes on attach).' },
  { name: 'suspectAfterMs', kind: 'int', default: 1000, min: 20, max: 600_000, doc: 'Silence after which a member is SUSPECT.' },
  { name: 'downAfterMs', kind: 'int', default: 2000, min: 30, max: 600_000, doc: 'Silence after which a member is DOWN and its work is handed on.' },
  { name: 'leaseTtlMs', kind: 'int', default: 1500, min: 20, max: 600_000, doc: 'Lease a node holds from the send time of an acknowledged liveness packet; it self-fences when it expires. Must be below downAfterMs.' },
  { name: 'disconnectedDownMarginMs', kind: 'int', default: 100, min: 1, max: 600_000, doc: 'A member whose connection closed (its relay or the coordinator saw the session end, as when the process dies) and that has not re-attached is DOWN after --lease-ttl-ms plus this much silence, when its lease has surely lapsed, instead of after --down-after-ms. A paused or partitioned member keeps its connection and gets the full --down-after-ms. At least --down-after-ms minus --lease-ttl-ms turns it off.' },
  { name: 'relayGraceMs', kind: 'int', default: 3000, min: 0, max: 600_000, doc: 'When a relay goes quiet, its leaves get this long to re-attach elsewhere before they can be declared DOWN.' },
  { name: 'restartGraceMs', kind: 'int', default: 3000, min: 0, max: 600_000, doc: 'After a coordinator start, members get this long to re-attach before anything is declared DOWN.' },
  { name: 'failureCheckIntervalMs', kind: 'int', default: 25, min: 1, max: 10_000, doc: 'How often the failure detector runs.' },
  { name: 'eventsRetainedMax', kind: 'int', default: 100_000, min: 10, max: 100_000_000, doc: 'Membership events kept for Watch resumption; older revisions get OUT_OF_RANGE.' },
  { name: 'watchBufferEventsMax', kind: 'int', default: 10_000, min: 10, max: 10_000_000, doc: 'Events buffered for one slow watcher before its stream is ended (it can resume).' },
  { name: 'shutdownGraceMs', kind: 'int', default: 2000, min: 0, max: 60_000, doc: 'How long shutdown waits for calls to finish.' },
  { name: 'advertiseAddress', kind: 'string', default: '', doc: 'Address nodes use to read audience pages (HOST:PORT); default: the listen address.' },
  { name: 'shardSizeDefault', kind: 'int', default: 10_000, min: 1, max: 10_000_000, doc: 'Recipients per shard when a broadcast does not choose.' },
  { name: 'shardsPerWeight', kind: 'int', default: 2, min: 1, max: 1000, doc: 'Shards a node works on at once, per unit of its capacity weight.' },
  { name: 'splitSizeMin', kind: 'int', default: 500, min: 1, max: 10_000_000, doc: 'A remainder is never cut into pieces smaller than this (takeover, stealing).' },
  { name: 'checkpointIntervalMs', kind: 'int', default: 200, min: 1, max: 60_000, doc: 'Shard progress is written to LevelDB at most this often (in one batch).' },
  { name: 'orderResendMs', kind: 'int', default: 2000, min: 50, max: 600_000, doc: 'Re-send an order or revoke that its node has not confirmed after this long.' },
  { name: 'broadcastRetentionMs', kind: 'int', default: 604_800_000, min: 1000, max: RETENTION_MS_MAX, doc: 'A finished broadcast (completed or cancelled, every shard stopped) is deleted this long after it finished, with its audience, dead letters and request id; GetBroadcast then answers NOT_FOUND saying when it finished. An uploaded audience that no remaining broadcast uses is deleted this long after its upload. Default 7 days.' },
  { name: 'memberRetentionMs', kind: 'int', default: 86_400_000, min: 1000, max: RETENTION_MS_MAX, doc: 'A node or relay that is DOWN or LEFT and has not registered again is deleted this long after it went: no event, ListNodes no longer shows it, and it registers again from lease epoch 1. Default 24 hours.' },
  { name: 'commitsQueuedMax', kind: 'int', default: 10_000, min: 1, max: 1_000_000, doc: 'Changes waiting for the store (one atomic write each) beyond which API calls that change state are refused with UNAVAILABLE and member streams stop being read until the queue drains (liveness is never refused).' },
  METRICS_LISTEN_OPTION,
  { name: 'apiRatePerS', kind: 'int', default: 1000, min: 0, max: 1_000_000, doc: 'Calls per second one client (peer address) may make to the public API (Broadcasts, Membership, Admin; a stream counts once); more are refused with RESOURCE_EXHAUSTED. 0: unlimited. Node and relay traffic is never limited.' },
  { name: 'apiBurst', kind: 'int', default: 2000, min: 1, max: 1_000_000, doc: 'Calls a client may make at once, above --api-rate-per-s, after being idle.' },
  { name: 'apiRateClientsMax', kind: 'int', default: 10_000, min: 1, max: 10_000_000, doc: 'Clients the rate limiter tracks; beyond it the least recently seen is forgotten (and starts again with a full burst).' },
  ...transportOptions('coordinator'),
  { name: 'tokensFile', kind: 'path', default: '', doc: 'API tokens for Broadcasts, Membership and Admin: a file of "SCOPE TOKEN [NAME]" lines (SCOPE read or admin). Calls then need "authorization: Bearer TOKEN"; read covers Get*/List*/Watch* and GetStatus, admin everything. Empty: no tokens needed (anyone who can connect may call).' },
  LOG_LEVEL_OPTION,
] as const satisfies Schema;

/** The parsed settings, derived from the schema (each declared once, there). */
export type CoordinatorConfig = ConfigOf<typeof COORDINATOR_SCHEMA>;

/** Relations between settings that single-value validation cannot see. */
export function checkCoordinatorConfig(config: CoordinatorConfig): CoordinatorConfig {
  const { heartbeatIntervalMs, suspectAfterMs, downAfterMs, leaseTtlMs } = config;
  if (!(heartbeatIntervalMs < suspectAfterMs)) throw new ConfigError(`--heartbeat-interval-ms (${heartbeatIntervalMs}) must be below --suspect-after-ms (${suspectAfterMs})`);
  if (!(suspectAfterMs < downAfterMs)) throw new ConfigError(`--suspect-after-ms (${suspectAfterMs}) must be below --down-after-ms (${downAfterMs})`);
  if (!(leaseTtlMs < downAfterMs)) throw new ConfigError(`--lease-ttl-ms (${leaseTtlMs}) must be below --down-after-ms (${downAfterMs}) so a node fences itself before its work is handed on`);
  if (!(heartbeatIntervalMs * 2 <= leaseTtlMs)) throw new ConfigError(`--lease-ttl-ms (${leaseTtlMs}) must be at least twice --heartbeat-interval-ms (${heartbeatIntervalMs})`);
  checkTransport(config, 'coordinator');
  return config;
}
