/**
 * The node's delivery pipeline (shell). For each shard order:
 *   read a page of the range from the coordinator → look up presence (when
 *   only-reachable) → render each recipient's text → deliver in batches with
 *   bounded concurrency and the broadcast's rate limit, keyed
 *   `<broadcast>/<sequence>` → record each outcome → advance the watermark.
 * Items the gateway could not take go to a durable outbox and are retried
 * when the gateway is healthy again; after deliveryAttemptsMax they are
 * dead-lettered (recorded at the coordinator first). The watermark never
 * passes an item that is not final.
 *
 * Fencing: nothing is sent unless `canDeliver()` (the lease is valid) and
 * the shard's order is still current.
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/log';
import type { KvStore } from '../shared/store/store';
import { prefixEnd } from '../shared/store/store';
import { backoffDelayMs } from '../shared/backoff';
import { DEAD_LETTER_REASON_LENGTH_MAX, truncate } from '../shared/validate';
import { GRPC_MESSAGE_BYTES_MAX } from '../shared/grpc-server';
import { relaycastV1 } from '../shared/proto';
import { compileTemplate, type CompiledTemplate } from '../shared/core/template';
import type { ShardDataClient } from '../shared/generated/relaycast/v1/ShardData';
import type { ShardOrder__Output } from '../shared/generated/relaycast/v1/ShardOrder';
import type { ShardRevoke__Output } from '../shared/generated/relaycast/v1/ShardRevoke';
import type { ShardProgress } from '../shared/generated/relaycast/v1/ShardProgress';
import type { StoredRecipient } from '../coordinator/broadcast-service';
import type { ReadAudienceResponse__Output } from '../shared/generated/relaycast/v1/ReadAudienceResponse';
import { ShardTracker } from './core/shard-tracker';
import { TokenBucket } from './core/rate-limiter';
import { GatewayUnavailableError, type DeliveryItem, type DeliveryResult, type GatewayClient } from './gateway-client';

export interface WorkerOptions {
  nodeKey: string;
  deliverBatchSize: number;
  deliverBatchesInFlightMax: number;
  audiencePageSize: number;
  deliveryAttemptsMax: number;
  gatewayRetryMinMs: number;
  gatewayRetryMaxMs: number;
  callTimeoutMs: number;
  /** How audience page reads (ShardData) are secured (insecure when absent: --plaintext). */
  credentials?: grpc.ChannelCredentials;
}

interface OutboxEntry {
  ref: string;
  epoch: number;
  item: DeliveryItem;
  attempts: number;
  reason: string;
}

/** Reports kept for the coordinator after a shard ends (it may miss one packet). */
const FINAL_REPORTS = 5;
/**
 * ...and for at least this long. A relay forwards only each leaf's newest
 * packet per flush, and a node that finishes many shards at once sends a
 * packet per shard: counting packets alone, a shard's final report could be
 * used up before any packet with it was forwarded; the coordinator, never
 * told, would re-send the order and the shard would run again, forever.
 */
const FINAL_REPORT_MS = 2000;

const refOf = (broadcastId: string, shardId: number) => `${broadcastId}#${shardId}`;

/**
 * Items per Deliver call are also bounded in bytes: texts are up to
 * RENDERED_TEXT_LENGTH_MAX each, and a call over gRPC's 16 MiB (or the
 * webhook's body limit) would fail every time, holding the items forever.
 */
const DELIVER_CALL_BYTES_MAX = 4 * 1024 * 1024;
/** Sequence, broadcast id and framing of an item, generously. */
const ITEM_OVERHEAD_BYTES = 128;

/** An upper bound of an item's encoded size (3 bytes of UTF-8 per UTF-16 unit). */
function itemBytes(item: DeliveryItem): number {
  return (item.text.length + item.recipientId.length + item.idempotencyKey.length) * 3 + ITEM_OVERHEAD_BYTES;
}

