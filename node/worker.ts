/**
 * The node's delivery pipeline (shell). Every decision is WorkCore's
 * (node/core/work.ts); this file performs what it asks for — audience page
 * reads and dead-letter reports at the coordinator (ShardData), presence
 * lookups and deliveries at the gateway — converts the answers and errors
 * into the core's terms, logs its events with their ids, and drives its
 * timer. Nothing is stored: a node that crashes forgets its outbox, and the
 * coordinator's checkpoint is where the next owner starts.
 */
import { TRANSIENT_STATUS_CODES } from '../protocol/grpc-status';
import { parseAudienceRecords } from '../protocol/audience';
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../platform/clock';
import type { Logger } from '../platform/log';
import { DEAD_LETTER_REASON_LENGTH_MAX, truncate } from '../protocol/validate';
import { GRPC_MESSAGE_BYTES_MAX } from '../platform/grpc-server';
import { relaycastV1 } from '../protocol/proto';
import type { ShardDataClient } from '../protocol/generated/relaycast/v1/ShardData';
import type { ShardOrder__Output } from '../protocol/generated/relaycast/v1/ShardOrder';
import type { ShardRevoke__Output } from '../protocol/generated/relaycast/v1/ShardRevoke';
import type { ShardProgress } from '../protocol/generated/relaycast/v1/ShardProgress';
import type { ReadAudienceResponse__Output } from '../protocol/generated/relaycast/v1/ReadAudienceResponse';
import { WorkCore, type AudiencePage, type CoordinatorFailure, type GatewayFailure, type WorkCommand, type WorkConfig, type WorkEvent } from './core/work';
import { GatewayRejectedError, LeaseExpiredError, type GatewayClient } from './gateway-client';

export interface WorkerOptions extends WorkConfig {
  nodeKey: string;
  /** Bound on one coordinator call (ReadAudience, ReportDeadLetters). */
  callTimeoutMs: number;
  /** How audience page reads (ShardData) are secured (insecure when absent: --plaintext). */
  credentials?: grpc.ChannelCredentials;
}

/** Coordinator statuses that mean "this shard is not yours (any more)". */
const NOT_HELD_CODES: ReadonlySet<number> = new Set([grpc.status.FAILED_PRECONDITION, grpc.status.NOT_FOUND]);
/** Coordinator statuses worth another try: it is restarting, overloaded, or the call was lost. */
const TRANSIENT_CODES = TRANSIENT_STATUS_CODES;

export class Worker {
  readonly core: WorkCore;
  private readonly dataClients = new Map<string, ShardDataClient>();
  /** Called when a shard finishes or stops, so progress can be reported at once. */
  onReport: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (Infinity: none). */
  private timerAtMs = Number.POSITIVE_INFINITY;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;

  constructor(
    private readonly options: WorkerOptions,
    private readonly gateway: GatewayClient,
    private readonly clock: Clock,
    random: () => number,
    canDeliver: () => boolean,
    private readonly log: Logger,
  ) {
    this.core = new WorkCore(options, clock, random, canDeliver);
  }

  get deliveries() {
    return this.core.deliveries;
  }

  get outboxSize(): number {
    return this.core.outboxSize;
  }

  get gatewayIsHealthy(): boolean {
    return this.core.gatewayHealthy;
  }

  get activeShards(): number {
    return this.core.activeShards;
  }

  /** The node's current lease (0: none); orders are taken only under it. */
  setLease(leaseEpoch: number): void {
    this.core.setLease(leaseEpoch);
    this.pump();
  }

  onOrder(order: ShardOrder__Output): void {
    this.core.onOrder(order);
    this.pump();
  }

  onRevoke(revoke: ShardRevoke__Output): void {
    this.core.onRevoke(revoke);
    this.pump();
  }

  /** Time may have passed (the lease became valid again): send what may be sent now. */
  poke(): void {
    this.core.tick();
    this.pump();
  }

  /**
   * Stop every shard after the calls in flight, and report where each
   * stopped, so the coordinator hands the remainders on at once (drain).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.core.drain();
    this.pump();
    const deadline = Date.now() + timeoutMs;
    while (this.core.callsInFlight > 0 && Date.now() < deadline) await sleep(20);
    this.onReport();
  }

  /** Progress for the next liveness packet. */
  progress(): ShardProgress[] {
    return this.core.progress();
  }

