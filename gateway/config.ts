import { ConfigError, LOG_LEVEL_OPTION, type Schema, type ConfigOf } from '../platform/config';
import { transportOptions } from '../platform/tls';
import { checkOutageWindows, checkSuffixes, LATENCY_MS_MAX, SENDERS_MAX_DEFAULT, type LedgerConfig, type OutageWindow } from './core/ledger';


export const GATEWAY_SIM_SCHEMA = [
  { name: 'listen', kind: 'address', default: '127.0.0.1:7090', doc: 'Where the gRPC Gateway and GatewaySimulator services listen, plus health and reflection.' },
  { name: 'httpListen', kind: 'address', default: '', doc: 'Where the HTTP webhook listens (POST /deliver, POST /presence); off when empty.' },
  { name: 'latencyMs', kind: 'int', default: 0, min: 0, max: LATENCY_MS_MAX, doc: 'Delay before every Deliver and presence answer.' },
  { name: 'retryPerMille', kind: 'int', default: 0, min: 0, max: 1000, doc: 'Items answered RETRY per thousand otherwise deliverable items (seeded, see --seed).' },
  { name: 'unreachableSuffixes', kind: 'string', default: '', doc: 'Comma-separated recipient id suffixes that are unreachable (UNREACHABLE, and not present).' },
  { name: 'permanentFailureSuffixes', kind: 'string', default: '', doc: 'Comma-separated recipient id suffixes that fail permanently (PERMANENT_FAILURE); checked before the unreachable ones.' },
  { name: 'outageWindowsMs', kind: 'string', default: '', doc: 'Scheduled outages as START-END ms after start, comma-separated (e.g. 5000-8000,20000-21000); every call fails with UNAVAILABLE (HTTP 503) inside one.' },
  { name: 'seed', kind: 'int', default: 1, min: 0, max: 4_294_967_295, doc: 'Seed of the retry randomness; the same seed and calls give the same answers.' },
  { name: 'ledgerKeysMax', kind: 'int', default: 16_000_000, min: 1, max: 1_000_000_000, doc: 'Distinct delivered keys the simulator remembers; a batch that could exceed it is refused (RESOURCE_EXHAUSTED, HTTP 507). A key with a short text costs about 200 bytes of heap (about 3.2 GB at the default).' },
  { name: 'sendersMax', kind: 'int', default: SENDERS_MAX_DEFAULT, min: 1, max: 1_000_000, doc: 'Senders (node leases, named by the relaycast-* call metadata) whose Deliver calls are recorded for ListSenders; the least recently active is forgotten first.' },
  { name: 'expiredLeaseCalls', kind: 'string', default: 'record', choices: ['record', 'refuse'], doc: 'A Deliver call that arrives after the lease expiry its relaycast-lease-expires-unix-ms metadata names (plus --expired-lease-grace-ms): only record it (for ListSenders), or also refuse it (FAILED_PRECONDITION, HTTP 409), like a gateway that fences on the lease.' },
  { name: 'expiredLeaseGraceMs', kind: 'int', default: 0, min: 0, max: 60_000, doc: 'How late after its lease expiry a call is still accepted with --expired-lease-calls refuse. Up to the coordinator\'s down-after − lease-ttl (its disconnected-down-margin for a node whose connection closed), every call that could meet the range\'s next owner is still refused.' },
  { name: 'shutdownGraceMs', kind: 'int', default: 1000, min: 0, max: 60_000, doc: 'How long shutdown waits for calls to finish.' },
  ...transportOptions('gateway-sim'),
  LOG_LEVEL_OPTION,
] as const satisfies Schema;

/** The parsed settings, derived from the schema (each declared once, there). */
export type GatewaySimConfig = ConfigOf<typeof GATEWAY_SIM_SCHEMA>;

/** "a, b,,c" → ["a", "b", "c"] */
export function parseSuffixList(flag: string, text: string): string[] {
  const suffixes = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const error = checkSuffixes(flag, suffixes);
  if (error !== undefined) throw new ConfigError(error.message);
  return suffixes;
}

/** "5000-8000,20000-21000" → [{fromMs: 5000, toMs: 8000}, {fromMs: 20000, toMs: 21000}] */
export function parseOutageWindows(flag: string, text: string): OutageWindow[] {
  const windows: OutageWindow[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const match = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (match === null) throw new ConfigError(`${flag}: expected START-END in ms (e.g. 5000-8000), got ${JSON.stringify(part)}`);
    const fromMs = Number(match[1]);
    const toMs = Number(match[2]);
    if (!Number.isSafeInteger(toMs) || toMs <= fromMs) throw new ConfigError(`${flag}: window ${JSON.stringify(part)} must end after it starts`);
    windows.push({ fromMs, toMs });
  }
  const error = checkOutageWindows(windows);
  if (error !== undefined) throw new ConfigError(`${flag}: ${error.message}`);
  return windows;
}

export function checkGatewaySimConfig(config: GatewaySimConfig): GatewaySimConfig {
  if (config.httpListen === config.listen && !config.listen.endsWith(':0')) throw new ConfigError('--http-listen must differ from --listen');
  ledgerConfigOf(config);
  return config;
}

/** The core's settings from the flags; throws ConfigError for junk in the text options. */
export function ledgerConfigOf(config: GatewaySimConfig): LedgerConfig {
  return {
    latencyMs: config.latencyMs,
    retryRate: config.retryPerMille / 1000,
    unreachableSuffixes: parseSuffixList('--unreachable-suffixes', config.unreachableSuffixes),
    permanentFailureSuffixes: parseSuffixList('--permanent-failure-suffixes', config.permanentFailureSuffixes),
    outageWindowsMs: parseOutageWindows('--outage-windows-ms', config.outageWindowsMs),
    ledgerKeysMax: config.ledgerKeysMax,
    sendersMax: config.sendersMax,
    refuseExpiredLeases: config.expiredLeaseCalls === 'refuse',
    expiredLeaseGraceMs: config.expiredLeaseGraceMs,
  };
}
