/**
 * The node's work, pure: every decision the push worker makes about its
 * shards, with the I/O left to a shell (node/worker.ts for the real process,
 * test/sim/node.ts for the simulator).
 *
 *   order  → admitted (or ignored, held for a lease not yet applied, refused)
 *          → read pages of the range → [look up presence] → render each
 *            recipient's text → deliver in batches, at most
 *            deliverBatchesInFlightMax calls per shard, within the
 *            broadcast's rate limit → apply each outcome → progress reports.
 *
 * The shell feeds in what happened (orders, revokes, the lease, the answers
 * to the calls this core asked for) and calls tick() at nextWakeMs(); it
 * takes the commands to perform (read a page, look up presence, deliver,
 * record dead letters, report progress now) and the events to log.
 *
 * Policies that live here:
 *  - Admission: stale epochs, re-sends of a running epoch, orders revoked
 *    before they arrived, orders of another lease (an older lease: ignored;
 *    a newer one: held until that lease is applied), invalid input.
 *  - Outcomes: DELIVERED and UNREACHABLE are final; PERMANENT_FAILURE is
 *    dead-lettered; RETRY and a refused call (the gateway said no to the
 *    call as a whole: a 4xx, a non-transient gRPC status) count an attempt
 *    per item and are retried with back-off, dead-lettered after
 *    deliveryAttemptsMax attempts; a call that failed as a whole
 *    (unavailable) counts no attempt: its items wait for the gateway.
 *  - The outbox: failed items, in memory, bounded: at outboxItemsMax the
 *    node stops reading new pages (nothing is ever dropped to make room).
 *    Resends reserve from the broadcast's token bucket like first sends.
 *  - Gateway health: a failed call makes it unhealthy; then one call at a
 *    time probes it, with jittered exponential back-off, until one succeeds.
 *  - Coordinator calls (pages, dead letters) are retried with back-off at
 *    most coordinatorCallAttemptsMax times; then the shard is given back:
 *    stopped and reported stopped, so the coordinator hands the remainder
 *    on. A dead letter counts as final only once the coordinator recorded
 *    it, so the watermark never passes an item that is not final.
 *  - Reports: a finished or stopped shard is reported at least
 *    FINAL_REPORTS times and for at least FINAL_REPORT_MS.
 *
 * Nothing here is durable: a node that crashes forgets all of it, and the
 * coordinator's checkpoint (a watermark below which everything is final)
 * is where a successor starts.
 */
import { MinHeap } from '../../platform/min-heap';
import { DELIVER_CALL_BYTES_MAX } from '../../protocol/limits';
import { assert } from '../../protocol/errors';
import type { Clock } from '../../platform/clock';
import { backoffDelayMs } from '../../platform/backoff';
import { compileTemplate, type CompiledTemplate, type TemplateVars } from '../../protocol/template';
import { ShardTracker } from './shard-tracker';
import { TokenBucket } from './rate-limiter';

// ------------------------------------------------------------------ types

export interface DeliveryItem {
  /** "<broadcastId>/<sequence>": the same for every attempt of this item. */
  idempotencyKey: string;
  recipientId: string;
  /** The rendered, per-recipient message. */
  text: string;
  broadcastId: string;
  sequence: number;
}

export type DeliveryOutcome = 'DELIVERED' | 'RETRY' | 'PERMANENT_FAILURE' | 'UNREACHABLE';

export interface DeliveryResult {
  idempotencyKey: string;
  outcome: DeliveryOutcome;
  reason: string;
}

/** A shard order as the proto carries it (ShardOrder). */
export interface WorkOrder {
  broadcastId: string;
  shardId: number;
  epoch: number;
  start: number;
  end: number;
  template: string;
  onlyReachable: boolean;
  rateLimitPerS: number;
  dataAddress: string;
  countedDelivered: number;
  countedSkipped: number;
  countedDead: number;
  /** The node lease the order was issued under. */
  leaseEpoch: number;
}

export interface WorkRevoke {
  broadcastId: string;
  shardId: number;
  epoch: number;
  reason: string;
}

/** Progress for a liveness packet, in the proto's shape (ShardProgress). */
export interface ProgressReport {
  broadcastId: string;
  shardId: number;
  epoch: number;
  watermark: number;
  delivered: number;
  skippedUnreachable: number;
  deadLettered: number;
  done: boolean;
  stopped: boolean;
}

export interface ShardIds {
  broadcastId: string;
  shardId: number;
  epoch: number;
}

export interface Recipient {
  id: string;
  vars: TemplateVars;
}

/** A page of the audience, as the shell parsed it; checked here against what was asked. */
export interface AudiencePage {
  firstSequence: number;
  /** Where the shard ends now (the coordinator may have split its tail off). */
  shardEnd: number;
  recipients: readonly Recipient[];
}

export interface DeadLetter {
  sequence: number;
  recipientId: string;
  reason: string;
  attempts: number;
}

/** Why items were dead-lettered, for metrics and logs. */
export type DeadLetterClass = 'permanent_failure' | 'attempts_exhausted' | 'gateway_refused' | 'unrenderable';

/**
 * How a gateway call failed as a whole:
 *  - unavailable: it did not happen or cannot be trusted (transport error,
 *    timeout, UNAVAILABLE, HTTP 5xx/408/429, a malformed answer);
 *  - refused: the gateway understood and refused it (another 4xx, a
 *    non-transient gRPC status); `reason` is the gateway's own words;
 *  - not-sent: the shell did not send it (the lease expired just before).
 */
export interface GatewayFailure {
  kind: 'unavailable' | 'refused' | 'not-sent';
  reason: string;
}

/**
 * How a coordinator call (ReadAudience, ReportDeadLetters) failed:
 *  - not-held: the shard is no longer this node's (FAILED_PRECONDITION, NOT_FOUND);
 *  - transient: try again (UNAVAILABLE, a timeout, ...);
 *  - refused: the request itself was refused; trying again will not help.
 */
export interface CoordinatorFailure {
  kind: 'not-held' | 'transient' | 'refused';
  reason: string;
}

export type CallResult<T, F> = { ok: true; value: T } | { ok: false; failure: F };

