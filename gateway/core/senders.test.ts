import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import { GatewayLedger, type LedgerConfig } from './ledger';
import { ANONYMOUS_SENDER, parseSender, SENDER_METADATA, SenderLog, senderMetadata, type SenderIdentity } from './senders';

const sender = (overrides: Partial<SenderIdentity> = {}): SenderIdentity => ({ nodeKey: 'default/n1', instanceId: 'i-1', leaseEpoch: 3, leaseExpiresUnixMs: 10_000, sentUnixMs: 900, ...overrides });
const metadataOf = (s: SenderIdentity) => senderMetadata(s, s.sentUnixMs);

function getter(pairs: Array<[string, string]>): (key: string) => string | undefined {
  const map = new Map(pairs);
  return (key) => map.get(key);
}

function withValue(key: string, value: string): Array<[string, string]> {
  return metadataOf(sender()).map(([k, v]): [string, string] => [k, k === key ? value : v]);
}

describe('parseSender', () => {
  it('reads back what a node attaches', () => {
    expect(parseSender(getter(metadataOf(sender())))).toEqual({ ok: true, value: sender() });
  });

  it('treats a call without relaycast-* metadata as anonymous, because the metadata is optional', () => {
    expect(parseSender(getter([['user-agent', 'x']]))).toEqual({ ok: true, value: ANONYMOUS_SENDER });
  });

  it.each([
    ['a missing instance id', metadataOf(sender()).filter(([k]) => k !== SENDER_METADATA.instanceId), /relaycast-instance-id must be 1-256 characters/],
    ['an empty node key', withValue(SENDER_METADATA.nodeKey, ''), /relaycast-node-key/],
    ['an epoch that is not a number', withValue(SENDER_METADATA.leaseEpoch, 'three'), /relaycast-lease-epoch must be a whole number, got "three"/],
    ['a negative expiry', withValue(SENDER_METADATA.leaseExpiresUnixMs, '-5'), /relaycast-lease-expires-unix-ms/],
    ['no send time', metadataOf(sender()).filter(([k]) => k !== SENDER_METADATA.sentUnixMs), /relaycast-sent-unix-ms must be a whole number, got null/],
  ])('refuses %s with INVALID_ARGUMENT naming the key', (_name, pairs, message) => {
    const result = parseSender(getter(pairs));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_ARGUMENT');
      expect(result.error.message).toMatch(message);
    }
  });
});

describe('SenderLog', () => {
  it('keeps each lease apart: a node that registers again is a new sender', () => {
    const log = new SenderLog(10);
    log.record(sender(), 500, 1_000, false);
    log.record(sender(), 200, 1_100, false);
    log.record(sender({ leaseEpoch: 4, leaseExpiresUnixMs: 20_000 }), 100, 15_000, false);
    log.record(ANONYMOUS_SENDER, 7, 15_500, false);
    const [old, renewed, anonymous] = log.list('', 0);
    expect(old).toMatchObject({ leaseEpoch: 3, deliverCalls: 2, attempts: 700, firstReceivedUnixMs: 1_000, lastReceivedUnixMs: 1_100, leaseExpiresUnixMs: 10_000, attemptsArrivedAfterLeaseExpiry: 0 });
    expect(renewed).toMatchObject({ leaseEpoch: 4, attempts: 100 });
    expect(anonymous).toMatchObject({ nodeKey: '', attempts: 7, attemptsArrivedAfterLeaseExpiry: 0 });
    expect(log.list('default/n1', 0)).toHaveLength(2);
  });

  it('tells a call made after its lease expired (a fencing bug) from one made in time that arrived late (a paused sender)', () => {
    const log = new SenderLog(10);
    log.record(sender({ leaseExpiresUnixMs: 2_000, sentUnixMs: 1_500 }), 500, 1_999, false);
    log.record(sender({ leaseExpiresUnixMs: 2_000, sentUnixMs: 2_000 }), 300, 2_000, false);
    log.record(sender({ leaseExpiresUnixMs: 2_000, sentUnixMs: 1_990 }), 40, 4_500, true);
    log.record(sender({ leaseExpiresUnixMs: 2_000, sentUnixMs: 4_600 }), 6, 4_601, false);
    expect(log.list('', 0)[0]).toMatchObject({ attempts: 846, attemptsSentAfterLeaseExpiry: 6, attemptsArrivedAfterLeaseExpiry: 46, attemptsRefusedLeaseExpired: 40, leaseExpiresUnixMs: 2_000 });
  });

  it('counts attempts after a given time, and says when forgotten calls make that a lower bound', () => {
    const log = new SenderLog(10, 3);
    for (const [i, at] of [100, 200, 300, 400, 500].entries()) log.record(sender(), i + 1, at, at === 500);
    // Calls at 100 and 200 were forgotten; 300, 400 and 500 are kept.
    expect(log.list('', 300)[0]).toMatchObject({ attemptsReceivedAfter: 4 + 5, attemptsAcceptedAfter: 4, receivedAfterExact: true });
    expect(log.list('', 450)[0]).toMatchObject({ attemptsReceivedAfter: 5, receivedAfterExact: true });
    // A forgotten call may have arrived between 250 and 300.
    expect(log.list('', 250)[0]).toMatchObject({ attemptsReceivedAfter: 3 + 4 + 5, receivedAfterExact: false });
    expect(log.list('', 0)[0]).toMatchObject({ attempts: 15, attemptsReceivedAfter: 0, receivedAfterExact: true });
  });

  it('stays within sendersMax by forgetting the least recently active sender', () => {
    const log = new SenderLog(2);
    log.record(sender({ instanceId: 'a' }), 1, 1, false);
    log.record(sender({ instanceId: 'b' }), 1, 2, false);
    log.record(sender({ instanceId: 'a' }), 1, 3, false);
    log.record(sender({ instanceId: 'c' }), 1, 4, false);
    expect(log.list('', 0).map((s) => s.instanceId)).toEqual(['a', 'c']);
    expect(log.evicted).toBe(1);
  });
});

