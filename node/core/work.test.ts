/**
 * The node's work core on a hand-moved clock: admission, outcomes, the
 * outbox, gateway health, refusals, bounded coordinator retries, the rate
 * limit on resends, and what is reported.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import {
  FENCED_POLL_MS,
  FINAL_REPORT_MS,
  FINAL_REPORTS,
  WorkCore,
  type AudiencePage,
  type CallResult,
  type CoordinatorFailure,
  type DeliveryResult,
  type GatewayFailure,
  type WorkCommand,
  type WorkConfig,
  type WorkEvent,
  type WorkOrder,
} from './work';

const CONFIG: WorkConfig = {
  deliverBatchSize: 4,
  deliverBatchesInFlightMax: 2,
  audiencePageSize: 10,
  deliveryAttemptsMax: 3,
  gatewayRetryMinMs: 100,
  gatewayRetryMaxMs: 1000,
  outboxItemsMax: 1000,
  coordinatorCallAttemptsMax: 4,
};

function order(overrides: Partial<WorkOrder> = {}): WorkOrder {
  return {
    broadcastId: 'b1',
    shardId: 1,
    epoch: 1,
    start: 0,
    end: 10,
    template: 'hi {{recipient.id}}',
    onlyReachable: false,
    rateLimitPerS: 0,
    dataAddress: 'coordinator:1',
    countedDelivered: 0,
    countedSkipped: 0,
    countedDead: 0,
    leaseEpoch: 1,
    ...overrides,
  };
}

type Deliver = Extract<WorkCommand, { kind: 'deliver' }>;
type Read = Extract<WorkCommand, { kind: 'read-audience' }>;
type Report = Extract<WorkCommand, { kind: 'report-dead-letters' }>;
type Presence = Extract<WorkCommand, { kind: 'lookup-presence' }>;

/** A core on a manual clock, with a lease that is valid unless the test says otherwise. */
function setup(overrides: Partial<WorkConfig> = {}) {
  const clock = new ManualClock(0);
  const lease = { valid: true };
  const core = new WorkCore({ ...CONFIG, ...overrides }, clock, () => 0.5, () => lease.valid);
  core.setLease(1);
  const events: WorkEvent[] = [];
  const commands: WorkCommand[] = [];
  let fresh: WorkCommand[] = [];
  const pull = () => {
    const taken = core.take();
    events.push(...taken.events);
    commands.push(...taken.commands);
    fresh.push(...taken.commands);
  };
  const ofKind = <K extends WorkCommand['kind']>(list: WorkCommand[], kind: K) => list.filter((c): c is Extract<WorkCommand, { kind: K }> => c.kind === kind);
  return {
    clock,
    lease,
    core,
    ofKind,
    /** Commands since the last take(). */
    take(): WorkCommand[] {
      pull();
      const out = fresh;
      fresh = [];
      return out;
    },
    /** Every event so far. */
    get events(): WorkEvent[] {
      pull();
      return events;
    },
    /** Every command so far. */
    get commands(): WorkCommand[] {
      pull();
      return commands;
    },
  };
}

const page = (from: number, count: number, shardEnd = from + count): CallResult<AudiencePage, CoordinatorFailure> => ({
  ok: true,
  value: { firstSequence: from, shardEnd, recipients: Array.from({ length: count }, (_, i) => ({ id: `r${from + i}`, vars: [] })) },
});
const answers = (cmd: Deliver, outcome: (seq: number) => DeliveryResult['outcome'], reason = ''): CallResult<DeliveryResult[], GatewayFailure> => ({
  ok: true,
  value: cmd.items.map((i) => ({ idempotencyKey: i.idempotencyKey, outcome: outcome(i.sequence), reason })),
});

/**
 * Drives the core like a shell whose coordinator and gateway answer at
 * once: performs every command, then moves the clock to nextWakeMs(),
 * until `untilMs`. Returns every Deliver with the time it went out.
 */
