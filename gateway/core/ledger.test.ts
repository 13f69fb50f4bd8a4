import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import { emptyLedgerStats, GatewayLedger, KeyedTexts, REASON_ALREADY_DELIVERED, REASON_RETRY, type LedgerConfig, type LedgerItem, type LedgerStats, type SettingsChange } from './ledger';
import { mulberry32, type Random } from './random';

const NO_RANDOM: Random = () => {
  throw new Error('random() must not be drawn here');
};

function config(overrides: Partial<LedgerConfig> = {}): LedgerConfig {
  return {
    latencyMs: 0,
    retryRate: 0,
    unreachableSuffixes: ['-off'],
    permanentFailureSuffixes: ['-bad'],
    outageWindowsMs: [],
    ledgerKeysMax: 1_000_000,
    ...overrides,
  };
}

function item(key: string, recipientId = `r-${key}`, text = `hello ${key}`): LedgerItem {
  return { idempotencyKey: key, recipientId, text };
}

function zeroStats(overrides: Partial<LedgerStats> = {}): LedgerStats {
  return { ...emptyLedgerStats(), ...overrides };
}

function change(overrides: Partial<SettingsChange> = {}): SettingsChange {
  return { unreachableSuffixes: [], permanentFailureSuffixes: [], replaceLists: false, ...overrides };
}

function setup(overrides: Partial<LedgerConfig> = {}, random: Random = NO_RANDOM): { ledger: GatewayLedger; clock: ManualClock } {
  const clock = new ManualClock(1_000);
  return { ledger: new GatewayLedger(config(overrides), clock, random), clock };
}

function outcomes(ledger: GatewayLedger, items: LedgerItem[]): string[] {
  const result = ledger.deliver(items);
  if (!result.ok) throw new Error(`deliver failed: ${result.error.code} ${result.error.message}`);
  return result.value.map((r) => r.outcome);
}