describe('GatewayLedger.receive', () => {
  const config = (overrides: Partial<LedgerConfig> = {}): LedgerConfig => ({
    latencyMs: 0, retryRate: 0, unreachableSuffixes: [], permanentFailureSuffixes: [], outageWindowsMs: [], ledgerKeysMax: 10, sendersMax: 5, ...overrides,
  });

  it('refuses, when told to, a call that arrives after its lease expired, so a paused node delivers nothing late; records it either way', () => {
    const clock = new ManualClock(0, 1_000_000);
    const ledger = new GatewayLedger(config({ refuseExpiredLeases: true }), clock, () => 0.5);
    const lease = sender({ leaseExpiresUnixMs: 1_000_200, sentUnixMs: 1_000_100 });
    clock.advance(150);
    expect(ledger.receive(lease, 2)).toEqual({ ok: true, value: true });
    clock.advance(100);
    const late = ledger.receive(lease, 3);
    expect(late.ok).toBe(false);
    if (!late.ok) {
      expect(late.error.code).toBe('FAILED_PRECONDITION');
      expect(late.error.message).toMatch(/lease 3 of default\/n1 \(instance i-1\) expired at 1000200 and this call arrived 50 ms later/);
    }
    expect(ledger.listSenders('', 0)).toEqual({
      senders: [expect.objectContaining({ firstReceivedUnixMs: 1_000_150, lastReceivedUnixMs: 1_000_250, attempts: 5, attemptsArrivedAfterLeaseExpiry: 3, attemptsRefusedLeaseExpired: 3, attemptsSentAfterLeaseExpiry: 0 })],
      sendersEvicted: 0,
    });
    ledger.reset();
    expect(ledger.listSenders('', 0).senders).toEqual([]);
  });

  it('by default only records late calls, and never refuses a caller that named no lease', () => {
    const clock = new ManualClock(0, 1_000_000);
    const ledger = new GatewayLedger(config(), clock, () => 0.5);
    expect(ledger.receive(sender({ leaseExpiresUnixMs: 1, sentUnixMs: 1 }), 4).ok).toBe(true);
    expect(new GatewayLedger(config({ refuseExpiredLeases: true }), clock, () => 0.5).receive(ANONYMOUS_SENDER, 4).ok).toBe(true);
    expect(ledger.listSenders('', 0).senders[0]).toMatchObject({ attemptsArrivedAfterLeaseExpiry: 4, attemptsRefusedLeaseExpired: 0 });
  });

  it('accepts a call up to the grace after its lease expiry and refuses it past that', () => {
    const clock = new ManualClock(0, 1_000_000);
    const ledger = new GatewayLedger(config({ refuseExpiredLeases: true, expiredLeaseGraceMs: 500 }), clock, () => 0.5);
    const lease = sender({ leaseExpiresUnixMs: 1_000_000, sentUnixMs: 999_900 });
    clock.advance(500);
    expect(ledger.receive(lease, 1).ok).toBe(true);
    clock.advance(1);
    expect(ledger.receive(lease, 2).ok).toBe(false);
    expect(ledger.listSenders('', 0).senders[0]).toMatchObject({ attemptsArrivedAfterLeaseExpiry: 3, attemptsRefusedLeaseExpired: 2 });
  });
});