  close(): void {
    this.closed = true;
    this.core.close();
    this.pump();
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const client of this.dataClients.values()) client.close();
  }

  /** Perform the core's commands, log its events, re-arm the timer. Re-entrant calls fold into the running one. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const { commands, events } = this.core.take();
        for (const event of events) this.logEvent(event);
        if (this.closed) continue;
        for (const command of commands) this.perform(command);
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    const wake = this.closed ? Number.POSITIVE_INFINITY : this.core.nextWakeMs();
    if (wake === this.timerAtMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = wake;
    if (Number.isFinite(wake)) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timerAtMs = Number.POSITIVE_INFINITY;
        this.core.tick();
        this.pump();
      }, Math.max(0, Math.ceil(wake - this.clock.monotonicMs())));
    }
  }

  private perform(command: WorkCommand): void {
    switch (command.kind) {
      case 'report-progress':
        return this.onReport();
      case 'read-audience': {
        const { callId, shard, dataAddress, fromSequence, limit } = command;
        this.dataClient(dataAddress).ReadAudience(
          { ...shard, nodeKey: this.options.nodeKey, fromSequence, limit },
          { deadline: Date.now() + this.options.callTimeoutMs },
          (err, res) => {
            if (err) this.core.onAudiencePage(callId, { ok: false, failure: coordinatorFailure(err) });
            else {
              const page = parsePage(res!);
              this.core.onAudiencePage(callId, typeof page === 'string' ? { ok: false, failure: { kind: 'transient', reason: `malformed page: ${page}` } } : { ok: true, value: page });
            }
            this.pump();
          },
        );
        return;
      }
      case 'report-dead-letters': {
        const { callId, shard, dataAddress, deadLetters } = command;
        this.dataClient(dataAddress).ReportDeadLetters(
          { ...shard, nodeKey: this.options.nodeKey, deadLetters: deadLetters.map((d) => ({ ...d, reason: truncate(d.reason, DEAD_LETTER_REASON_LENGTH_MAX), broadcastId: shard.broadcastId })) },
          { deadline: Date.now() + this.options.callTimeoutMs },
          (err) => {
            this.core.onDeadLettersReported(callId, err ? { ok: false, failure: coordinatorFailure(err) } : { ok: true, value: true });
            this.pump();
          },
        );
        return;
      }
      case 'lookup-presence': {
        const { callId, recipientIds } = command;
        this.gateway.lookupPresence(recipientIds).then(
          (reachable) => this.core.onPresence(callId, { ok: true, value: reachable }),
          (err: unknown) => this.core.onPresence(callId, { ok: false, failure: gatewayFailure(err) }),
        ).finally(() => this.pump());
        return;
      }
      case 'deliver': {
        const { callId, items } = command;
        this.gateway.deliver(items).then(
          (results) => this.core.onDelivered(callId, { ok: true, value: results }),
          (err: unknown) => this.core.onDelivered(callId, { ok: false, failure: gatewayFailure(err) }),
        ).finally(() => this.pump());
        return;
      }
    }
  }

  private logEvent(event: WorkEvent): void {
    const log = this.log;
    switch (event.kind) {
      case 'shard-started':
        return log.info({ ...event.shard, start: event.start, end: event.end, onlyReachable: event.onlyReachable, rateLimitPerS: event.rateLimitPerS }, 'shard started');
      case 'order-held':
        return log.info({ ...event.shard, orderLeaseEpoch: event.orderLeaseEpoch, leaseEpoch: event.leaseEpoch }, 'order for a lease not applied yet held until its welcome');
      case 'order-ignored':
        return log.warn({ ...event.shard, orderLeaseEpoch: event.orderLeaseEpoch, leaseEpoch: event.leaseEpoch }, `${event.reason} ignored`);
      case 'order-refused':
        return log.error({ ...event.shard, reason: event.reason }, 'order refused');
      case 'shard-done':
        return log.info({ ...event.shard, delivered: event.delivered, skipped: event.skipped, deadLettered: event.dead }, 'shard done');
      case 'shard-stopped':
        if (event.givenBack) return log.error({ ...event.shard, watermark: event.watermark, reason: event.reason }, 'shard given back to the coordinator');
        return log.info({ ...event.shard, watermark: event.watermark, reason: event.reason }, 'shard stopped');
      case 'gateway-unavailable':
        return log.warn({ reason: event.reason }, 'gateway unavailable; holding deliveries in the outbox until it recovers');
      case 'gateway-healthy':
        return log.info({ outbox: event.outboxItems }, 'gateway healthy again');
      case 'gateway-refused':
        // Every refused call of a shard would be a line; the first says it, dead letters say the rest.
        if (event.firstForShard) return log.warn({ ...event.shard, items: event.items, reason: event.reason }, 'gateway refused a call; its items are retried, then dead-lettered with the gateway\'s reason');
        return log.debug({ ...event.shard, items: event.items, reason: event.reason }, 'gateway refused a call');
      case 'dead-lettered': {
        const fields = { ...event.shard, count: event.count, byClass: event.byClass, example: event.example };
        if ((event.byClass.gateway_refused ?? 0) > 0) return log.warn(fields, 'items dead-lettered: the gateway refused them');
        return log.info(fields, 'items dead-lettered');
      }
      case 'coordinator-call-failed':
        return log.warn({ ...event.shard, call: event.call, attempt: event.attempt, attemptsMax: event.attemptsMax, reason: event.reason, retryInMs: event.retryInMs }, 'coordinator call failed; trying again');
    }
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
}

function coordinatorFailure(err: grpc.ServiceError): CoordinatorFailure {
  const reason = `${grpc.status[err.code] ?? `code ${err.code}`}: ${err.details || err.message}`;
  if (NOT_HELD_CODES.has(err.code)) return { kind: 'not-held', reason: err.details || reason };
  return { kind: TRANSIENT_CODES.has(err.code) ? 'transient' : 'refused', reason };
}

function gatewayFailure(err: unknown): GatewayFailure {
  if (err instanceof GatewayRejectedError) return { kind: 'refused', reason: err.reason };
  if (err instanceof LeaseExpiredError) return { kind: 'not-sent', reason: err.message };
  // GatewayUnavailableError, or anything unexpected: nothing in the call can be assumed done.
  return { kind: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
}

/** A page from the network: parsed once (much cheaper than per recipient) and checked; a string says what is wrong. */
export function parsePage(page: ReadAudienceResponse__Output): AudiencePage | string {
  const recipients = parseAudienceRecords(page.recordsJson, page.count);
  if (typeof recipients === 'string') return recipients;
  return { firstSequence: page.firstSequence, shardEnd: page.shardEnd, recipients };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