function drive(
  t: ReturnType<typeof setup>,
  untilMs: number,
  answer: {
    deliver?: (cmd: Deliver, nowMs: number) => CallResult<DeliveryResult[], GatewayFailure>;
    read?: (cmd: Read, nowMs: number) => CallResult<AudiencePage, CoordinatorFailure>;
    report?: (cmd: Report, nowMs: number) => CallResult<true, CoordinatorFailure>;
    presence?: (cmd: Presence, nowMs: number) => CallResult<boolean[], GatewayFailure>;
    /** Where the shard ends, for the default page reader. */
    end?: number;
  },
): Array<{ atMs: number; cmd: Deliver }> {
  const sends: Array<{ atMs: number; cmd: Deliver }> = [];
  const deliver = answer.deliver ?? ((cmd) => answers(cmd, () => 'DELIVERED'));
  const end = answer.end ?? 10;
  const read = answer.read ?? ((cmd) => page(cmd.fromSequence, Math.min(cmd.limit, end - cmd.fromSequence), end));
  const report = answer.report ?? (() => ({ ok: true, value: true }));
  const presence = answer.presence ?? ((cmd) => ({ ok: true, value: cmd.recipientIds.map(() => true) }));
  for (let steps = 0; steps < 100_000; steps++) {
    const queue = t.take();
    if (queue.length === 0) {
      const wake = t.core.nextWakeMs();
      if (!(wake <= untilMs)) return sends;
      t.clock.advance(Math.max(0, wake - t.clock.monotonicMs()));
      t.core.tick();
      continue;
    }
    for (const cmd of queue) {
      const now = t.clock.monotonicMs();
      if (cmd.kind === 'deliver') {
        sends.push({ atMs: now, cmd });
        t.core.onDelivered(cmd.callId, deliver(cmd, now));
      } else if (cmd.kind === 'read-audience') t.core.onAudiencePage(cmd.callId, read(cmd, now));
      else if (cmd.kind === 'report-dead-letters') t.core.onDeadLettersReported(cmd.callId, report(cmd, now));
      else if (cmd.kind === 'lookup-presence') t.core.onPresence(cmd.callId, presence(cmd, now));
    }
  }
  throw new Error('the core never settled');
}

const progressOf = (core: WorkCore, shardId = 1) => core.progress().filter((p) => p.shardId === shardId);