describe('GatewayLedger.deliver', () => {
  it('delivers new keys, stores their texts and answers one result per item in order', () => {
    const { ledger } = setup();
    const result = ledger.deliver([item('b/1'), item('b/2'), item('b/3')]);
    expect(result).toEqual({
      ok: true,
      value: [
        { idempotencyKey: 'b/1', outcome: 'DELIVERED', reason: '' },
        { idempotencyKey: 'b/2', outcome: 'DELIVERED', reason: '' },
        { idempotencyKey: 'b/3', outcome: 'DELIVERED', reason: '' },
      ],
    });
    expect(ledger.delivered(['b/2', 'b/9', 'b/1'])).toEqual(['hello b/2', '', 'hello b/1']);
    expect(ledger.stats()).toEqual(zeroStats({ uniqueDelivered: 3, attempts: 3, deliverCalls: 1 }));
  });

  it('answers a key delivered before DELIVERED without storing it again, and counts the duplicate', () => {
    const { ledger } = setup();
    outcomes(ledger, [item('b/1', 'r1', 'first')]);
    const again = ledger.deliver([item('b/1', 'r1', 'second'), item('b/2')]);
    expect(again.ok && again.value[0]).toEqual({ idempotencyKey: 'b/1', outcome: 'DELIVERED', reason: REASON_ALREADY_DELIVERED });
    expect(ledger.delivered(['b/1'])).toEqual(['first']);
    expect(ledger.stats()).toEqual(zeroStats({ uniqueDelivered: 2, attempts: 3, duplicates: 1, deliverCalls: 2 }));
  });

  it('counts a key repeated within one batch as a duplicate', () => {
    const { ledger } = setup();
    expect(outcomes(ledger, [item('b/1'), item('b/1'), item('b/1')])).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    expect(ledger.stats()).toMatchObject({ uniqueDelivered: 1, attempts: 3, duplicates: 2 });
  });

  it('answers PERMANENT_FAILURE and UNREACHABLE by suffix, with a reason, and stores neither', () => {
    const { ledger } = setup();
    const result = ledger.deliver([item('b/1', 'alice-bad'), item('b/2', 'bob-off'), item('b/3', 'carol')]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.map((r) => r.outcome)).toEqual(['PERMANENT_FAILURE', 'UNREACHABLE', 'DELIVERED']);
    expect(result.value[0]!.reason).toContain('alice-bad');
    expect(result.value[1]!.reason).toContain('bob-off');
    expect(ledger.delivered(['b/1', 'b/2', 'b/3'])).toEqual(['', '', 'hello b/3']);
    expect(ledger.stats()).toEqual(zeroStats({ uniqueDelivered: 1, attempts: 3, permanentFailuresReturned: 1, unreachableReturned: 1, deliverCalls: 1 }));
  });

  it('puts a delivered key before the suffixes, and the permanent suffix before the unreachable one', () => {
    const { ledger } = setup({ unreachableSuffixes: ['-x'], permanentFailureSuffixes: ['-y'] });
    outcomes(ledger, [item('b/1', 'dave')]);
    ledger.configure(change({ unreachableSuffixes: ['dave', 'both'], permanentFailureSuffixes: ['both'], replaceLists: true }));
    // b/1 was delivered before dave became unreachable; the key still wins.
    expect(outcomes(ledger, [item('b/1', 'dave'), item('b/2', 'dave'), item('b/3', 'both')])).toEqual(['DELIVERED', 'UNREACHABLE', 'PERMANENT_FAILURE']);
    expect(ledger.stats()).toMatchObject({ duplicates: 1, unreachableReturned: 1, permanentFailuresReturned: 1 });
  });

  it('delivers an item later once its recipient is reachable again', () => {
    const { ledger } = setup();
    expect(outcomes(ledger, [item('b/1', 'erin-off')])).toEqual(['UNREACHABLE']);
    ledger.configure(change({ replaceLists: true }));
    expect(outcomes(ledger, [item('b/1', 'erin-off')])).toEqual(['DELIVERED']);
    expect(ledger.stats()).toMatchObject({ uniqueDelivered: 1, attempts: 2, duplicates: 0, unreachableReturned: 1 });
  });

  it('answers RETRY when random() < retryRate, stores nothing, and delivers the retried key later', () => {
    const draws = [0.1, 0.9];
    const { ledger } = setup({ retryRate: 0.5 }, () => draws.shift()!);
    expect(ledger.deliver([item('b/1')])).toEqual({ ok: true, value: [{ idempotencyKey: 'b/1', outcome: 'RETRY', reason: REASON_RETRY }] });
    expect(ledger.delivered(['b/1'])).toEqual(['']);
    expect(outcomes(ledger, [item('b/1')])).toEqual(['DELIVERED']);
    expect(ledger.stats()).toMatchObject({ uniqueDelivered: 1, attempts: 2, retriesReturned: 1, duplicates: 0 });
  });

  it('draws no randomness for duplicates, suffix matches, or a zero retry rate', () => {
    const { ledger } = setup({ retryRate: 0 });
    outcomes(ledger, [item('b/1'), item('b/2', 'x-bad'), item('b/3', 'x-off')]);
    ledger.configure(change({ retryRate: 1 }));
    expect(outcomes(ledger, [item('b/1'), item('b/4', 'y-bad'), item('b/5', 'y-off')])).toEqual(['DELIVERED', 'PERMANENT_FAILURE', 'UNREACHABLE']);
  });

  it('with a seeded random source, retries about retryRate of 10k items, the same way for the same seed', () => {
    const run = (seed: number): string[] => {
      const { ledger } = setup({ retryRate: 0.2 }, mulberry32(seed));
      const items = Array.from({ length: 10_000 }, (_, i) => item(`b/${i}`));
      const result = outcomes(ledger, items);
      expect(ledger.stats().retriesReturned + ledger.stats().uniqueDelivered).toBe(10_000);
      return result;
    };
    const first = run(7);
    const retries = first.filter((o) => o === 'RETRY').length;
    // Binomial(10k, 0.2): standard deviation 40, so ±300 is over 7 sigma.
    expect(retries).toBeGreaterThan(1_700);
    expect(retries).toBeLessThan(2_300);
    expect(run(7)).toEqual(first);
    expect(run(8)).not.toEqual(first);
  });

  it('refuses bad items with INVALID_ARGUMENT and changes nothing', () => {
    const { ledger } = setup();
    for (const bad of [[item('b/1'), item('')], [item('b/1', '')], [item('k'.repeat(1025))]]) {
      const result = ledger.deliver(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('INVALID_ARGUMENT');
    }
    expect(ledger.stats()).toEqual(zeroStats());
  });

  it('refuses a whole batch that could overflow ledgerKeysMax, counting only unknown keys', () => {
    const { ledger } = setup({ ledgerKeysMax: 3 });
    outcomes(ledger, [item('b/1'), item('b/2')]);
    // Two known keys and one new one fit.
    expect(outcomes(ledger, [item('b/1'), item('b/2'), item('b/3'), item('b/3')])).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED', 'DELIVERED']);
    const before = ledger.stats();
    const full = ledger.deliver([item('b/1'), item('b/4')]);
    expect(full.ok).toBe(false);
    if (!full.ok) {
      expect(full.error.code).toBe('RESOURCE_EXHAUSTED');
      expect(full.error.message).toContain('ledgerKeysMax is 3');
    }
    expect(ledger.stats()).toEqual(before);
  });

  it('holds a million keys', () => {
    const { ledger } = setup({ ledgerKeysMax: 2_000_000 });
    const batch: LedgerItem[] = new Array(1000);
    for (let b = 0; b < 1000; b++) {
      for (let i = 0; i < 1000; i++) {
        const key = `big/${b * 1000 + i}`;
        batch[i] = { idempotencyKey: key, recipientId: `u${i}`, text: 't' };
      }
      expect(ledger.deliver(batch).ok).toBe(true);
    }
    expect(ledger.stats()).toMatchObject({ uniqueDelivered: 1_000_000, attempts: 1_000_000, duplicates: 0, deliverCalls: 1000 });
    expect(ledger.delivered(['big/0', 'big/999999', 'big/1000000'])).toEqual(['t', 't', '']);
  });
});

describe('KeyedTexts', () => {
  it('spreads entries over several maps past the per-map bound and still finds every key', () => {
    const texts = new KeyedTexts(2);
    for (let i = 0; i < 5; i++) texts.add(`k${i}`, `t${i}`);
    expect(texts.size).toBe(5);
    expect(texts.mapCount).toBe(3);
    expect([0, 1, 2, 3, 4].map((i) => texts.get(`k${i}`))).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(texts.has('k5')).toBe(false);
    texts.clear();
    expect([texts.size, texts.mapCount, texts.has('k0')]).toEqual([0, 1, false]);
  });
});

describe('GatewayLedger.lookupPresence', () => {
  it('answers reachable unless the id ends with an unreachable suffix, in order', () => {
    const { ledger } = setup({ unreachableSuffixes: ['-off', '.gone'] });
    expect(ledger.lookupPresence(['a', 'b-off', 'c.gone', 'd-bad', 'off'])).toEqual({ ok: true, value: [true, false, false, true, true] });
    expect(ledger.stats()).toEqual(zeroStats({ presenceLookups: 1 }));
  });
});

describe('outages', () => {
  it('refuses every call inside a scheduled window, measured from the ledger start, and counts the refusals only', () => {
    const { ledger, clock } = setup({ outageWindowsMs: [{ fromMs: 5_000, toMs: 8_000 }, { fromMs: 20_000, toMs: 21_000 }] });
    expect(outcomes(ledger, [item('b/1')])).toEqual(['DELIVERED']);
    clock.advance(5_000);
    const refused = ledger.deliver([item('b/2'), item('b/3')]);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('UNAVAILABLE');
      expect(refused.error.message).toContain('5000-8000');
    }
    expect(ledger.lookupPresence(['a']).ok).toBe(false);
    clock.advance(2_999);
    expect(ledger.admitCall().ok).toBe(false);
    clock.advance(1);
    expect(outcomes(ledger, [item('b/2')])).toEqual(['DELIVERED']);
    clock.advance(12_000);
    expect(ledger.deliver([item('b/3')]).ok).toBe(false);
    clock.advance(1_000);
    expect(ledger.deliver([item('b/3')]).ok).toBe(true);
    expect(ledger.stats()).toEqual(zeroStats({ uniqueDelivered: 3, attempts: 3, deliverCalls: 3, outageRejections: 4 }));
  });

  it('refuses calls while an outage is set, and resumes when it is cleared', () => {
    const { ledger } = setup();
    expect(ledger.configure(change({ outage: true }))).toMatchObject({ ok: true, value: { outage: true, outageForMs: 0 } });
    expect(ledger.deliver([item('b/1')]).ok).toBe(false);
    expect(ledger.configure(change({ outage: false }))).toMatchObject({ ok: true, value: { outage: false } });
    expect(outcomes(ledger, [item('b/1')])).toEqual(['DELIVERED']);
    expect(ledger.stats()).toMatchObject({ outageRejections: 1, attempts: 1, deliverCalls: 1 });
  });

  it('ends an outage started with outageForMs by itself', () => {
    const { ledger, clock } = setup();
    expect(ledger.configure(change({ outageForMs: 300 }))).toMatchObject({ ok: true, value: { outage: true, outageForMs: 300 } });
    clock.advance(299);
    expect(ledger.settings()).toMatchObject({ outage: true, outageForMs: 1 });
    expect(ledger.deliver([item('b/1')]).ok).toBe(false);
    clock.advance(1);
    expect(ledger.settings()).toMatchObject({ outage: false, outageForMs: 0 });
    expect(outcomes(ledger, [item('b/1')])).toEqual(['DELIVERED']);
  });

  it('ends a timed outage early on outage=false or outageForMs=0', () => {
    const { ledger } = setup();
    ledger.configure(change({ outageForMs: 10_000 }));
    ledger.configure(change({ outage: false }));
    expect(ledger.admitCall().ok).toBe(true);
    ledger.configure(change({ outageForMs: 10_000 }));
    ledger.configure(change({ outageForMs: 0 }));
    expect(ledger.admitCall().ok).toBe(true);
  });
});

