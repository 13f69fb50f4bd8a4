import { describe, expect, it } from 'vitest';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import { RateEstimator, doneOf, etaMs, formatCount, formatDuration, formatPercent, formatRate, progressLine, progressView, shortEnum } from './progress-format';

function broadcast(state: string, counts: Partial<NonNullable<Broadcast__Output['counts']>>): Broadcast__Output {
  return {
    broadcastId: 'bc-1', clusterId: 'default', state: `BROADCAST_STATE_${state}` as Broadcast__Output['state'],
    counts: { total: 1000, delivered: 0, skippedUnreachable: 0, deadLettered: 0, inFlight: 0, pending: 0, ...counts },
    shards: [], template: 't', options: null, createdAtUnixMs: 0, finishedAtUnixMs: 0, requestId: '',
  };
}

describe('RateEstimator', () => {
  it('has no rate until two samples some time apart', () => {
    const r = new RateEstimator(10_000);
    expect(r.ratePerS()).toBeUndefined();
    r.add(1000, 0);
    expect(r.ratePerS()).toBeUndefined();
    r.add(1000, 50);
    expect(r.ratePerS()).toBeUndefined();
    r.add(2000, 100);
    expect(r.ratePerS()).toBe(100);
  });

  it('follows the recent pace, not the average since the start', () => {
    const r = new RateEstimator(10_000);
    // 10 s at 100/s, then 20 s at 1000/s.
    for (let t = 0; t <= 10; t++) r.add(t * 1000, t * 100);
    for (let t = 11; t <= 30; t++) r.add(t * 1000, 1000 + (t - 10) * 1000);
    expect(r.ratePerS()).toBeCloseTo(1000, 5);
  });

  it('spans the whole window once it has one', () => {
    const r = new RateEstimator(5000);
    r.add(0, 0);
    r.add(4000, 400);
    r.add(8000, 1200);
    // The sample at 0 is older than the window start (3000) but the only one before it: kept.
    expect(r.ratePerS()).toBeCloseTo(150, 5);
    r.add(9500, 1500);
    // Now 4000 is the newest sample at or before the window start (4500).
    expect(r.ratePerS()).toBeCloseTo(200, 5);
  });

  it('starts over when done goes backwards (dead letters retried)', () => {
    const r = new RateEstimator(10_000);
    r.add(0, 0);
    r.add(1000, 500);
    r.add(2000, 300);
    expect(r.ratePerS()).toBeUndefined();
    r.add(3000, 400);
    expect(r.ratePerS()).toBe(100);
  });
});

describe('formatting', () => {
  it('ETA from the remaining work and the rate', () => {
    expect(etaMs(1000, 100)).toBe(10_000);
    expect(etaMs(0, undefined)).toBe(0);
    expect(etaMs(10, undefined)).toBeUndefined();
    expect(etaMs(10, 0)).toBeUndefined();
  });

  it('durations', () => {
    expect(formatDuration(undefined)).toBe('--');
    expect(formatDuration(Infinity)).toBe('--');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(950)).toBe('1s');
    expect(formatDuration(75_000)).toBe('1m 15s');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2h 05m');
    expect(formatDuration(50 * 3_600_000)).toBe('2d 02h');
  });

  it('counts, rates and percentages', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatRate(undefined)).toBe('--/s');
    expect(formatRate(15992.4)).toBe('15,992/s');
    expect(formatPercent(0, 0)).toBe('0.0%');
    expect(formatPercent(456, 1000)).toBe('45.6%');
    // Never rounds up to 100% while something is left.
    expect(formatPercent(99_999, 100_000)).toBe('99.9%');
    expect(formatPercent(5, 5)).toBe('100.0%');
  });

  it('enum names without their prefix', () => {
    expect(shortEnum('BROADCAST_STATE_RUNNING')).toBe('RUNNING');
    expect(shortEnum('NODE_STATE_ALIVE')).toBe('ALIVE');
    expect(shortEnum('EVENT_TYPE_DOWN')).toBe('DOWN');
  });
});

describe('progressView', () => {
  it('done is every final state; ETA only while running', () => {
    const running = broadcast('RUNNING', { delivered: 400, skippedUnreachable: 50, deadLettered: 50, inFlight: 100, pending: 400 });
    expect(doneOf(running)).toBe(500);
    const view = progressView(running, 100);
    expect(view).toMatchObject({ state: 'RUNNING', done: 500, total: 1000, skipped: 50, deadLettered: 50, ratePerS: 100, etaMs: 5000 });
    expect(progressLine(view)).toBe('RUNNING    50.0%  500/1,000  100/s  ETA 5s  skipped 50  dead-lettered 50');

    const paused = progressView(broadcast('PAUSED', { delivered: 500 }), 100);
    expect(paused.etaMs).toBeUndefined();
    expect(paused.ratePerS).toBeUndefined();

    // Finished: the average over the whole run.
    const completed = progressView({ ...broadcast('COMPLETED', { delivered: 1000 }), createdAtUnixMs: 10_000, finishedAtUnixMs: 14_000 }, undefined);
    expect(completed.etaMs).toBe(0);
    expect(completed.ratePerS).toBe(250);
  });
});