export type WorkCommand =
  | { kind: 'read-audience'; callId: number; shard: ShardIds; dataAddress: string; fromSequence: number; limit: number }
  | { kind: 'lookup-presence'; callId: number; shard: ShardIds; recipientIds: string[] }
  | { kind: 'deliver'; callId: number; shard: ShardIds; items: DeliveryItem[] }
  | { kind: 'report-dead-letters'; callId: number; shard: ShardIds; dataAddress: string; deadLetters: DeadLetter[] }
  /** A shard finished or stopped: send liveness (which carries progress()) now rather than at the next heartbeat. */
  | { kind: 'report-progress' };

export type WorkEvent =
  | { kind: 'shard-started'; shard: ShardIds; start: number; end: number; onlyReachable: boolean; rateLimitPerS: number }
  | { kind: 'order-held'; shard: ShardIds; orderLeaseEpoch: number; leaseEpoch: number }
  | { kind: 'order-ignored'; shard: ShardIds; reason: string; orderLeaseEpoch: number; leaseEpoch: number }
  | { kind: 'order-refused'; shard: ShardIds; reason: string }
  | { kind: 'shard-done'; shard: ShardIds; delivered: number; skipped: number; dead: number }
  | { kind: 'shard-stopped'; shard: ShardIds; watermark: number; reason: string; givenBack: boolean }
  | { kind: 'gateway-unavailable'; reason: string }
  | { kind: 'gateway-healthy'; outboxItems: number }
  | { kind: 'gateway-refused'; shard: ShardIds; items: number; reason: string; firstForShard: boolean }
  | { kind: 'dead-lettered'; shard: ShardIds; count: number; byClass: Partial<Record<DeadLetterClass, number>>; example: string }
  | { kind: 'coordinator-call-failed'; shard: ShardIds; call: 'read-audience' | 'report-dead-letters'; attempt: number; attemptsMax: number; reason: string; retryInMs: number };

export interface WorkConfig {
  /** Items per gateway Deliver call (and recipients per presence lookup). */
  deliverBatchSize: number;
  /** Gateway calls in flight (or waiting for the rate limit) per shard. */
  deliverBatchesInFlightMax: number;
  audiencePageSize: number;
  /** Attempts at an item answered RETRY or refused before it is dead-lettered. */
  deliveryAttemptsMax: number;
  gatewayRetryMinMs: number;
  gatewayRetryMaxMs: number;
  /** Items held for another attempt, over every shard; at this many, no new page is read. */
  outboxItemsMax: number;
  /** Tries of one coordinator call (a page read, a dead-letter report) before the shard is given back. */
  coordinatorCallAttemptsMax: number;
}

// -------------------------------------------------------------- constants

/** Reports kept for the coordinator after a shard ends or stops (it may miss one packet)... */
export const FINAL_REPORTS = 5;
/**
 * ...and for at least this long. A relay forwards only each leaf's newest
 * packet per flush, and a node that finishes many shards at once sends a
 * packet per shard: counting packets alone, a shard's final report could be
 * used up before any packet with it was forwarded; the coordinator, never
 * told, would re-send the order and the shard would run again, forever.
 */
export const FINAL_REPORT_MS = 2000;
/** Back-off between tries of a coordinator call (jittered, doubling). */
export const COORDINATOR_RETRY_MIN_MS = 100;
export const COORDINATOR_RETRY_MAX_MS = 5000;
/** While the lease is not valid and work waits, look again this often (a lease can lapse and come back unannounced). */
export const FENCED_POLL_MS = 50;
/** Orders for a lease this node has not applied yet (its welcome is on the way): at most this many... */
export const HELD_ORDERS_MAX = 1000;
/** ...each for at most this long; a dropped one is re-sent by the coordinator (--order-resend-ms). */
export const HELD_ORDER_MS = 10_000;
/** Shards whose highest epoch is remembered (to refuse stale orders); the least recently ordered is forgotten first. */
export const EPOCHS_REMEMBERED_MAX = 100_000;
/** Stopped-shard reports waiting to be sent (they leave after FINAL_REPORTS sends). */
export const STOPPED_REPORTS_MAX = 10_000;
/** Dead letters per ReportDeadLetters call (the coordinator takes up to 10,000; reasons are up to 1 KiB). */
export const DEAD_LETTERS_PER_REPORT_MAX = 1000;
/**
 * Items per Deliver call are also bounded in bytes: texts are up to
 * RENDERED_TEXT_LENGTH_MAX each, and a call over gRPC's 16 MiB (or the
 * webhook's body limit) would fail every time, holding the items forever.
 */
export { DELIVER_CALL_BYTES_MAX } from '../../protocol/limits';
/** Sequence, broadcast id and framing of an item, generously. */
const ITEM_OVERHEAD_BYTES = 128;

/** An upper bound of an item's encoded size (3 bytes of UTF-8 per UTF-16 unit). */
export function itemBytes(item: DeliveryItem): number {
  return (item.text.length + item.recipientId.length + item.idempotencyKey.length) * 3 + ITEM_OVERHEAD_BYTES;
}

const refOf = (broadcastId: string, shardId: number) => `${broadcastId}#${shardId}`;
const reportKey = (ref: string, epoch: number) => `${ref}@${epoch}`;

// ------------------------------------------------------------ the outbox

interface OutboxEntry {
  item: DeliveryItem;
  /** Attempts so far that counted (RETRY answers, refusals). */
  attempts: number;
  reason: string;
  /** Not resent before this (monotonic ms). */
  dueAtMs: number;
}

/** The outbox of one shard: a min-heap on (dueAtMs, sequence). */
const newOutbox = () => new MinHeap<OutboxEntry>(earlier);

const earlier = (a: OutboxEntry, b: OutboxEntry) => a.dueAtMs < b.dueAtMs || (a.dueAtMs === b.dueAtMs && a.item.sequence < b.item.sequence);

// ------------------------------------------------------------------- runs

interface Sent {
  item: DeliveryItem;
  /** Counted attempts before this one. */
  attempts: number;
}

interface QueuedDeadLetter extends DeadLetter {
  cls: DeadLetterClass;
}