/** Consecutive groups of at most `bytesMax` (a larger single item goes alone). */
function splitByBytes(items: DeliveryItem[], bytesMax: number): DeliveryItem[][] {
  const groups: DeliveryItem[][] = [];
  let group: DeliveryItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = itemBytes(item);
    if (group.length > 0 && bytes + size > bytesMax) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(item);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

class ShardRun {
  readonly tracker: ShardTracker;
  stopped = false;
  reportsLeft = FINAL_REPORTS;
  /** When the first report with done=true went out. */
  doneReportedAtMs = Number.NaN;
  inFlight = 0;
  constructor(
    readonly order: ShardOrder__Output,
    readonly template: CompiledTemplate,
    /** Shared by every shard of the broadcast on this node: the order carries this node's share. */
    readonly bucket: TokenBucket,
  ) {
    this.tracker = new ShardTracker(order.start, order.end, { delivered: order.countedDelivered, skipped: order.countedSkipped, dead: order.countedDead });
  }
  get ref(): string {
    return refOf(this.order.broadcastId, this.order.shardId);
  }
}

export class Worker {
  private readonly runs = new Map<string, ShardRun>();
  /** Highest epoch seen per shard: older orders are stale. */
  private readonly epochs = new Map<string, number>();
  /** Shards this node stopped (revoked, drained, lost): reported a few times with stopped=true. */
  private readonly stoppedReports = new Map<string, { progress: ShardProgress; left: number; sinceMs: number }>();
  private readonly dataClients = new Map<string, ShardDataClient>();
  /** One rate limiter per broadcast (bounded by the broadcasts this node works on). */
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private gatewayHealthy = true;
  /**
   * Items by what this node recorded for them, for metrics: final outcomes
   * (delivered, skipped as unreachable, dead-lettered), RETRY answers, and
   * items of gateway calls that failed as a whole (kept in the outbox).
   */
  readonly deliveries = { delivered: 0, skipped: 0, deadLettered: 0, retry: 0, gatewayUnavailable: 0 };
  /** Called when a shard finishes or stops, so progress can be reported at once. */
  onReport: () => void = () => undefined;
  private healthWaiters: Array<() => void> = [];
  private retryAttempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** An outbox resend is in flight: one at a time, or two would send the same items. */
  private retrying = false;
  private closed = false;

  constructor(
    private readonly options: WorkerOptions,
    private readonly gateway: GatewayClient,
    private readonly store: KvStore,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly canDeliver: () => boolean,
    private readonly log: Logger,
  ) {}

  get outboxSize(): number {
    return this.outbox.size;
  }

  get gatewayIsHealthy(): boolean {
    return this.gatewayHealthy;
  }

  /** Outbox entries of earlier runs of this process identity are stale: their shards were handed on. */
  async clearStaleOutbox(): Promise<void> {
    const ops = [];
    for await (const [key] of this.store.scan({ gte: 'o/', lt: prefixEnd('o/') })) ops.push({ type: 'del' as const, key });
    if (ops.length > 0) await this.store.batch(ops);
  }

  /** An order from the coordinator; `leaseEpoch` is this node's current lease (0: none). */
  onOrder(order: ShardOrder__Output, leaseEpoch: number): void {
    if (this.closed) return;
    const ref = refOf(order.broadcastId, order.shardId);
    const seen = this.epochs.get(ref) ?? 0;
    const log = this.log.child({ broadcastId: order.broadcastId, shardId: order.shardId, epoch: order.epoch });
    if (order.leaseEpoch !== leaseEpoch) {
      // Issued to an earlier lease of this node id (a predecessor process): not ours to run.
      log.warn({ orderLeaseEpoch: order.leaseEpoch, leaseEpoch }, 'order for another lease ignored');
      return;
    }
    if (order.epoch < seen || (order.epoch === seen && this.runs.has(ref))) return; // stale or a re-send of what runs
    if (order.epoch === seen && this.stoppedReports.has(ref)) return; // revoked before it arrived
    const template = compileTemplate(order.template);
    if (!template.ok) {
      log.error({ reason: template.error.message }, 'order with an invalid template refused');
      return;
    }
    this.epochs.set(ref, order.epoch);
    const previous = this.runs.get(ref);
    if (previous !== undefined) previous.stopped = true;
    let bucket = this.buckets.get(order.broadcastId);
    if (bucket === undefined) {
      bucket = new TokenBucket(order.rateLimitPerS, Math.max(1, Math.ceil(order.rateLimitPerS / 10)), this.clock);
      this.buckets.set(order.broadcastId, bucket);
    } else if (bucket.rate !== order.rateLimitPerS) {
      bucket.setRate(order.rateLimitPerS);
    }
    const run = new ShardRun(order, template.value, bucket);
    this.runs.set(ref, run);
    log.info({ start: order.start, end: order.end, onlyReachable: order.onlyReachable, rateLimitPerS: order.rateLimitPerS }, 'shard started');
    this.runShard(run, log).catch((err: unknown) => {
      log.error({ err }, 'shard failed; stopping it (the coordinator hands it on)');
      this.stop(run, 'failed');
    });
  }

  onRevoke(revoke: ShardRevoke__Output): void {
    const ref = refOf(revoke.broadcastId, revoke.shardId);
    const run = this.runs.get(ref);
    if (run !== undefined && run.order.epoch === revoke.epoch) this.stop(run, revoke.reason);
    // Confirm even when the order never arrived, so the coordinator can move on.
    this.epochs.set(ref, Math.max(this.epochs.get(ref) ?? 0, revoke.epoch));
    if (run === undefined || run.order.epoch !== revoke.epoch) {
      this.stoppedReports.set(ref, { progress: { broadcastId: revoke.broadcastId, shardId: revoke.shardId, epoch: revoke.epoch, watermark: 0, delivered: 0, skippedUnreachable: 0, deadLettered: 0, done: false, stopped: true }, left: FINAL_REPORTS, sinceMs: this.clock.monotonicMs() });
    }
  }

  /**
   * Stop every shard after the batches in flight, and report where each
   * stopped, so the coordinator hands the remainders on at once (drain).
   */
  async drain(timeoutMs: number): Promise<void> {
    const runs = [...this.runs.values()].filter((run) => !run.tracker.done);
    for (const run of runs) this.stop(run, 'draining');
    const deadline = Date.now() + timeoutMs;
    while (runs.some((run) => run.inFlight > 0) && Date.now() < deadline) await sleep(20);
    this.onReport();
  }

  get activeShards(): number {
    let n = 0;
    for (const run of this.runs.values()) if (!run.tracker.done) n += 1;
    return n;
  }

  /** The lease is gone: every order belongs to the old lease. */
  stopAll(reason: string): void {
    for (const run of [...this.runs.values()]) this.stop(run, reason);
    this.runs.clear();
    this.stoppedReports.clear();
  }

  /** Progress for the next liveness packet. */
  progress(): ShardProgress[] {
    const out: ShardProgress[] = [];
    const nowMs = this.clock.monotonicMs();
    for (const [ref, run] of this.runs) {
      const t = run.tracker;
      out.push({ broadcastId: run.order.broadcastId, shardId: run.order.shardId, epoch: run.order.epoch, watermark: t.watermark, delivered: t.delivered, skippedUnreachable: t.skipped, deadLettered: t.dead, done: t.done, stopped: false });
      if (!t.done) continue;
      if (Number.isNaN(run.doneReportedAtMs)) run.doneReportedAtMs = nowMs;
      if (--run.reportsLeft <= 0 && nowMs - run.doneReportedAtMs >= FINAL_REPORT_MS) this.runs.delete(ref);
    }
    for (const [ref, s] of this.stoppedReports) {
      out.push(s.progress);
      if (--s.left <= 0 && nowMs - s.sinceMs >= FINAL_REPORT_MS) this.stoppedReports.delete(ref);
    }
    return out;
  }

  close(): void {
    this.closed = true;
    this.stopAll('closing');
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    for (const client of this.dataClients.values()) client.close();
    for (const waiter of this.healthWaiters) waiter();
    this.healthWaiters = [];
  }

  private stop(run: ShardRun, reason: string): void {
    if (run.stopped) return;
    run.stopped = true;
    if (!run.tracker.done) this.runs.delete(run.ref);
    if (run.inFlight === 0) this.reportStopped(run);
    this.log.info({ broadcastId: run.order.broadcastId, shardId: run.order.shardId, epoch: run.order.epoch, watermark: run.tracker.watermark, reason }, 'shard stopped');
    for (const [key, entry] of this.outbox) {
      if (entry.ref === run.ref && entry.epoch === run.order.epoch) {
        this.outbox.delete(key);
        void this.store.del(key);
      }
    }
  }

  /** Once nothing of the run is in flight: where it stopped, final. */
  private reportStopped(run: ShardRun): void {
    if (run.tracker.done) return;
    const t = run.tracker;
    const o = run.order;
    this.stoppedReports.set(run.ref, {
      progress: { broadcastId: o.broadcastId, shardId: o.shardId, epoch: o.epoch, watermark: t.watermark, delivered: t.delivered, skippedUnreachable: t.skipped, deadLettered: t.dead, done: false, stopped: true },
      left: FINAL_REPORTS,
      sinceMs: this.clock.monotonicMs(),
    });
  }

  private current(run: ShardRun): boolean {
    return !run.stopped && !this.closed && this.runs.get(run.ref) === run;
  }

  private async runShard(run: ShardRun, log: Logger): Promise<void> {
    const { audiencePageSize, deliverBatchSize, deliverBatchesInFlightMax } = this.options;
    let from = run.order.start;
    let readAttempt = 0;
    const slots = new Slots(deliverBatchesInFlightMax);
    while (from < run.tracker.end && this.current(run)) {
      let page: ReadAudienceResponse__Output;
      try {
        page = await this.readPage(run, from, audiencePageSize);
        readAttempt = 0;
      } catch (err) {
        const code = (err as grpc.ServiceError).code;
        if (code === grpc.status.FAILED_PRECONDITION || code === grpc.status.NOT_FOUND) {
          this.stop(run, `coordinator: ${(err as grpc.ServiceError).details}`);
          return;
        }
        await sleep(backoffDelayMs(readAttempt++, 100, 5000, this.random));
        continue;
      }
      if (page.shardEnd < run.tracker.end) run.tracker.shrinkEnd(page.shardEnd);
      if (page.count === 0) break;
      const entries = parsePage(page);
      for (let i = 0; i < entries.length && this.current(run); i += deliverBatchSize) {
        const batch = entries.slice(i, i + deliverBatchSize);
        await slots.acquire();
        run.inFlight += 1;
        this.processBatch(run, batch)
          .catch((err: unknown) => log.error({ err }, 'batch failed'))
          .finally(() => {
            run.inFlight -= 1;
            slots.release();
            if (run.stopped && run.inFlight === 0) this.reportStopped(run);
          });
      }
      from = page.firstSequence + page.count;
    }
    await slots.drain();
    if (this.current(run) && run.tracker.done) {
      log.info({ delivered: run.tracker.delivered, skipped: run.tracker.skipped, deadLettered: run.tracker.dead }, 'shard done');
      this.onReport();
    }
  }

  private readPage(run: ShardRun, from: number, limit: number): Promise<ReadAudienceResponse__Output> {
    const o = run.order;
    return new Promise((resolve, reject) => {
      this.dataClient(o.dataAddress).ReadAudience(
        { broadcastId: o.broadcastId, shardId: o.shardId, epoch: o.epoch, nodeKey: this.options.nodeKey, fromSequence: from, limit },
        { deadline: Date.now() + this.options.callTimeoutMs },
        (err, res) => (err ? reject(err) : resolve(res!)),
      );
    });
  }

  private dataClient(address: string): ShardDataClient {
    let client = this.dataClients.get(address);
    if (client === undefined) {
      // The coordinator sends and accepts at most GRPC_MESSAGE_BYTES_MAX (audience pages end early to fit).
      client = new (relaycastV1().ShardData)(address, this.options.credentials ?? grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX, 'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX });
      this.dataClients.set(address, client);
    }
    return client;
  }

  /** Waits until this run may send: lease valid, gateway healthy. False when the run ended. */
  private async mayDeliver(run: ShardRun): Promise<boolean> {
    for (;;) {
      if (!this.current(run)) return false;
      if (!this.canDeliver()) {
        await sleep(50);
        continue;
      }
      if (!this.gatewayHealthy) {
        await new Promise<void>((resolve) => this.healthWaiters.push(resolve));
        continue;
      }
      return true;
    }
  }

  private async processBatch(run: ShardRun, entries: AudienceEntry[]): Promise<void> {
    const o = run.order;
    let candidates = entries;
    if (o.onlyReachable) {
      for (;;) {
        if (!(await this.mayDeliver(run))) return;
        try {
          const reachable = await this.gateway.lookupPresence(entries.map((e) => e.recipient.id));
          candidates = [];
          entries.forEach((e, i) => {
            if (reachable[i]) candidates.push(e);
            else {
              run.tracker.complete(e.sequence, 'skipped');
              this.deliveries.skipped += 1;
            }
          });
          break;
        } catch (err) {
          this.markUnhealthy(err);
        }
      }
    }
    const items: DeliveryItem[] = [];
    const deadLetters: Array<{ sequence: number; recipientId: string; reason: string; attempts: number }> = [];
    for (const e of candidates) {
      const r = e.recipient;
      const rendered = run.template.render(r.id, r.vars);
      if (rendered.ok) items.push({ idempotencyKey: `${o.broadcastId}/${e.sequence}`, recipientId: r.id, text: rendered.text, broadcastId: o.broadcastId, sequence: e.sequence });
      else deadLetters.push({ sequence: e.sequence, recipientId: r.id, reason: rendered.reason, attempts: 0 });
    }
    if (deadLetters.length > 0) await this.deadLetter(run, deadLetters);
    for (const call of splitByBytes(items, DELIVER_CALL_BYTES_MAX)) await this.deliverCall(run, call);
  }

  /** One gateway Deliver call, when the run may send and its rate allows. */
  private async deliverCall(run: ShardRun, items: DeliveryItem[]): Promise<void> {
    if (!(await this.mayDeliver(run))) return;
    const waitMs = run.bucket.reserve(items.length);
    if (waitMs > 0) await sleep(waitMs);
    if (!(await this.mayDeliver(run))) return;
    let results: DeliveryResult[];
    try {
      results = await this.gateway.deliver(items);
    } catch (err) {
      this.markUnhealthy(err);
      this.deliveries.gatewayUnavailable += items.length;
      await this.toOutbox(run, items.map((item) => ({ item, attempts: 1, reason: (err as Error).message })));
      return;
    }
    this.markHealthy();
    await this.applyResults(run, items.map((item) => ({ item, attempts: 1 })), results);
  }

  private async applyResults(run: ShardRun, sent: Array<{ item: DeliveryItem; attempts: number }>, results: DeliveryResult[]): Promise<void> {
    const retry: Array<{ item: DeliveryItem; attempts: number; reason: string }> = [];
    const dead: Array<{ sequence: number; recipientId: string; reason: string; attempts: number }> = [];
    results.forEach((result, i) => {
      const { item, attempts } = sent[i]!;
      switch (result.outcome) {
        case 'DELIVERED':
          this.deliveries.delivered += 1;
          run.tracker.complete(item.sequence, 'delivered');
          break;
        case 'UNREACHABLE':
          this.deliveries.skipped += 1;
          run.tracker.complete(item.sequence, 'skipped');
          break;
        case 'PERMANENT_FAILURE':
          dead.push({ sequence: item.sequence, recipientId: item.recipientId, reason: result.reason || 'permanent failure', attempts });
          break;
        case 'RETRY':
          this.deliveries.retry += 1;
          if (attempts >= this.options.deliveryAttemptsMax) dead.push({ sequence: item.sequence, recipientId: item.recipientId, reason: `gave up after ${attempts} attempts: ${result.reason || 'retry'}`, attempts });
          else retry.push({ item, attempts, reason: result.reason });
          break;
      }
    });
    if (dead.length > 0) await this.deadLetter(run, dead);
    if (retry.length > 0) await this.toOutbox(run, retry);
    if (run.tracker.done) this.onReport();
  }

  /** Record dead letters at the coordinator, then count them final. */
  private async deadLetter(run: ShardRun, items: Array<{ sequence: number; recipientId: string; reason: string; attempts: number }>): Promise<void> {
    const o = run.order;
    for (let attempt = 0; this.current(run); attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          this.dataClient(o.dataAddress).ReportDeadLetters(
            { broadcastId: o.broadcastId, shardId: o.shardId, epoch: o.epoch, nodeKey: this.options.nodeKey, deadLetters: items.map((d) => ({ ...d, reason: truncate(d.reason, DEAD_LETTER_REASON_LENGTH_MAX), broadcastId: o.broadcastId })) },
            { deadline: Date.now() + this.options.callTimeoutMs },
            (err) => (err ? reject(err) : resolve()),
          );
        });
        for (const d of items) run.tracker.complete(d.sequence, 'dead');
        this.deliveries.deadLettered += items.length;
        return;
      } catch (err) {
        const code = (err as grpc.ServiceError).code;
        if (code === grpc.status.FAILED_PRECONDITION) return this.stop(run, 'shard no longer held');
        await sleep(backoffDelayMs(attempt, 100, 5000, this.random));
      }
    }
  }

  private async toOutbox(run: ShardRun, items: Array<{ item: DeliveryItem; attempts: number; reason: string }>): Promise<void> {
    if (!this.current(run)) return;
    const ops = items.map(({ item, attempts, reason }) => {
      const key = `o/${run.ref}/${run.order.epoch}/${String(item.sequence).padStart(12, '0')}`;
      const entry: OutboxEntry = { ref: run.ref, epoch: run.order.epoch, item, attempts, reason };
      this.outbox.set(key, entry);
      return { type: 'put' as const, key, value: JSON.stringify(entry) };
    });
    await this.store.batch(ops);
    this.scheduleRetry();
  }

  private markUnhealthy(err: unknown): void {
    if (!(err instanceof GatewayUnavailableError)) this.log.warn({ err }, 'gateway call failed');
    if (this.gatewayHealthy) this.log.warn({ reason: (err as Error).message }, 'gateway unavailable; holding deliveries in the outbox until it recovers');
    this.gatewayHealthy = false;
    this.scheduleRetry();
  }

  private markHealthy(): void {
    if (!this.gatewayHealthy) this.log.info({ outbox: this.outbox.size }, 'gateway healthy again');
    this.gatewayHealthy = true;
    this.retryAttempt = 0;
    const waiters = this.healthWaiters;
    this.healthWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.retrying || this.closed) return;
    const delay = backoffDelayMs(this.retryAttempt, this.options.gatewayRetryMinMs, this.options.gatewayRetryMaxMs, this.random);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retrying = true;
      this.retryOutbox()
        .catch((err: unknown) => this.log.error({ err }, 'outbox retry failed'))
        .finally(() => {
          this.retrying = false;
          if (this.outbox.size > 0 || !this.gatewayHealthy) this.scheduleRetry();
        });
    }, delay);
  }

  /** Resend a batch from the outbox; it doubles as the gateway health probe. */
  private async retryOutbox(): Promise<void> {
    if (!this.canDeliver()) return;
    const batch: Array<[string, OutboxEntry, ShardRun]> = [];
    let batchBytes = 0;
    for (const [key, entry] of this.outbox) {
      const run = this.runs.get(entry.ref);
      if (run === undefined || run.order.epoch !== entry.epoch || run.stopped) {
        this.outbox.delete(key);
        void this.store.del(key);
        continue;
      }
      batchBytes += itemBytes(entry.item);
      if (batch.length > 0 && batchBytes > DELIVER_CALL_BYTES_MAX) break;
      batch.push([key, entry, run]);
      if (batch.length >= this.options.deliverBatchSize) break;
    }
    try {
      if (batch.length === 0) {
        if (this.gatewayHealthy) return;
        await this.gateway.lookupPresence([]);
        this.markHealthy();
        return;
      }
      let results: DeliveryResult[];
      try {
        results = await this.gateway.deliver(batch.map(([, e]) => e.item));
      } catch (err) {
        this.deliveries.gatewayUnavailable += batch.length;
        throw err;
      }
      this.markHealthy();
      await this.store.batch(batch.map(([key]) => ({ type: 'del' as const, key })));
      for (const [key] of batch) this.outbox.delete(key);
      const byRun = new Map<ShardRun, Array<{ sent: { item: DeliveryItem; attempts: number }; result: DeliveryResult }>>();
      batch.forEach(([, entry, run], i) => {
        const list = byRun.get(run) ?? [];
        list.push({ sent: { item: entry.item, attempts: entry.attempts + 1 }, result: results[i]! });
        byRun.set(run, list);
      });
      for (const [run, list] of byRun) await this.applyResults(run, list.map((l) => l.sent), list.map((l) => l.result));
    } catch (err) {
      this.retryAttempt += 1;
      this.gatewayHealthy = false;
      this.log.debug({ err, outbox: this.outbox.size }, 'gateway still unavailable');
    }
  }
}

interface AudienceEntry {
  sequence: number;
  recipient: StoredRecipient;
}

function parsePage(page: ReadAudienceResponse__Output): AudienceEntry[] {
  // One parse per page: much cheaper than one per recipient.
  const records = JSON.parse(page.recordsJson) as StoredRecipient[];
  if (records.length !== page.count) throw new Error(`audience page has ${records.length} records, expected ${page.count}`);
  return records.map((recipient, i) => ({ sequence: page.firstSequence + i, recipient }));
}

/** A counting semaphore for batches in flight. */
class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];
  private drained: Array<() => void> = [];
  constructor(private readonly max: number) {}
  acquire(): Promise<void> {
    if (this.used < this.max) {
      this.used += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.used += 1;
      resolve();
    }));
  }
  release(): void {
    this.used -= 1;
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else if (this.used === 0) {
      const drained = this.drained;
      this.drained = [];
      for (const d of drained) d();
    }
  }
  drain(): Promise<void> {
    if (this.used === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
