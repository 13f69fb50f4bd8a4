/**
 * The gateway simulator's decisions, pure: which outcome each delivered item
 * gets, what the ledger of delivered keys holds, when the simulated gateway
 * is down, and the counters that tests and benchmarks read. Time and
 * randomness are injected; the shell (gateway/sim-server.ts) owns sockets
 * and the latency timer.
 *
 * Rules for one Deliver call:
 *  - during an outage the whole call is refused (UNAVAILABLE) and counted in
 *    outageRejections only;
 *  - otherwise every item counts in attempts and gets, in this order of
 *    precedence: key already in the ledger → DELIVERED (a duplicate, not
 *    stored again); recipient id ends with a permanent-failure suffix →
 *    PERMANENT_FAILURE; ends with an unreachable suffix → UNREACHABLE;
 *    random() < retryRate → RETRY; else the key and text are stored,
 *    DELIVERED.
 *
 * Bad input (empty keys, settings out of range) is refused with
 * INVALID_ARGUMENT and changes nothing, counters included.
 */
import { assert, fail, ok, type OpError, type Result } from '../../protocol/errors';
import type { Clock } from '../../platform/clock';
import type { Random } from './random';
import { checkLease, SenderLog, type SenderIdentity, type SenderView } from './senders';

export type DeliveryOutcome = 'DELIVERED' | 'RETRY' | 'PERMANENT_FAILURE' | 'UNREACHABLE';

export interface LedgerItem {
  idempotencyKey: string;
  recipientId: string;
  text: string;
}

export interface LedgerResult {
  idempotencyKey: string;
  outcome: DeliveryOutcome;
  reason: string;
}

/** Half-open [fromMs, toMs), in ms since the ledger was created. */
export interface OutageWindow {
  fromMs: number;
  toMs: number;
}

/** What Configure can change at run time. */
export interface LedgerBehaviour {
  latencyMs: number;
  /** Share of otherwise deliverable items answered RETRY, 0..1. */
  retryRate: number;
  unreachableSuffixes: readonly string[];
  permanentFailureSuffixes: readonly string[];
}

export interface LedgerConfig extends LedgerBehaviour {
  outageWindowsMs: readonly OutageWindow[];
  /** Distinct keys the ledger stores at most; a batch that could exceed it is refused whole. */
  ledgerKeysMax: number;
  /** Senders (leases) whose calls are recorded at most; default SENDERS_MAX_DEFAULT. */
  sendersMax?: number;
  /**
   * Refuse a Deliver call that arrives more than expiredLeaseGraceMs after
   * the lease expiry it names: the one fence a paused sender cannot slip
   * past. Default false: calls are only recorded.
   */
  refuseExpiredLeases?: boolean;
  /**
   * Lateness accepted before refusing (default 0). The coordinator hands a
   * range on at the earliest down-after − lease-ttl after the expiry its
   * node announced (disconnected-down-margin when the node's connection
   * closed first); a grace up to that refuses every call that could meet
   * a new owner, and spares a busy node's calls that arrive a little late.
   */
  expiredLeaseGraceMs?: number;
}

/** A Configure request: unset fields keep their value (see simulator.proto). */
export interface SettingsChange {
  latencyMs?: number;
  retryRate?: number;
  outage?: boolean;
  outageForMs?: number;
  unreachableSuffixes: readonly string[];
  permanentFailureSuffixes: readonly string[];
  replaceLists: boolean;
}

/** The current settings, as Configure answers them. */
export interface SettingsView {
  latencyMs: number;
  retryRate: number;
  /** Whether calls are refused right now (for any reason, windows included). */
  outage: boolean;
  /** What is left of an outage started with outageForMs; 0 when none. */
  outageForMs: number;
  unreachableSuffixes: string[];
  permanentFailureSuffixes: string[];
  replaceLists: false;
}

export interface LedgerStats {
  uniqueDelivered: number;
  attempts: number;
  duplicates: number;
  retriesReturned: number;
  permanentFailuresReturned: number;
  unreachableReturned: number;
  /** Deliver calls answered (refused calls are in outageRejections). */
  deliverCalls: number;
  /** LookupPresence calls answered. */
  presenceLookups: number;
  outageRejections: number;
}