describe('admission', () => {
  it('starts an order by reading its first page; a re-send of the running epoch and an older epoch change nothing', () => {
    const t = setup();
    t.core.onOrder(order({ epoch: 2 }));
    expect(t.take()).toEqual([{ kind: 'read-audience', callId: expect.any(Number), shard: { broadcastId: 'b1', shardId: 1, epoch: 2 }, dataAddress: 'coordinator:1', fromSequence: 0, limit: 10 }]);
    expect(t.events.map((e) => e.kind)).toEqual(['shard-started']);
    t.core.onOrder(order({ epoch: 2 }));
    t.core.onOrder(order({ epoch: 1 }));
    expect(t.take()).toEqual([]);
    expect(t.core.activeShards).toBe(1);
  });

  it('a newer epoch replaces the running one, which is not reported stopped', () => {
    const t = setup();
    t.core.onOrder(order({ epoch: 1 }));
    t.take();
    t.core.onOrder(order({ epoch: 3, start: 4 }));
    expect(t.ofKind(t.take(), 'read-audience')).toEqual([expect.objectContaining({ shard: expect.objectContaining({ epoch: 3 }), fromSequence: 4 })]);
    expect(progressOf(t.core)).toEqual([expect.objectContaining({ epoch: 3, stopped: false })]);
  });

  it('an order revoked before it arrived is not started, and the revoke is confirmed', () => {
    const t = setup();
    t.core.onRevoke({ broadcastId: 'b1', shardId: 1, epoch: 4, reason: 'rebalance' });
    expect(progressOf(t.core)).toEqual([expect.objectContaining({ epoch: 4, stopped: true, watermark: 0 })]);
    t.core.onOrder(order({ epoch: 4 }));
    expect(t.ofKind(t.take(), 'read-audience')).toEqual([]);
    expect(t.core.activeShards).toBe(0);
  });

  it('refuses an invalid template and impossible numbers, saying why', () => {
    const t = setup();
    t.core.onOrder(order({ template: 'hi {{name' }));
    t.core.onOrder(order({ shardId: 2, start: 5, end: 3 }));
    t.core.onOrder(order({ shardId: 3, epoch: 0 }));
    t.core.onOrder(order({ shardId: 4, rateLimitPerS: Number.NaN }));
    expect(t.take()).toEqual([]);
    expect(t.events.map((e) => (e.kind === 'order-refused' ? e.reason : e.kind))).toEqual([
      expect.stringMatching(/^invalid template/),
      'range [5, 3) is not a range of sequences',
      'epoch 0 is not an integer >= 1',
      'rate limit NaN/s is not a number >= 0',
    ]);
  });

  it('ignores an order issued to an earlier lease of this node id', () => {
    const t = setup();
    t.core.setLease(3);
    t.core.onOrder(order({ leaseEpoch: 2 }));
    t.core.onOrder(order({ shardId: 2, leaseEpoch: 1 }));
    expect(t.take()).toEqual([]);
    expect(t.events.filter((e) => e.kind === 'order-ignored')).toHaveLength(2);
    // Not even once lease 2 is... never coming back: a lease epoch only grows.
    t.core.setLease(0);
    t.core.onOrder(order({ leaseEpoch: 3 }));
    expect(t.take()).toEqual([]);
  });

  it('holds an order for a newer lease that arrives before the welcome, and starts it once that lease applies', () => {
    // The coordinator sends a new lease's first orders before its welcome:
    // the node lost lease 1 and registered again; orders for lease 2 come first.
    const t = setup();
    t.core.setLease(0);
    t.core.onOrder(order({ leaseEpoch: 2, shardId: 7 }));
    expect(t.take()).toEqual([]);
    expect(t.core.heldOrders).toBe(1);
    expect(t.events.at(-1)).toMatchObject({ kind: 'order-held', orderLeaseEpoch: 2, leaseEpoch: 0 });
    t.core.setLease(2);
    expect(t.ofKind(t.take(), 'read-audience')).toEqual([expect.objectContaining({ shard: { broadcastId: 'b1', shardId: 7, epoch: 1 } })]);
    expect(t.core.heldOrders).toBe(0);
  });

  it('drops a held order when another lease applies, or when it waited too long', () => {
    const t = setup();
    t.core.setLease(0);
    t.core.onOrder(order({ leaseEpoch: 2 }));
    t.core.setLease(3);
    expect(t.take()).toEqual([]);
    expect(t.core.heldOrders).toBe(0);
    t.core.setLease(0);
    t.core.onOrder(order({ leaseEpoch: 4 }));
    t.clock.advance(10_000);
    t.core.setLease(4);
    expect(t.take()).toEqual([]);
  });

  it('a lease lost stops everything, without stopped reports (they belong to the old lease)', () => {
    const t = setup();
    t.core.onOrder(order());
    t.take();
    t.core.setLease(0);
    expect(t.core.activeShards).toBe(0);
    expect(t.core.progress()).toEqual([]);
    expect(t.events.at(-1)).toMatchObject({ kind: 'shard-stopped', reason: 'lease lost' });
  });
});