/** One order being worked on. */
class Run {
  readonly ref: string;
  readonly ids: ShardIds;
  readonly tracker: ShardTracker;
  stopped = false;
  /** A stopped report is owed once nothing of the run is in flight. */
  owesStoppedReport = false;
  doneAnnounced = false;
  reportsLeft = FINAL_REPORTS;
  /** When the first report with done=true went out. */
  doneReportedAtMs = Number.NaN;
  /** Next sequence to read. */
  readFrom: number;
  reading = false;
  readAttempts = 0;
  readRetryAtMs = 0;
  /** Read, waiting for a presence lookup (only-reachable broadcasts). */
  pending: Array<{ sequence: number; recipient: Recipient }> = [];
  /** Rendered, never sent. */
  ready: DeliveryItem[] = [];
  readonly outbox = newOutbox();
  /** Waiting to be recorded at the coordinator. */
  deadQueue: QueuedDeadLetter[] = [];
  reportingDead = false;
  deadAttempts = 0;
  deadRetryAtMs = 0;
  /** Gateway calls in flight or waiting for the rate limit. */
  gatewayCalls = 0;
  /** Coordinator calls in flight (a page read, a dead-letter report). */
  coordinatorCalls = 0;
  refusalReported = false;

  constructor(
    readonly order: WorkOrder,
    readonly template: CompiledTemplate,
    /** Shared by every shard of the broadcast on this node: the order carries this node's share. */
    readonly bucket: TokenBucket,
  ) {
    this.ref = refOf(order.broadcastId, order.shardId);
    this.ids = { broadcastId: order.broadcastId, shardId: order.shardId, epoch: order.epoch };
    this.tracker = new ShardTracker(order.start, order.end, { delivered: order.countedDelivered, skipped: order.countedSkipped, dead: order.countedDead });
    this.readFrom = order.start;
  }

  get idle(): boolean {
    return this.gatewayCalls === 0 && this.coordinatorCalls === 0;
  }

  progress(stopped: boolean): ProgressReport {
    const t = this.tracker;
    return { ...this.ids, watermark: t.watermark, delivered: t.delivered, skippedUnreachable: t.skipped, deadLettered: t.dead, done: t.done, stopped };
  }
}

type Call =
  | { kind: 'read'; run: Run }
  | { kind: 'presence'; run: Run; entries: Array<{ sequence: number; recipient: Recipient }>; probe: boolean }
  | { kind: 'deliver'; run: Run; sent: Sent[]; probe: boolean }
  | { kind: 'dead'; run: Run; deadLetters: QueuedDeadLetter[] };

/** A Deliver waiting for the broadcast's rate limit; it holds its slot. */
interface Waiting {
  run: Run;
  sent: Sent[];
  dueAtMs: number;
  probe: boolean;
}

/** What this node recorded for items (metrics). */
export interface DeliveryCounts {
  /** Final outcomes: the gateway answered DELIVERED... */
  delivered: number;
  /** ...unreachable (presence, or the gateway's UNREACHABLE)... */
  skipped: number;
  /** ...recorded at the coordinator as dead letters. */
  deadLettered: number;
  /** Not final: RETRY answers. */
  retry: number;
  /** Items of gateway calls that failed as a whole (unavailable). */
  gatewayUnavailable: number;
  /** Items of gateway calls the gateway refused as a whole. */
  gatewayRefused: number;
}

export class WorkCore {
  private readonly runs = new Map<string, Run>();
  /** Highest epoch seen per shard: older orders are stale. Least recently ordered first. */
  private readonly epochs = new Map<string, number>();
  /** Stopped shards reported a few times with stopped=true, by ref@epoch. */
  private readonly stoppedReports = new Map<string, { progress: ProgressReport; left: number; sinceMs: number }>();
  /** One rate limiter per broadcast with a run on this node. */
  private readonly buckets = new Map<string, TokenBucket>();
  /** Orders for a lease newer than the one applied, in arrival order. */
  private held: Array<{ order: WorkOrder; atMs: number }> = [];
  private readonly calls = new Map<number, Call>();
  private waiting: Waiting[] = [];
  private nextCallId = 0;
  private lease = 0;
  /** The highest lease epoch this node ever held: orders at or below it that are not the current lease are old. */
  private leaseSeen = 0;
  private outboxItems = 0;
  private healthy = true;
  private probing = false;
  private healthAttempt = 0;
  private probeAtMs = 0;
  private closed = false;
  private commands: WorkCommand[] = [];
  private events: WorkEvent[] = [];
  readonly deliveries: DeliveryCounts = { delivered: 0, skipped: 0, deadLettered: 0, retry: 0, gatewayUnavailable: 0, gatewayRefused: 0 };
  readonly deadLettersByClass: Record<DeadLetterClass, number> = { permanent_failure: 0, attempts_exhausted: 0, gateway_refused: 0, unrenderable: 0 };
  /** Gateway calls (deliver and presence) refused as a whole. */
  gatewayRefusals = 0;
  /** Shards stopped and given back because a coordinator call kept failing. */
  shardsGivenBack = 0;

  constructor(
    private readonly config: WorkConfig,
    private readonly clock: Clock,
    private readonly random: () => number,
    /** Whether this node's lease is valid right now: nothing is sent otherwise. */
    private readonly leaseValid: () => boolean,
  ) {
    assert(config.deliverBatchSize >= 1 && config.deliverBatchesInFlightMax >= 1 && config.audiencePageSize >= 1, 'positive batch, window and page sizes');
    assert(config.deliveryAttemptsMax >= 1 && config.coordinatorCallAttemptsMax >= 1 && config.outboxItemsMax >= 1, 'positive attempt and outbox limits');
    assert(config.gatewayRetryMinMs <= config.gatewayRetryMaxMs, 'gateway retry min <= max');
  }

  // ------------------------------------------------------------ reading

  get outboxSize(): number {
    return this.outboxItems;
  }

  get gatewayHealthy(): boolean {
    return this.healthy;
  }

  get leaseEpoch(): number {
    return this.lease;
  }

  /** Shards being worked on (not finished, not stopped). */
  get activeShards(): number {
    let n = 0;
    for (const run of this.runs.values()) if (!run.tracker.done && !run.stopped) n += 1;
    return n;
  }

  /** Calls asked for and not answered yet (the shell waits for 0 when draining). */
  get callsInFlight(): number {
    return this.calls.size + this.waiting.length;
  }

  /** Orders held for a lease not applied yet. */
  get heldOrders(): number {
    return this.held.length;
  }

  take(): { commands: WorkCommand[]; events: WorkEvent[] } {
    const taken = { commands: this.commands, events: this.events };
    this.commands = [];
    this.events = [];
    return taken;
  }