describe('GatewayLedger.configure', () => {
  it('changes only the fields that are set', () => {
    const { ledger } = setup({ latencyMs: 5, retryRate: 0.1 });
    expect(ledger.configure(change({ latencyMs: 20 }))).toEqual({
      ok: true,
      value: { latencyMs: 20, retryRate: 0.1, outage: false, outageForMs: 0, unreachableSuffixes: ['-off'], permanentFailureSuffixes: ['-bad'], replaceLists: false },
    });
    expect(ledger.latencyMs).toBe(20);
  });

  it('replaces a list when it is non-empty, keeps it when empty, and clears both with replaceLists', () => {
    const { ledger } = setup();
    expect(ledger.configure(change({ unreachableSuffixes: ['-z'] }))).toMatchObject({ value: { unreachableSuffixes: ['-z'], permanentFailureSuffixes: ['-bad'] } });
    expect(ledger.configure(change({ replaceLists: true, permanentFailureSuffixes: ['-p'] }))).toMatchObject({ value: { unreachableSuffixes: [], permanentFailureSuffixes: ['-p'] } });
    expect(ledger.configure(change({ replaceLists: true }))).toMatchObject({ value: { unreachableSuffixes: [], permanentFailureSuffixes: [] } });
  });

  it('refuses settings out of range with INVALID_ARGUMENT and changes nothing', () => {
    const { ledger } = setup();
    const before = ledger.settings();
    for (const bad of [
      change({ retryRate: 1.5, latencyMs: 7 }),
      change({ retryRate: Number.NaN }),
      change({ latencyMs: 60_001 }),
      change({ outageForMs: -1, outage: true }),
      change({ unreachableSuffixes: ['ok', ''] }),
      change({ permanentFailureSuffixes: ['x'.repeat(257)] }),
    ]) {
      const result = ledger.configure(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('INVALID_ARGUMENT');
    }
    expect(ledger.settings()).toEqual(before);
  });
});

describe('GatewayLedger.reset', () => {
  it('forgets keys and counters, keeps the settings, and returns the counters as they were', () => {
    const { ledger } = setup({ latencyMs: 3 });
    outcomes(ledger, [item('b/1'), item('b/1'), item('b/2', 'x-off')]);
    ledger.lookupPresence(['a']);
    expect(ledger.reset()).toEqual(zeroStats({ uniqueDelivered: 1, attempts: 3, duplicates: 1, unreachableReturned: 1, deliverCalls: 1, presenceLookups: 1 }));
    expect(ledger.stats()).toEqual(zeroStats());
    expect(ledger.delivered(['b/1'])).toEqual(['']);
    expect(ledger.latencyMs).toBe(3);
    expect(outcomes(ledger, [item('b/1')])).toEqual(['DELIVERED']);
    expect(ledger.stats().duplicates).toBe(0);
  });
});

describe('mulberry32', () => {
  it('repeats for a seed, differs across seeds, and stays in [0, 1) with mean about 0.5', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});