describe('delivery', () => {
  it('delivers in batches within the window, then reports the shard done at once', () => {
    const t = setup();
    t.core.onOrder(order());
    const [read] = t.take() as Read[];
    t.core.onAudiencePage(read!.callId, page(0, 10));
    const first = t.ofKind(t.take(), 'deliver');
    // Batches of 4, at most 2 calls at a time.
    expect(first.map((c) => c.items.map((i) => i.sequence))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(first[0]!.items[0]).toEqual({ idempotencyKey: 'b1/0', recipientId: 'r0', text: 'hi r0', broadcastId: 'b1', sequence: 0 });
    t.core.onDelivered(first[1]!.callId, answers(first[1]!, () => 'DELIVERED'));
    const third = t.ofKind(t.take(), 'deliver');
    expect(third.map((c) => c.items.map((i) => i.sequence))).toEqual([[8, 9]]);
    t.core.onDelivered(third[0]!.callId, answers(third[0]!, () => 'DELIVERED'));
    // Out of order: the watermark waits for 0..3.
    expect(progressOf(t.core)).toEqual([expect.objectContaining({ watermark: 0, done: false })]);
    t.core.onDelivered(first[0]!.callId, answers(first[0]!, (s) => (s === 2 ? 'UNREACHABLE' : 'DELIVERED')));
    expect(t.take()).toEqual([{ kind: 'report-progress' }]);
    expect(progressOf(t.core)).toEqual([{ broadcastId: 'b1', shardId: 1, epoch: 1, watermark: 10, delivered: 9, skippedUnreachable: 1, deadLettered: 0, done: true, stopped: false }]);
    expect(t.core.deliveries).toMatchObject({ delivered: 9, skipped: 1 });
  });

  it('dead-letters PERMANENT_FAILURE and unrenderable recipients; they are final only once the coordinator recorded them', () => {
    const t = setup({ audiencePageSize: 10 });
    t.core.onOrder(order({ template: 'hi {{name}}', end: 3 }));
    const [read] = t.take() as Read[];
    t.core.onAudiencePage(read!.callId, { ok: true, value: { firstSequence: 0, shardEnd: 3, recipients: [{ id: 'a', vars: [['name', 'A']] }, { id: 'b', vars: [] }, { id: 'c', vars: [['name', 'C']] }] } });
    const cmds = t.take();
    const [report] = t.ofKind(cmds, 'report-dead-letters');
    expect(report!.deadLetters).toEqual([{ sequence: 1, recipientId: 'b', reason: expect.stringContaining('name'), attempts: 0 }]);
    const [deliver] = t.ofKind(cmds, 'deliver');
    expect(deliver!.items.map((i) => i.text)).toEqual(['hi A', 'hi C']);
    t.core.onDelivered(deliver!.callId, answers(deliver!, (s) => (s === 2 ? 'PERMANENT_FAILURE' : 'DELIVERED'), 'no such user'));
    const [second] = t.ofKind(t.take(), 'report-dead-letters');
    expect(second).toBeUndefined(); // one report at a time per shard
    expect(progressOf(t.core)[0]).toMatchObject({ watermark: 1, deadLettered: 0 });
    t.core.onDeadLettersReported(report!.callId, { ok: true, value: true });
    const [next] = t.ofKind(t.take(), 'report-dead-letters');
    expect(next!.deadLetters).toEqual([{ sequence: 2, recipientId: 'c', reason: 'no such user', attempts: 1 }]);
    expect(progressOf(t.core)[0]).toMatchObject({ watermark: 2, delivered: 1, deadLettered: 1, done: false });
    t.core.onDeadLettersReported(next!.callId, { ok: true, value: true });
    expect(progressOf(t.core)[0]).toMatchObject({ watermark: 3, delivered: 1, deadLettered: 2, done: true });
    expect(t.core.deadLettersByClass).toMatchObject({ unrenderable: 1, permanent_failure: 1 });
  });

  it('resends RETRY answers with back-off and gives up after deliveryAttemptsMax attempts', () => {
    const t = setup({ deliveryAttemptsMax: 3 });
    t.core.onOrder(order({ end: 1 }));
    const sends = drive(t, 60_000, { end: 1, deliver: (cmd) => answers(cmd, () => 'RETRY', 'busy') });
    expect(sends.map((s) => s.atMs)).toEqual([0, 75, 225]); // back-off 100, then 200 (jitter at 0.5: 3/4 of each)
    const [report] = t.ofKind(t.commands, 'report-dead-letters');
    expect(report!.deadLetters).toEqual([{ sequence: 0, recipientId: 'r0', reason: 'gave up after 3 attempts: busy', attempts: 3 }]);
    expect(progressOf(t.core)[0]).toMatchObject({ done: true, deadLettered: 1 });
    expect(t.core.deliveries.retry).toBe(3);
    expect(t.core.deadLettersByClass.attempts_exhausted).toBe(1);
  });

  it('renders after a presence lookup for only-reachable broadcasts; the unreachable are skipped unsent', () => {
    const t = setup();
    t.core.onOrder(order({ onlyReachable: true, end: 4 }));
    const sends = drive(t, 1000, { end: 4, presence: (cmd) => ({ ok: true, value: cmd.recipientIds.map((id) => id !== 'r1') }) });
    expect(t.ofKind(t.commands, 'lookup-presence').map((c) => c.recipientIds)).toEqual([['r0', 'r1', 'r2', 'r3']]);
    expect(sends.flatMap((s) => s.cmd.items.map((i) => i.sequence))).toEqual([0, 2, 3]);
    expect(progressOf(t.core)[0]).toMatchObject({ done: true, delivered: 3, skippedUnreachable: 1 });
  });
});

describe('gateway refusals', () => {
  it('counts an attempt per item of a refused call and dead-letters each with the gateway\'s reason after deliveryAttemptsMax; the shard completes', () => {
    const t = setup({ deliveryAttemptsMax: 3 });
    t.core.onOrder(order());
    const refused: GatewayFailure = { kind: 'refused', reason: 'PERMISSION_DENIED: token revoked' };
    const sends = drive(t, 60_000, { deliver: () => ({ ok: false, failure: refused }) });
    // Every item was tried exactly deliveryAttemptsMax times...
    const tries = new Map<number, number>();
    for (const s of sends) for (const i of s.cmd.items) tries.set(i.sequence, (tries.get(i.sequence) ?? 0) + 1);
    expect([...tries.values()]).toEqual(Array(10).fill(3));
    // ...then dead-lettered with the gateway's words.
    const deadLetters = t.ofKind(t.commands, 'report-dead-letters').flatMap((c) => c.deadLetters);
    expect(deadLetters.map((d) => d.sequence).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(deadLetters.map((d) => d.reason))).toEqual(new Set(['gateway refused: PERMISSION_DENIED: token revoked']));
    expect(deadLetters.every((d) => d.attempts === 3)).toBe(true);
    expect(progressOf(t.core)).toEqual([expect.objectContaining({ done: true, watermark: 10, delivered: 0, deadLettered: 10 })]);
    // A refusal is an answer: the gateway is not unavailable, nothing waits for it to recover.
    expect(t.core.gatewayHealthy).toBe(true);
    expect(t.core.outboxSize).toBe(0);
    expect(t.core.gatewayRefusals).toBe(sends.length);
    expect(t.core.deliveries.gatewayRefused).toBe(30);
    expect(t.core.deadLettersByClass.gateway_refused).toBe(10);
    expect(t.events.filter((e) => e.kind === 'gateway-refused' && e.firstForShard)).toHaveLength(1);
    expect(t.events.filter((e) => e.kind === 'dead-lettered').reduce((n, e) => n + (e.kind === 'dead-lettered' ? e.byClass.gateway_refused ?? 0 : 0), 0)).toBe(10);
  });

  it('a refused presence lookup does not stall: the items are delivered and the gateway decides', () => {
    const t = setup();
    t.core.onOrder(order({ onlyReachable: true, end: 4 }));
    const sends = drive(t, 1000, { end: 4, presence: () => ({ ok: false, failure: { kind: 'refused', reason: 'UNIMPLEMENTED: no presence here' } }) });
    expect(sends.flatMap((s) => s.cmd.items.map((i) => i.sequence))).toEqual([0, 1, 2, 3]);
    expect(progressOf(t.core)[0]).toMatchObject({ done: true, delivered: 4 });
    expect(t.core.gatewayRefusals).toBe(1);
  });
});

describe('an unavailable gateway', () => {
  it('keeps the items without counting attempts, probes with one call at a time with back-off, and resumes when it answers', () => {
    const t = setup({ deliveryAttemptsMax: 2 });
    t.core.onOrder(order());
    let downUntilMs = 3000;
    const sends = drive(t, 60_000, { deliver: (cmd, now) => (now < downUntilMs ? { ok: false, failure: { kind: 'unavailable', reason: 'UNAVAILABLE: down' } } : answers(cmd, () => 'DELIVERED')) });
    downUntilMs = 0;
    // Two calls in flight when it went down; then one probe at a time, 3/4 of 100, 200, 400, 800, 1000, 1000 ms apart.
    const during = sends.filter((s) => s.atMs < 3000);
    expect(during.slice(0, 2).map((s) => s.atMs)).toEqual([0, 0]);
    const probes = during.slice(2).map((s) => s.atMs);
    expect(probes).toEqual([75, 225, 525, 1125, 1875, 2625]);
    expect(progressOf(t.core)[0]).toMatchObject({ done: true, delivered: 10, deadLettered: 0 });
    expect(t.core.gatewayHealthy).toBe(true);
    expect(t.events.filter((e) => e.kind === 'gateway-unavailable')).toHaveLength(1);
    expect(t.events.filter((e) => e.kind === 'gateway-healthy')).toHaveLength(1);
  });

  it('a call not sent because the lease expired just before keeps its items and its attempts, and goes again a moment later', () => {
    const t = setup({ deliveryAttemptsMax: 1 });
    t.core.onOrder(order({ end: 2 }));
    let first = true;
    const sends = drive(t, 1000, {
      end: 2,
      deliver: (cmd) => {
        if (!first) return answers(cmd, () => 'DELIVERED');
        first = false;
        return { ok: false, failure: { kind: 'not-sent', reason: 'lease expired' } };
      },
    });
    expect(sends.map((s) => s.atMs)).toEqual([0, FENCED_POLL_MS]);
    expect(progressOf(t.core)[0]).toMatchObject({ done: true, delivered: 2, deadLettered: 0 });
    expect(t.core.gatewayHealthy).toBe(true);
  });
});

describe('the rate limit', () => {
  it('resends after an outage reserve from the broadcast\'s bucket: the send rate never exceeds the limit', () => {
    // 1,000 items at 100/s, batches of 10, 4 calls in flight; the gateway is down from 1 s to 5 s.
    const t = setup({ deliverBatchSize: 10, deliverBatchesInFlightMax: 4, audiencePageSize: 200, outboxItemsMax: 10_000 });
    const rate = 100;
    t.core.onOrder(order({ end: 1000, rateLimitPerS: rate }));
    const sends = drive(t, 120_000, {
      end: 1000,
      deliver: (cmd, now) => (now >= 1000 && now < 5000 ? { ok: false, failure: { kind: 'unavailable', reason: 'down' } } : answers(cmd, () => 'DELIVERED')),
    });
    expect(progressOf(t.core)[0]).toMatchObject({ done: true, delivered: 1000 });
    // Items sent in any window of W ms stay within burst (rate/10) + rate x W.
    const burst = rate / 10;
    const batch = 10;
    let worst = 0;
    for (let i = 0; i < sends.length; i++) {
      let items = 0;
      for (let j = i; j < sends.length && sends[j]!.atMs - sends[i]!.atMs <= 500; j++) items += sends[j]!.cmd.items.length;
      worst = Math.max(worst, items);
    }
    // A reservation may take one batch ahead of the bucket (it goes into debt, then waits).
    expect(worst).toBeLessThanOrEqual(burst + (rate * 500) / 1000 + batch);
    // The resends happened after the outage (items were held, and not dropped).
    const resent = sends.filter((s) => s.atMs >= 5000).reduce((n, s) => n + s.cmd.items.length, 0);
    expect(resent).toBeGreaterThan(0);
  });
});

describe('the outbox bound', () => {
  it('stops reading new pages while the outbox is full, and reads on once it drained', () => {
    const t = setup({ outboxItemsMax: 5, audiencePageSize: 4, deliverBatchSize: 4, deliverBatchesInFlightMax: 1, deliveryAttemptsMax: 100 });
    t.core.onOrder(order({ end: 40 }));
    let retry = true;
    drive(t, 400, { end: 40, deliver: (cmd) => answers(cmd, () => (retry ? 'RETRY' : 'DELIVERED')) });
    // A page is read once the previous one is out, while fewer than 5 items are held:
    // pages 2 and 3 were read with 0 and 4 held. Page 3 came back RETRY too: 12 held,
    // past the bound (what was read is kept: nothing is dropped), and no page since.
    expect(t.ofKind(t.commands, 'read-audience').map((c) => c.fromSequence)).toEqual([0, 4, 8]);
    expect(t.core.outboxSize).toBe(12);
    retry = false;
    drive(t, 60_000, { end: 40 });
    expect(progressOf(t.core)[0]).toMatchObject({ done: true, delivered: 40 });
    expect(t.core.outboxSize).toBe(0);
  });
});

describe('coordinator calls are bounded', () => {
  it('gives a shard back after coordinatorCallAttemptsMax failed page reads: stopped, reported stopped where it was', () => {
    const t = setup({ coordinatorCallAttemptsMax: 4 });
    t.core.onOrder(order());
    const reads: number[] = [];
    drive(t, 60_000, {
      read: (_cmd, now) => {
        reads.push(now);
        return { ok: false, failure: { kind: 'transient', reason: 'UNAVAILABLE: coordinator restarting' } };
      },
    });
    expect(reads).toEqual([0, 75, 225, 525]);
    expect(t.events.at(-1)).toMatchObject({ kind: 'shard-stopped', givenBack: true, reason: 'giving the shard back: read-audience failed 4 times in a row; last: UNAVAILABLE: coordinator restarting' });
    expect(t.commands.at(-1)).toEqual({ kind: 'report-progress' });
    expect(progressOf(t.core)).toEqual([expect.objectContaining({ stopped: true, watermark: 0, done: false })]);
    expect(t.core.shardsGivenBack).toBe(1);
    expect(t.core.activeShards).toBe(0);
  });

  it('gives a shard back when its dead letters cannot be recorded; the watermark never passes them', () => {
    const t = setup({ coordinatorCallAttemptsMax: 3 });
    t.core.onOrder(order());
    drive(t, 60_000, {
      deliver: (cmd) => answers(cmd, (s) => (s === 3 ? 'PERMANENT_FAILURE' : 'DELIVERED')),
      report: () => ({ ok: false, failure: { kind: 'transient', reason: 'DEADLINE_EXCEEDED' } }),
    });
    expect(t.ofKind(t.commands, 'report-dead-letters')).toHaveLength(3);
    // Everything but 3 was delivered; 3 is not final, so the shard stopped at 3.
    expect(progressOf(t.core)).toEqual([expect.objectContaining({ stopped: true, watermark: 3, delivered: 3, deadLettered: 0, done: false })]);
    expect(t.core.deliveries.delivered).toBe(9);
  });

  it('a refused call gives the shard back at once; not-held stops it', () => {
    const t = setup();
    t.core.onOrder(order());
    t.core.onOrder(order({ shardId: 2 }));
    const reads = t.ofKind(t.take(), 'read-audience');
    t.core.onAudiencePage(reads[0]!.callId, { ok: false, failure: { kind: 'refused', reason: 'OUT_OF_RANGE: from 0' } });
    t.core.onAudiencePage(reads[1]!.callId, { ok: false, failure: { kind: 'not-held', reason: 'shard b1#2 epoch 1 is not held by n1' } });
    expect(t.events.filter((e) => e.kind === 'shard-stopped')).toEqual([
      expect.objectContaining({ shard: expect.objectContaining({ shardId: 1 }), givenBack: true, reason: expect.stringContaining('OUT_OF_RANGE') }),
      expect.objectContaining({ shard: expect.objectContaining({ shardId: 2 }), givenBack: false, reason: 'coordinator: shard b1#2 epoch 1 is not held by n1' }),
    ]);
  });

  it('a malformed page counts as a failed read', () => {
    const t = setup({ coordinatorCallAttemptsMax: 1 });
    t.core.onOrder(order());
    const [read] = t.take() as Read[];
    t.core.onAudiencePage(read!.callId, page(3, 4));
    expect(t.events.at(-1)).toMatchObject({ kind: 'shard-stopped', givenBack: true, reason: expect.stringContaining('malformed page: it starts at 3, not at 0') });
  });
});

describe('stopping and reports', () => {
  it('a revoke while calls are in flight reports where the shard stopped once they are answered, counting their outcomes', () => {
    const t = setup();
    t.core.onOrder(order());
    const [read] = t.take() as Read[];
    t.core.onAudiencePage(read!.callId, page(0, 10));
    const [a, b] = t.ofKind(t.take(), 'deliver');
    t.core.onRevoke({ broadcastId: 'b1', shardId: 1, epoch: 1, reason: 'rebalance' });
    expect(t.core.progress()).toEqual([]);
    t.core.onDelivered(a!.callId, answers(a!, () => 'DELIVERED'));
    expect(t.core.progress()).toEqual([]);
    t.core.onDelivered(b!.callId, answers(b!, () => 'RETRY'));
    expect(t.take()).toEqual([{ kind: 'report-progress' }]);
    expect(t.core.progress()).toEqual([expect.objectContaining({ stopped: true, watermark: 4, delivered: 4 })]);
    // Nothing more is sent for it.
    drive(t, 10_000, {});
    expect(t.ofKind(t.commands, 'deliver')).toHaveLength(2);
  });

  it('drain stops every unfinished shard and reports each', () => {
    const t = setup();
    t.core.onOrder(order());
    t.core.onOrder(order({ shardId: 2 }));
    t.take();
    t.core.drain();
    expect(t.core.callsInFlight).toBe(2);
    expect(t.core.progress()).toEqual([]);
    for (const c of t.ofKind(t.commands, 'read-audience')) t.core.onAudiencePage(c.callId, page(0, 10));
    expect(t.core.callsInFlight).toBe(0);
    expect(t.core.progress().map((p) => [p.shardId, p.stopped])).toEqual([[1, true], [2, true]]);
  });

  it(`reports a finished shard at least ${FINAL_REPORTS} times and for at least ${FINAL_REPORT_MS} ms`, () => {
    const t = setup();
    t.core.onOrder(order());
    drive(t, 1000, {});
    for (let i = 0; i < FINAL_REPORTS + 3; i++) expect(progressOf(t.core)).toHaveLength(1);
    t.clock.advance(FINAL_REPORT_MS - 1);
    expect(progressOf(t.core)).toHaveLength(1);
    t.clock.advance(1);
    expect(progressOf(t.core)).toHaveLength(1);
    expect(progressOf(t.core)).toHaveLength(0);
  });

  it('sends nothing while the lease is not valid, looks again every few ms, and goes on once it is', () => {
    const t = setup();
    t.core.onOrder(order());
    const [read] = t.take() as Read[];
    t.lease.valid = false;
    t.core.onAudiencePage(read!.callId, page(0, 10));
    expect(t.ofKind(t.take(), 'deliver')).toEqual([]);
    expect(t.core.nextWakeMs()).toBe(FENCED_POLL_MS);
    t.clock.advance(FENCED_POLL_MS);
    t.core.tick();
    expect(t.ofKind(t.take(), 'deliver')).toEqual([]);
    t.lease.valid = true;
    t.clock.advance(FENCED_POLL_MS);
    t.core.tick();
    expect(t.ofKind(t.take(), 'deliver')).toHaveLength(2);
  });
});