  // ------------------------------------------------------------- inputs

  /**
   * The node's current lease (0: none). A new lease stops everything of
   * the old one; orders held for the new one are taken now.
   */
  setLease(epoch: number): void {
    if (epoch === this.lease || this.closed) return;
    if (this.lease !== 0) this.stopAll(epoch === 0 ? 'lease lost' : `lease ${this.lease} replaced by lease ${epoch}`);
    this.lease = epoch;
    this.leaseSeen = Math.max(this.leaseSeen, epoch);
    if (epoch === 0) return;
    const now = this.clock.monotonicMs();
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (now - h.atMs >= HELD_ORDER_MS) continue;
      if (h.order.leaseEpoch === epoch) this.onOrder(h.order);
      else if (h.order.leaseEpoch > epoch) this.held.push(h);
    }
    this.dispatch();
  }

  /** An order from the coordinator. */
  onOrder(order: WorkOrder): void {
    if (this.closed) return;
    const ids: ShardIds = { broadcastId: order.broadcastId, shardId: order.shardId, epoch: order.epoch };
    const invalid = checkOrder(order);
    if (invalid !== undefined) return void this.events.push({ kind: 'order-refused', shard: ids, reason: invalid });
    if (order.leaseEpoch !== this.lease || this.lease === 0) {
      if (order.leaseEpoch > Math.max(this.lease, this.leaseSeen)) {
        // Issued to a lease this node is about to learn of: the coordinator
        // sends a new lease's first orders before its welcome.
        this.purgeHeld();
        if (this.held.length >= HELD_ORDERS_MAX) this.held.shift();
        this.held.push({ order, atMs: this.clock.monotonicMs() });
        this.events.push({ kind: 'order-held', shard: ids, orderLeaseEpoch: order.leaseEpoch, leaseEpoch: this.lease });
      } else {
        // Issued to an earlier lease of this node id: not ours to run.
        this.events.push({ kind: 'order-ignored', shard: ids, reason: 'order for another lease', orderLeaseEpoch: order.leaseEpoch, leaseEpoch: this.lease });
      }
      return;
    }
    const ref = refOf(order.broadcastId, order.shardId);
    const seen = this.epochs.get(ref) ?? 0;
    if (order.epoch < seen) return; // stale
    if (order.epoch === seen && this.runs.get(ref)?.order.epoch === order.epoch) return; // a re-send of what runs
    if (order.epoch === seen && this.stoppedReports.has(reportKey(ref, order.epoch))) return; // revoked before it arrived
    const template = compileTemplate(order.template);
    if (!template.ok) return void this.events.push({ kind: 'order-refused', shard: ids, reason: `invalid template: ${template.error.message}` });
    this.rememberEpoch(ref, order.epoch);
    // Taken before a previous run stops: the broadcast's bucket outlives it.
    let bucket = this.buckets.get(order.broadcastId);
    if (bucket === undefined) bucket = new TokenBucket(order.rateLimitPerS, Math.max(1, Math.ceil(order.rateLimitPerS / 10)), this.clock);
    else if (bucket.rate !== order.rateLimitPerS) bucket.setRate(order.rateLimitPerS);
    const previous = this.runs.get(ref);
    if (previous !== undefined) {
      this.stop(previous, `superseded by epoch ${order.epoch}`, { report: false });
      this.runs.delete(ref);
    }
    this.buckets.set(order.broadcastId, bucket);
    const run = new Run(order, template.value, bucket);
    this.runs.set(ref, run);
    this.events.push({ kind: 'shard-started', shard: ids, start: order.start, end: order.end, onlyReachable: order.onlyReachable, rateLimitPerS: order.rateLimitPerS });
    this.checkDone(run);
    this.dispatch();
  }

  onRevoke(revoke: WorkRevoke): void {
    if (this.closed) return;
    const ref = refOf(revoke.broadcastId, revoke.shardId);
    const run = this.runs.get(ref);
    if (run !== undefined && run.order.epoch === revoke.epoch) this.stop(run, revoke.reason);
    this.rememberEpoch(ref, Math.max(this.epochs.get(ref) ?? 0, revoke.epoch));
    if (run === undefined || run.order.epoch !== revoke.epoch) {
      // Confirm even when the order never arrived, so the coordinator can move on.
      const ids = { broadcastId: revoke.broadcastId, shardId: revoke.shardId, epoch: revoke.epoch };
      this.addStoppedReport(reportKey(ref, revoke.epoch), { ...ids, watermark: 0, delivered: 0, skippedUnreachable: 0, deadLettered: 0, done: false, stopped: true });
    }
    this.dispatch();
  }

  /** Stop every shard (the lease is gone, or the node closes): every order belongs to the old lease. */
  stopAll(reason: string): void {
    for (const run of [...this.runs.values()]) this.stop(run, reason, { report: false });
    this.runs.clear();
    this.stoppedReports.clear();
    this.buckets.clear();
  }

  /**
   * Stop every unfinished shard and report where each stopped (once the
   * calls in flight are answered), so the coordinator hands the remainders
   * on at once.
   */
  drain(): void {
    for (const run of [...this.runs.values()]) if (!run.tracker.done) this.stop(run, 'draining');
  }

  close(): void {
    this.stopAll('closing');
    this.closed = true;
    this.held = [];
  }

  onAudiencePage(callId: number, result: CallResult<AudiencePage, CoordinatorFailure>): void {
    const call = this.takeCall(callId, 'read');
    if (call === undefined) return;
    const run = call.run;
    run.reading = false;
    run.coordinatorCalls -= 1;
    if (this.current(run)) {
      if (!result.ok) this.coordinatorFailed(run, 'read-audience', result.failure);
      else {
        const problem = this.checkPage(run, result.value);
        if (problem !== undefined) this.coordinatorFailed(run, 'read-audience', { kind: 'transient', reason: `malformed page: ${problem}` });
        else this.takePage(run, result.value);
      }
    }
    this.settled(run);
  }

  onPresence(callId: number, result: CallResult<readonly boolean[], GatewayFailure>): void {
    const call = this.takeCall(callId, 'presence');
    if (call === undefined) return;
    const { run, entries } = call;
    run.gatewayCalls -= 1;
    if (call.probe) this.probing = false;
    let failure: GatewayFailure | undefined = result.ok ? undefined : result.failure;
    if (result.ok && result.value.length !== entries.length) failure = { kind: 'unavailable', reason: `${result.value.length} presence answers for ${entries.length} recipients` };
    if (failure === undefined) {
      this.gatewayAnswered();
      const reachable = (result as { value: readonly boolean[] }).value;
      entries.forEach((e, i) => {
        if (reachable[i] === true) return;
        this.deliveries.skipped += 1;
        run.tracker.complete(e.sequence, 'skipped');
      });
      if (this.current(run)) this.render(run, entries.filter((_, i) => reachable[i] === true));
    } else if (failure.kind === 'refused') {
      // The gateway answered: it will not say who is present. Deliver
      // anyway: the gateway itself answers UNREACHABLE, and a refused
      // delivery is counted and dead-lettered in the end, never stalled.
      this.gatewayAnswered();
      this.gatewayRefusals += 1;
      this.noteRefusal(run, entries.length, failure.reason);
      if (this.current(run)) this.render(run, entries);
    } else {
      if (this.current(run)) run.pending.unshift(...entries);
      if (failure.kind === 'unavailable') this.gatewayFailed(failure.reason, call.probe);
    }
    this.checkDone(run);
    this.settled(run);
  }

  onDelivered(callId: number, result: CallResult<readonly DeliveryResult[], GatewayFailure>): void {
    const call = this.takeCall(callId, 'deliver');
    if (call === undefined) return;
    const { run, sent } = call;
    run.gatewayCalls -= 1;
    if (call.probe) this.probing = false;
    let failure: GatewayFailure | undefined = result.ok ? undefined : result.failure;
    if (result.ok && !answersMatch(sent, result.value)) failure = { kind: 'unavailable', reason: `the gateway's ${result.value.length} results do not match the ${sent.length} items sent` };
    const now = this.clock.monotonicMs();
    if (failure === undefined) {
      this.gatewayAnswered();
      const results = (result as { value: readonly DeliveryResult[] }).value;
      sent.forEach((s, i) => this.applyOutcome(run, s, results[i]!, now));
    } else if (failure.kind === 'refused') {
      this.gatewayAnswered();
      this.gatewayRefusals += 1;
      this.deliveries.gatewayRefused += sent.length;
      this.noteRefusal(run, sent.length, failure.reason);
      for (const s of sent) this.attemptFailed(run, s, `gateway refused: ${failure.reason}`, 'gateway_refused', now);
    } else {
      if (failure.kind === 'unavailable') this.deliveries.gatewayUnavailable += sent.length;
      // Nothing in the call can be assumed done: keep every item, no attempt counted. An
      // unavailable gateway is probed before they go again; a call not sent (the lease had
      // just expired, by the wall clock) waits a moment rather than spin until the lease is
      // renewed or seen expired here too.
      const dueAtMs = failure.kind === 'not-sent' ? now + FENCED_POLL_MS : now;
      if (this.current(run)) for (const s of sent) this.toOutbox(run, { item: s.item, attempts: s.attempts, reason: failure.reason, dueAtMs });
      if (failure.kind === 'unavailable') this.gatewayFailed(failure.reason, call.probe);
    }
    this.checkDone(run);
    this.settled(run);
  }

  onDeadLettersReported(callId: number, result: CallResult<true, CoordinatorFailure>): void {
    const call = this.takeCall(callId, 'dead');
    if (call === undefined) return;
    const { run, deadLetters } = call;
    run.reportingDead = false;
    run.coordinatorCalls -= 1;
    if (result.ok) {
      // Recorded at the coordinator: final now, even if the run stopped meanwhile.
      run.deadAttempts = 0;
      const byClass: Partial<Record<DeadLetterClass, number>> = {};
      for (const d of deadLetters) {
        run.tracker.complete(d.sequence, 'dead');
        byClass[d.cls] = (byClass[d.cls] ?? 0) + 1;
        this.deadLettersByClass[d.cls] += 1;
      }
      this.deliveries.deadLettered += deadLetters.length;
      this.events.push({ kind: 'dead-lettered', shard: run.ids, count: deadLetters.length, byClass, example: deadLetters[0]!.reason });
    } else if (this.current(run)) {
      run.deadQueue.unshift(...deadLetters);
      this.coordinatorFailed(run, 'report-dead-letters', result.failure);
    }
    this.checkDone(run);
    this.settled(run);
  }

  /** Time passed: send what became due. Call at nextWakeMs(). */
  tick(): void {
    this.dispatch();
  }

  /**
   * When tick() has something to do (monotonic ms; Infinity: only when an
   * input arrives). Each time returned is one dispatch() acts on when it
   * comes, under the same conditions, so a shell never spins.
   */
  nextWakeMs(): number {
    if (this.closed) return Number.POSITIVE_INFINITY;
    let wake = Number.POSITIVE_INFINITY;
    for (const w of this.waiting) wake = Math.min(wake, w.dueAtMs);
    const leaseValid = this.leaseValid();
    let waitingForLease = false;
    for (const run of this.runs.values()) {
      if (run.stopped || run.tracker.done) continue;
      if (run.deadQueue.length > 0 && !run.reportingDead) wake = Math.min(wake, run.deadRetryAtMs);
      if (run.readAttempts > 0 && this.mayRead(run)) wake = Math.min(wake, run.readRetryAtMs);
      const top = run.outbox.peek();
      if (top === undefined && run.ready.length === 0 && run.pending.length === 0) continue;
      if (!leaseValid) waitingForLease = true;
      else if (top !== undefined && this.healthy && run.gatewayCalls < this.config.deliverBatchesInFlightMax) wake = Math.min(wake, top.dueAtMs);
    }
    if (leaseValid && !this.healthy && !this.probing) wake = Math.min(wake, this.probeAtMs);
    if (waitingForLease) wake = Math.min(wake, this.clock.monotonicMs() + FENCED_POLL_MS);
    return wake;
  }

  /**
   * Progress for the next liveness packet. Finished and stopped shards are
   * reported FINAL_REPORTS times and for FINAL_REPORT_MS, then forgotten.
   */
  progress(): ProgressReport[] {
    const out: ProgressReport[] = [];
    const nowMs = this.clock.monotonicMs();
    for (const [ref, run] of this.runs) {
      if (run.stopped && !run.tracker.done) continue;
      out.push(run.progress(false));
      if (!run.tracker.done) continue;
      if (Number.isNaN(run.doneReportedAtMs)) run.doneReportedAtMs = nowMs;
      if (--run.reportsLeft <= 0 && nowMs - run.doneReportedAtMs >= FINAL_REPORT_MS) {
        this.runs.delete(ref);
        this.releaseBucket(run.order.broadcastId);
      }
    }
    for (const [key, s] of this.stoppedReports) {
      out.push(s.progress);
      if (--s.left <= 0 && nowMs - s.sinceMs >= FINAL_REPORT_MS) this.stoppedReports.delete(key);
    }
    return out;
  }

  // ------------------------------------------------------------ private

  private current(run: Run): boolean {
    return !run.stopped && !this.closed && this.runs.get(run.ref) === run;
  }

  private takeCall<K extends Call['kind']>(callId: number, kind: K): Extract<Call, { kind: K }> | undefined {
    const call = this.calls.get(callId);
    if (call === undefined || call.kind !== kind) return undefined;
    this.calls.delete(callId);
    return call as Extract<Call, { kind: K }>;
  }

  /** After an answer: a stopped run may owe its report; the rest may move on. */
  private settled(run: Run): void {
    this.maybeReportStopped(run);
    this.dispatch();
  }

  private rememberEpoch(ref: string, epoch: number): void {
    this.epochs.delete(ref);
    this.epochs.set(ref, epoch);
    if (this.epochs.size > EPOCHS_REMEMBERED_MAX) this.epochs.delete(this.epochs.keys().next().value!);
  }

  private purgeHeld(): void {
    const now = this.clock.monotonicMs();
    if (this.held.length > 0 && now - this.held[0]!.atMs >= HELD_ORDER_MS) this.held = this.held.filter((h) => now - h.atMs < HELD_ORDER_MS);
  }

  private releaseBucket(broadcastId: string): void {
    for (const run of this.runs.values()) if (run.order.broadcastId === broadcastId) return;
    this.buckets.delete(broadcastId);
  }

  private addStoppedReport(key: string, progress: ProgressReport): void {
    this.stoppedReports.delete(key);
    this.stoppedReports.set(key, { progress, left: FINAL_REPORTS, sinceMs: this.clock.monotonicMs() });
    if (this.stoppedReports.size > STOPPED_REPORTS_MAX) this.stoppedReports.delete(this.stoppedReports.keys().next().value!);
    this.commands.push({ kind: 'report-progress' });
  }

  private stop(run: Run, reason: string, options: { report?: boolean; givenBack?: boolean } = {}): void {
    if (run.stopped) return;
    run.stopped = true;
    run.owesStoppedReport = options.report !== false && !run.tracker.done;
    this.outboxItems -= run.outbox.size;
    run.outbox.clear();
    run.pending = [];
    run.ready = [];
    run.deadQueue = [];
    const waiting = this.waiting.filter((w) => w.run === run);
    if (waiting.length > 0) {
      this.waiting = this.waiting.filter((w) => w.run !== run);
      run.gatewayCalls -= waiting.length;
      if (waiting.some((w) => w.probe)) this.probing = false;
    }
    if (!run.tracker.done && this.runs.get(run.ref) === run) {
      this.runs.delete(run.ref);
      this.releaseBucket(run.order.broadcastId);
    }
    this.events.push({ kind: 'shard-stopped', shard: run.ids, watermark: run.tracker.watermark, reason, givenBack: options.givenBack === true });
    this.maybeReportStopped(run);
  }

  /** Once nothing of a stopped run is in flight: where it stopped, final. */
  private maybeReportStopped(run: Run): void {
    if (!run.owesStoppedReport || !run.idle || this.closed) return;
    run.owesStoppedReport = false;
    if (run.tracker.done) return;
    this.addStoppedReport(reportKey(run.ref, run.order.epoch), run.progress(true));
  }

  private checkDone(run: Run): void {
    if (run.doneAnnounced || !this.current(run) || !run.tracker.done) return;
    run.doneAnnounced = true;
    const t = run.tracker;
    this.events.push({ kind: 'shard-done', shard: run.ids, delivered: t.delivered, skipped: t.skipped, dead: t.dead });
    this.commands.push({ kind: 'report-progress' });
  }

  private coordinatorFailed(run: Run, call: 'read-audience' | 'report-dead-letters', failure: CoordinatorFailure): void {
    if (failure.kind === 'not-held') return this.stop(run, `coordinator: ${failure.reason}`);
    const max = this.config.coordinatorCallAttemptsMax;
    const attempt = call === 'read-audience' ? ++run.readAttempts : ++run.deadAttempts;
    if (failure.kind === 'refused' || attempt >= max) {
      this.shardsGivenBack += 1;
      const why = failure.kind === 'refused' ? `the coordinator refused ${call}: ${failure.reason}` : `${call} failed ${attempt} times in a row; last: ${failure.reason}`;
      return this.stop(run, `giving the shard back: ${why}`, { givenBack: true });
    }
    const retryInMs = backoffDelayMs(attempt - 1, COORDINATOR_RETRY_MIN_MS, COORDINATOR_RETRY_MAX_MS, this.random);
    const at = this.clock.monotonicMs() + retryInMs;
    if (call === 'read-audience') run.readRetryAtMs = at;
    else run.deadRetryAtMs = at;
    this.events.push({ kind: 'coordinator-call-failed', shard: run.ids, call, attempt, attemptsMax: max, reason: failure.reason, retryInMs });
  }

  private checkPage(run: Run, page: AudiencePage): string | undefined {
    const count = page.recipients.length;
    if (page.firstSequence !== run.readFrom) return `it starts at ${page.firstSequence}, not at ${run.readFrom} as asked`;
    if (count > this.config.audiencePageSize) return `${count} recipients, more than the ${this.config.audiencePageSize} asked for`;
    if (!Number.isSafeInteger(page.shardEnd)) return `shard end ${page.shardEnd} is not an integer`;
    if (count === 0 && page.shardEnd > page.firstSequence) return `it is empty, but the shard goes on to ${page.shardEnd}`;
    if (page.firstSequence + count > Math.min(run.tracker.end, page.shardEnd)) return `it reaches ${page.firstSequence + count}, past the shard's end ${Math.min(run.tracker.end, page.shardEnd)}`;
    for (const r of page.recipients) if (typeof r.id !== 'string' || r.id === '') return 'a recipient without an id';
    return undefined;
  }

  private takePage(run: Run, page: AudiencePage): void {
    run.readAttempts = 0;
    if (page.shardEnd < run.tracker.end) {
      // The coordinator split the tail off. It never cuts below what was
      // read, so this forgets nothing read; should it, those are dropped.
      const end = Math.max(page.shardEnd, run.tracker.watermark);
      run.tracker.shrinkEnd(end);
      run.pending = run.pending.filter((e) => e.sequence < end);
      run.ready = run.ready.filter((i) => i.sequence < end);
      run.deadQueue = run.deadQueue.filter((d) => d.sequence < end);
      this.outboxItems -= run.outbox.retain((e) => e.item.sequence < end);
    }
    const count = page.recipients.length;
    run.readFrom = count === 0 ? run.tracker.end : page.firstSequence + count;
    const entries = page.recipients.map((recipient, i) => ({ sequence: page.firstSequence + i, recipient }));
    if (run.order.onlyReachable) run.pending.push(...entries);
    else this.render(run, entries);
    this.checkDone(run);
  }

  /** Render each recipient's text; one that cannot be rendered is dead-lettered with the reason. */
  private render(run: Run, entries: ReadonlyArray<{ sequence: number; recipient: Recipient }>): void {
    const o = run.order;
    for (const { sequence, recipient } of entries) {
      const rendered = run.template.render(recipient.id, recipient.vars);
      if (rendered.ok) run.ready.push({ idempotencyKey: `${o.broadcastId}/${sequence}`, recipientId: recipient.id, text: rendered.text, broadcastId: o.broadcastId, sequence });
      else run.deadQueue.push({ sequence, recipientId: recipient.id, reason: rendered.reason, attempts: 0, cls: 'unrenderable' });
    }
  }

  private applyOutcome(run: Run, s: Sent, result: DeliveryResult, now: number): void {
    const { item } = s;
    switch (result.outcome) {
      case 'DELIVERED':
        this.deliveries.delivered += 1;
        run.tracker.complete(item.sequence, 'delivered');
        return;
      case 'UNREACHABLE':
        this.deliveries.skipped += 1;
        run.tracker.complete(item.sequence, 'skipped');
        return;
      case 'PERMANENT_FAILURE':
        if (this.current(run)) run.deadQueue.push({ sequence: item.sequence, recipientId: item.recipientId, reason: result.reason || 'permanent failure', attempts: s.attempts + 1, cls: 'permanent_failure' });
        return;
      case 'RETRY':
        this.deliveries.retry += 1;
        return this.attemptFailed(run, s, result.reason || 'retry', 'attempts_exhausted', now);
    }
  }

  /** An attempt that counts failed (RETRY, a refusal): try again after back-off, or dead-letter. */
  private attemptFailed(run: Run, s: Sent, reason: string, cls: 'attempts_exhausted' | 'gateway_refused', now: number): void {
    if (!this.current(run)) return;
    const attempts = s.attempts + 1;
    if (attempts >= this.config.deliveryAttemptsMax) {
      const text = cls === 'gateway_refused' ? reason : `gave up after ${attempts} attempts: ${reason}`;
      run.deadQueue.push({ sequence: s.item.sequence, recipientId: s.item.recipientId, reason: text, attempts, cls });
      return;
    }
    const delay = backoffDelayMs(attempts - 1, this.config.gatewayRetryMinMs, this.config.gatewayRetryMaxMs, this.random);
    this.toOutbox(run, { item: s.item, attempts, reason, dueAtMs: now + delay });
  }

  private toOutbox(run: Run, entry: OutboxEntry): void {
    run.outbox.push(entry);
    this.outboxItems += 1;
  }

  private noteRefusal(run: Run, items: number, reason: string): void {
    this.events.push({ kind: 'gateway-refused', shard: run.ids, items, reason, firstForShard: !run.refusalReported });
    run.refusalReported = true;
  }

  /** The gateway answered (even with a refusal): it is reachable. */
  private gatewayAnswered(): void {
    this.healthAttempt = 0;
    if (this.healthy) return;
    this.healthy = true;
    this.events.push({ kind: 'gateway-healthy', outboxItems: this.outboxItems });
  }

  /**
   * A call failed as a whole. The first failure (or a failed probe) sets
   * when to probe next; calls that were already in flight and fail after
   * it do not push the probe further out.
   */
  private gatewayFailed(reason: string, wasProbe: boolean): void {
    if (!this.healthy && !wasProbe) return;
    if (this.healthy) this.events.push({ kind: 'gateway-unavailable', reason });
    this.healthy = false;
    this.probeAtMs = this.clock.monotonicMs() + backoffDelayMs(this.healthAttempt, this.config.gatewayRetryMinMs, this.config.gatewayRetryMaxMs, this.random);
    this.healthAttempt += 1;
  }

  // ------------------------------------------------------------ dispatch

  /** Ask for every call that may be made now. */
  private dispatch(): void {
    if (this.closed) return;
    const now = this.clock.monotonicMs();
    const leaseValid = this.leaseValid();
    this.flushWaiting(now, leaseValid);
    if (!this.healthy && !this.probing && leaseValid && now >= this.probeAtMs) this.probe(now);
    for (const run of this.runs.values()) {
      if (run.stopped || run.tracker.done) continue;
      this.dispatchDeadLetters(run, now);
      if (leaseValid && this.healthy) this.dispatchGateway(run, now);
      this.dispatchRead(run, now);
    }
  }

  private flushWaiting(now: number, leaseValid: boolean): void {
    if (this.waiting.length === 0) return;
    const due = this.waiting.filter((w) => w.dueAtMs <= now);
    if (due.length === 0) return;
    this.waiting = this.waiting.filter((w) => w.dueAtMs > now);
    for (const w of due) {
      // Still the run's, the lease valid, the gateway healthy (or this is its probe)?
      if (leaseValid && (this.healthy || w.probe)) {
        this.emitDeliver(w.run, w.sent, w.probe);
        continue;
      }
      w.run.gatewayCalls -= 1;
      if (w.probe) this.probing = false;
      for (const s of w.sent) this.toOutbox(w.run, { item: s.item, attempts: s.attempts, reason: 'not sent yet', dueAtMs: now });
    }
  }

  /** The gateway is unhealthy: one call, with real work, tells whether it is back. */
  private probe(now: number): void {
    for (const run of this.runs.values()) {
      if (run.stopped || run.tracker.done || run.gatewayCalls >= this.config.deliverBatchesInFlightMax) continue;
      if (this.sendOne(run, now, true)) {
        this.probing = true;
        return;
      }
    }
    // Nothing to try it with: the next real call will tell.
    this.healthy = true;
  }

  private dispatchGateway(run: Run, now: number): void {
    while (run.gatewayCalls < this.config.deliverBatchesInFlightMax && this.healthy) {
      if (!this.sendOne(run, now, false)) return;
    }
  }

  /** One gateway call for the run, if it has something to send now. */
  private sendOne(run: Run, now: number, probe: boolean): boolean {
    const top = run.outbox.peek();
    if (top !== undefined && top.dueAtMs <= now) {
      const sent: Sent[] = [];
      let bytes = 0;
      for (let e = run.outbox.peek(); e !== undefined && e.dueAtMs <= now && sent.length < this.config.deliverBatchSize; e = run.outbox.peek()) {
        const size = itemBytes(e.item);
        if (sent.length > 0 && bytes + size > DELIVER_CALL_BYTES_MAX) break;
        run.outbox.pop();
        this.outboxItems -= 1;
        bytes += size;
        sent.push({ item: e.item, attempts: e.attempts });
      }
      this.deliver(run, sent, now, probe);
      return true;
    }
    if (run.pending.length > 0) {
      const entries = run.pending.splice(0, this.config.deliverBatchSize);
      const callId = ++this.nextCallId;
      this.calls.set(callId, { kind: 'presence', run, entries, probe });
      run.gatewayCalls += 1;
      this.commands.push({ kind: 'lookup-presence', callId, shard: run.ids, recipientIds: entries.map((e) => e.recipient.id) });
      return true;
    }
    if (run.ready.length > 0) {
      let n = 0;
      let bytes = 0;
      while (n < run.ready.length && n < this.config.deliverBatchSize) {
        const size = itemBytes(run.ready[n]!);
        if (n > 0 && bytes + size > DELIVER_CALL_BYTES_MAX) break;
        bytes += size;
        n += 1;
      }
      const items = run.ready.splice(0, n);
      this.deliver(run, items.map((item) => ({ item, attempts: 0 })), now, probe);
      return true;
    }
    return false;
  }

  /** Deliver now, or once the broadcast's rate limit allows (holding the slot). Resends count like first sends. */
  private deliver(run: Run, sent: Sent[], now: number, probe: boolean): void {
    const waitMs = run.bucket.reserve(sent.length);
    if (waitMs > 0) {
      run.gatewayCalls += 1;
      this.waiting.push({ run, sent, dueAtMs: now + waitMs, probe });
      return;
    }
    run.gatewayCalls += 1;
    this.emitDeliver(run, sent, probe);
  }

  /** The slot is already counted. */
  private emitDeliver(run: Run, sent: Sent[], probe: boolean): void {
    const callId = ++this.nextCallId;
    this.calls.set(callId, { kind: 'deliver', run, sent, probe });
    this.commands.push({ kind: 'deliver', callId, shard: run.ids, items: sent.map((s) => s.item) });
  }

  private dispatchDeadLetters(run: Run, now: number): void {
    if (run.deadQueue.length === 0 || run.reportingDead || now < run.deadRetryAtMs) return;
    const deadLetters = run.deadQueue.splice(0, DEAD_LETTERS_PER_REPORT_MAX);
    const callId = ++this.nextCallId;
    this.calls.set(callId, { kind: 'dead', run, deadLetters });
    run.reportingDead = true;
    run.coordinatorCalls += 1;
    this.commands.push({ kind: 'report-dead-letters', callId, shard: run.ids, dataAddress: run.order.dataAddress, deadLetters: deadLetters.map(({ sequence, recipientId, reason, attempts }) => ({ sequence, recipientId, reason, attempts })) });
  }

  /** A page may be read (time aside) once everything read has gone out, unless the outbox is full. */
  private mayRead(run: Run): boolean {
    return !run.reading && run.readFrom < run.tracker.end && run.pending.length === 0 && run.ready.length === 0 && this.outboxItems < this.config.outboxItemsMax;
  }

  /** The next page, when it may be read. */
  private dispatchRead(run: Run, now: number): void {
    if (!this.mayRead(run) || (run.readAttempts > 0 && now < run.readRetryAtMs)) return;
    const callId = ++this.nextCallId;
    this.calls.set(callId, { kind: 'read', run });
    run.reading = true;
    run.coordinatorCalls += 1;
    this.commands.push({ kind: 'read-audience', callId, shard: run.ids, dataAddress: run.order.dataAddress, fromSequence: run.readFrom, limit: this.config.audiencePageSize });
  }
}