export const LATENCY_MS_MAX = 60_000;
export const SUFFIXES_MAX = 1000;
export const SUFFIX_LENGTH_MAX = 256;
export const OUTAGE_WINDOWS_MAX = 1000;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 1024;
export const RECIPIENT_ID_LENGTH_MAX = 1024;
export const SENDERS_MAX_DEFAULT = 10_000;
/** uint32 in the proto. */
export const OUTAGE_FOR_MS_MAX = 4_294_967_295;

export const REASON_ALREADY_DELIVERED = 'already delivered';
export const REASON_RETRY = 'simulated temporary failure';

/** V8 refuses Maps above 2^24 entries, so the ledger spreads over several. */
const MAP_ENTRIES_MAX = 8_000_000;

/** key → delivered text, for more keys than one Map can hold. */
export class KeyedTexts {
  private maps: Array<Map<string, string>> = [new Map()];
  private count = 0;

  constructor(private readonly entriesPerMapMax = MAP_ENTRIES_MAX) {
    assert(entriesPerMapMax > 0, 'positive entriesPerMapMax');
  }

  /** How many Maps hold the entries (for tests). */
  get mapCount(): number {
    return this.maps.length;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): string | undefined {
    for (const map of this.maps) {
      const text = map.get(key);
      if (text !== undefined) return text;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Only for keys not present (the caller checked). */
  add(key: string, text: string): void {
    let last = this.maps[this.maps.length - 1]!;
    if (last.size >= this.entriesPerMapMax) {
      last = new Map();
      this.maps.push(last);
    }
    last.set(key, text);
    this.count++;
  }

  clear(): void {
    this.maps = [new Map()];
    this.count = 0;
  }
}

/** The stats of a ledger that has seen nothing (also what tests compare against). */
export function emptyLedgerStats(): LedgerStats {
  return {
    uniqueDelivered: 0,
    attempts: 0,
    duplicates: 0,
    retriesReturned: 0,
    permanentFailuresReturned: 0,
    unreachableReturned: 0,
    deliverCalls: 0,
    presenceLookups: 0,
    outageRejections: 0,
  };
}

function zeroStats(): Omit<LedgerStats, 'uniqueDelivered'> {
  const { uniqueDelivered: _unique, ...counters } = emptyLedgerStats();
  return counters;
}

function invalid(message: string): OpError {
  return { code: 'INVALID_ARGUMENT', message };
}

export function checkLatencyMs(value: number): OpError | undefined {
  if (!Number.isInteger(value) || value < 0 || value > LATENCY_MS_MAX) return invalid(`latencyMs must be a whole number 0..${LATENCY_MS_MAX}, got ${value}`);
  return undefined;
}

export function checkRetryRate(value: number): OpError | undefined {
  if (!Number.isFinite(value) || value < 0 || value > 1) return invalid(`retryRate must be between 0 and 1, got ${value}`);
  return undefined;
}

export function checkSuffixes(field: string, suffixes: readonly string[]): OpError | undefined {
  if (suffixes.length > SUFFIXES_MAX) return invalid(`${field}: ${suffixes.length} suffixes; at most ${SUFFIXES_MAX} allowed`);
  for (const [i, suffix] of suffixes.entries()) {
    // An empty suffix would match every recipient: almost surely a mistake.
    if (suffix.length === 0) return invalid(`${field}[${i}] is empty`);
    if (suffix.length > SUFFIX_LENGTH_MAX) return invalid(`${field}[${i}] is ${suffix.length} characters; at most ${SUFFIX_LENGTH_MAX} allowed`);
  }
  return undefined;
}

export function checkOutageWindows(windows: readonly OutageWindow[]): OpError | undefined {
  if (windows.length > OUTAGE_WINDOWS_MAX) return invalid(`${windows.length} outage windows; at most ${OUTAGE_WINDOWS_MAX} allowed`);
  for (const w of windows) {
    if (!Number.isSafeInteger(w.fromMs) || !Number.isSafeInteger(w.toMs) || w.fromMs < 0 || w.toMs <= w.fromMs) {
      return invalid(`outage window ${w.fromMs}-${w.toMs} must be two whole numbers of ms with start < end`);
    }
  }
  return undefined;
}

function checkItems(items: readonly LedgerItem[]): OpError | undefined {
  for (const [i, item] of items.entries()) {
    const key = item.idempotencyKey;
    if (key.length === 0) return invalid(`items[${i}].idempotencyKey is empty`);
    if (key.length > IDEMPOTENCY_KEY_LENGTH_MAX) return invalid(`items[${i}].idempotencyKey is ${key.length} characters; at most ${IDEMPOTENCY_KEY_LENGTH_MAX} allowed`);
    if (item.recipientId.length === 0) return invalid(`items[${i}].recipientId is empty`);
    if (item.recipientId.length > RECIPIENT_ID_LENGTH_MAX) return invalid(`items[${i}].recipientId is ${item.recipientId.length} characters; at most ${RECIPIENT_ID_LENGTH_MAX} allowed`);
  }
  return undefined;
}

function matchSuffix(recipientId: string, suffixes: readonly string[]): string | undefined {
  for (const suffix of suffixes) if (recipientId.endsWith(suffix)) return suffix;
  return undefined;
}

export class GatewayLedger {
  private readonly texts = new KeyedTexts();
  private readonly senders: SenderLog;
  private readonly refuseExpiredLeases: boolean;
  private readonly expiredLeaseGraceMs: number;
  private counters = zeroStats();
  private behaviour: LedgerBehaviour;
  private readonly windows: readonly OutageWindow[];
  private readonly keysMax: number;
  private readonly startMs: number;
  private outageSet = false;
  /** Monotonic ms at which an outage started with outageForMs ends; 0 when none. */
  private outageUntilMs = 0;

  constructor(
    config: LedgerConfig,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    const error = checkLatencyMs(config.latencyMs) ?? checkRetryRate(config.retryRate)
      ?? checkSuffixes('unreachableSuffixes', config.unreachableSuffixes)
      ?? checkSuffixes('permanentFailureSuffixes', config.permanentFailureSuffixes)
      ?? checkOutageWindows(config.outageWindowsMs);
    assert(error === undefined, `valid ledger config: ${error?.message}`);
    assert(Number.isSafeInteger(config.ledgerKeysMax) && config.ledgerKeysMax > 0, 'positive ledgerKeysMax');
    this.behaviour = {
      latencyMs: config.latencyMs,
      retryRate: config.retryRate,
      unreachableSuffixes: [...config.unreachableSuffixes],
      permanentFailureSuffixes: [...config.permanentFailureSuffixes],
    };
    this.windows = config.outageWindowsMs.map((w) => ({ ...w }));
    this.keysMax = config.ledgerKeysMax;
    this.senders = new SenderLog(config.sendersMax ?? SENDERS_MAX_DEFAULT);
    this.refuseExpiredLeases = config.refuseExpiredLeases ?? false;
    this.expiredLeaseGraceMs = config.expiredLeaseGraceMs ?? 0;
    assert(Number.isSafeInteger(this.expiredLeaseGraceMs) && this.expiredLeaseGraceMs >= 0, 'expiredLeaseGraceMs >= 0');
    this.startMs = clock.monotonicMs();
  }

  /** The delay the shell applies before answering a call. */
  get latencyMs(): number {
    return this.behaviour.latencyMs;
  }

  /** Why calls are refused right now, or undefined when the gateway is up. */
  outageReason(): string | undefined {
    const nowMs = this.clock.monotonicMs();
    if (this.outageSet) return 'simulated outage (set with Configure outage=true)';
    if (nowMs < this.outageUntilMs) return `simulated outage for another ${Math.ceil(this.outageUntilMs - nowMs)} ms`;
    const sinceStartMs = nowMs - this.startMs;
    for (const w of this.windows) {
      if (sinceStartMs >= w.fromMs && sinceStartMs < w.toMs) return `simulated outage (window ${w.fromMs}-${w.toMs} ms after start)`;
    }
    return undefined;
  }

  /**
   * A call arrives: refused, and counted as an outage rejection, while the
   * gateway is down. deliver() and lookupPresence() check this themselves;
   * the shell also calls it before waiting out the latency so that a down
   * gateway answers at once.
   */
  admitCall(): Result<true> {
    const reason = this.outageReason();
    if (reason === undefined) return ok(true);
    this.counters.outageRejections++;
    return fail('UNAVAILABLE', reason);
  }

  /**
   * A Deliver call of `itemCount` items arrived from `sender`. The shell
   * calls this on arrival, before the outage check and the simulated
   * latency: what matters for fencing is when the call reached the gateway,
   * not whether or when it was answered. Refused with FAILED_PRECONDITION
   * when refusing is on and it arrived past the lease it names (plus the
   * grace): its ranges may already be someone else's.
   */
  receive(sender: SenderIdentity, itemCount: number): Result<true> {
    const nowMs = this.clock.wallMs();
    const refuse = this.refuseExpiredLeases && checkLease(sender, nowMs - this.expiredLeaseGraceMs).arrivedLate;
    this.senders.record(sender, itemCount, nowMs, refuse);
    if (!refuse) return ok(true);
    return fail('FAILED_PRECONDITION', `lease ${sender.leaseEpoch} of ${sender.nodeKey} (instance ${sender.instanceId}) expired at ${sender.leaseExpiresUnixMs} and this call arrived ${Math.round(nowMs - sender.leaseExpiresUnixMs)} ms later: refused, a fenced node must not deliver`);
  }

  /** Recorded senders (see SenderLog.list). */
  listSenders(nodeKey: string, receivedAfterUnixMs: number): { senders: SenderView[]; sendersEvicted: number } {
    return { senders: this.senders.list(nodeKey, receivedAfterUnixMs), sendersEvicted: this.senders.evicted };
  }

  deliver(items: readonly LedgerItem[]): Result<LedgerResult[]> {
    const admitted = this.admitCall();
    if (!admitted.ok) return admitted;
    const bad = checkItems(items) ?? this.checkCapacity(items);
    if (bad !== undefined) return { ok: false, error: bad };
    this.counters.deliverCalls++;
    this.counters.attempts += items.length;
    const results = new Array<LedgerResult>(items.length);
    for (let i = 0; i < items.length; i++) results[i] = this.decide(items[i]!);
    return ok(results);
  }

  lookupPresence(recipientIds: readonly string[]): Result<boolean[]> {
    const admitted = this.admitCall();
    if (!admitted.ok) return admitted;
    this.counters.presenceLookups++;
    const unreachable = this.behaviour.unreachableSuffixes;
    return ok(recipientIds.map((id) => matchSuffix(id, unreachable) === undefined));
  }

  /** Texts delivered for the keys, '' for keys never delivered. */
  delivered(keys: readonly string[]): string[] {
    return keys.map((key) => this.texts.get(key) ?? '');
  }

  stats(): LedgerStats {
    return { uniqueDelivered: this.texts.size, ...this.counters };
  }

  /** Forgets the ledger, the counters and the senders (not the settings); returns the counters as they were. */
  reset(): LedgerStats {
    const before = this.stats();
    this.texts.clear();
    this.senders.clear();
    this.counters = zeroStats();
    return before;
  }

  settings(): SettingsView {
    const nowMs = this.clock.monotonicMs();
    return {
      latencyMs: this.behaviour.latencyMs,
      retryRate: this.behaviour.retryRate,
      outage: this.outageReason() !== undefined,
      outageForMs: nowMs < this.outageUntilMs ? Math.ceil(this.outageUntilMs - nowMs) : 0,
      unreachableSuffixes: [...this.behaviour.unreachableSuffixes],
      permanentFailureSuffixes: [...this.behaviour.permanentFailureSuffixes],
      replaceLists: false,
    };
  }

  /**
   * Applies a Configure request. outage=false ends a set outage and a timed
   * one (not the scheduled windows); outageForMs > 0 then starts a timed
   * outage (also when sent with outage=true), 0 ends it. Lists replace the current ones when replaceLists is
   * set or when they are non-empty.
   */
  configure(change: SettingsChange): Result<SettingsView> {
    const error = (change.latencyMs !== undefined ? checkLatencyMs(change.latencyMs) : undefined)
      ?? (change.retryRate !== undefined ? checkRetryRate(change.retryRate) : undefined)
      ?? (change.outageForMs !== undefined && (!Number.isInteger(change.outageForMs) || change.outageForMs < 0 || change.outageForMs > OUTAGE_FOR_MS_MAX)
        ? invalid(`outageForMs must be a whole number 0..${OUTAGE_FOR_MS_MAX}, got ${change.outageForMs}`) : undefined)
      ?? checkSuffixes('unreachableSuffixes', change.unreachableSuffixes)
      ?? checkSuffixes('permanentFailureSuffixes', change.permanentFailureSuffixes);
    if (error !== undefined) return { ok: false, error };

    const next = { ...this.behaviour };
    if (change.latencyMs !== undefined) next.latencyMs = change.latencyMs;
    if (change.retryRate !== undefined) next.retryRate = change.retryRate;
    if (change.replaceLists || change.unreachableSuffixes.length > 0) next.unreachableSuffixes = [...change.unreachableSuffixes];
    if (change.replaceLists || change.permanentFailureSuffixes.length > 0) next.permanentFailureSuffixes = [...change.permanentFailureSuffixes];
    this.behaviour = next;
    // outage=true with outageForMs > 0 is a timed outage, not an open-ended one.
    const timed = change.outage === true && change.outageForMs !== undefined && change.outageForMs > 0;
    if (change.outage !== undefined && !timed) {
      this.outageSet = change.outage;
      if (!change.outage) this.outageUntilMs = 0;
    }
    if (change.outageForMs !== undefined) this.outageUntilMs = change.outageForMs > 0 ? this.clock.monotonicMs() + change.outageForMs : 0;
    return ok(this.settings());
  }

  /**
   * Refuses a batch that could push the ledger past its bound. Counts every
   * distinct unknown key as a possible insert, so it may refuse a little
   * early; it never lets the bound be crossed.
   */
  private checkCapacity(items: readonly LedgerItem[]): OpError | undefined {
    if (this.texts.size + items.length <= this.keysMax) return undefined;
    const unknown = new Set<string>();
    for (const item of items) if (!this.texts.has(item.idempotencyKey)) unknown.add(item.idempotencyKey);
    if (this.texts.size + unknown.size <= this.keysMax) return undefined;
    return {
      code: 'RESOURCE_EXHAUSTED',
      message: `simulator ledger holds ${this.texts.size} keys and this batch could add ${unknown.size}; ledgerKeysMax is ${this.keysMax} (Reset the simulator or raise --ledger-keys-max)`,
    };
  }

  private decide(item: LedgerItem): LedgerResult {
    const key = item.idempotencyKey;
    if (this.texts.has(key)) {
      this.counters.duplicates++;
      return { idempotencyKey: key, outcome: 'DELIVERED', reason: REASON_ALREADY_DELIVERED };
    }
    const permanent = matchSuffix(item.recipientId, this.behaviour.permanentFailureSuffixes);
    if (permanent !== undefined) {
      this.counters.permanentFailuresReturned++;
      return { idempotencyKey: key, outcome: 'PERMANENT_FAILURE', reason: `recipient ${item.recipientId} is unknown (permanent-failure suffix ${JSON.stringify(permanent)})` };
    }
    const unreachable = matchSuffix(item.recipientId, this.behaviour.unreachableSuffixes);
    if (unreachable !== undefined) {
      this.counters.unreachableReturned++;
      return { idempotencyKey: key, outcome: 'UNREACHABLE', reason: `recipient ${item.recipientId} is not reachable (unreachable suffix ${JSON.stringify(unreachable)})` };
    }
    if (this.behaviour.retryRate > 0 && this.random() < this.behaviour.retryRate) {
      this.counters.retriesReturned++;
      return { idempotencyKey: key, outcome: 'RETRY', reason: REASON_RETRY };
    }
    this.texts.add(key, item.text);
    return { idempotencyKey: key, outcome: 'DELIVERED', reason: '' };
  }
}