function answersMatch(sent: readonly Sent[], results: readonly DeliveryResult[]): boolean {
  if (results.length !== sent.length) return false;
  return results.every((r, i) => r !== undefined && r.idempotencyKey === sent[i]!.item.idempotencyKey);
}

/** An order's numbers come from the network: checked, never asserted. */
function checkOrder(o: WorkOrder): string | undefined {
  const int = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (typeof o.broadcastId !== 'string' || o.broadcastId === '') return 'no broadcast id';
  if (!int(o.shardId)) return `shard id ${o.shardId} is not an integer >= 0`;
  if (!int(o.epoch) || o.epoch === 0) return `epoch ${o.epoch} is not an integer >= 1`;
  if (!int(o.start) || !int(o.end) || o.end < o.start) return `range [${o.start}, ${o.end}) is not a range of sequences`;
  if (!(Number.isFinite(o.rateLimitPerS) && o.rateLimitPerS >= 0)) return `rate limit ${o.rateLimitPerS}/s is not a number >= 0`;
  if (!int(o.countedDelivered) || !int(o.countedSkipped) || !int(o.countedDead)) return 'counts below the start are not integers >= 0';
  if (!int(o.leaseEpoch)) return `lease epoch ${o.leaseEpoch} is not an integer >= 0`;
  return undefined;
}
