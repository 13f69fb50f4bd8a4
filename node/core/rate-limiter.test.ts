import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import { TokenBucket } from './rate-limiter';

describe('TokenBucket', () => {
  it('lets a full burst through at once, then makes the caller wait', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(100, 10, clock);
    for (let i = 0; i < 10; i++) expect(bucket.reserve(1)).toBe(0);
    expect(bucket.reserve(1)).toBeCloseTo(10);
    // Reservations queue into the future.
    expect(bucket.reserve(1)).toBeCloseTo(20);
    clock.advance(20);
    expect(bucket.reserve(1)).toBeCloseTo(10);
  });

  it('refills over time, but never beyond the burst', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(100, 10, clock);
    expect(bucket.reserve(10)).toBe(0);
    clock.advance(50);
    expect(bucket.reserve(5)).toBe(0);
    expect(bucket.reserve(1)).toBeCloseTo(10);
    clock.advance(60_000);
    expect(bucket.reserve(10)).toBe(0);
    expect(bucket.reserve(1)).toBeCloseTo(10);
  });

  it('accepts n larger than the burst and makes the caller wait for the excess', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(100, 10, clock);
    expect(bucket.reserve(30)).toBeCloseTo(200);
    expect(bucket.reserve(1)).toBeCloseTo(210);
    clock.advance(210);
    expect(bucket.reserve(0)).toBe(0);
  });

  it('holds the long-run rate exactly for a caller that waits as told', () => {
    const clock = new ManualClock();
    const ratePerS = 1000;
    const burst = 50;
    const bucket = new TokenBucket(ratePerS, burst, clock);
    const durationMs = 10_000;
    let sent = 0;
    let readyAtMs = 0;
    while (true) {
      const batch = 7 + (sent % 13);
      const waitMs = bucket.reserve(batch);
      readyAtMs = clock.monotonicMs() + waitMs;
      if (readyAtMs > durationMs) break;
      clock.advance(Math.ceil(waitMs));
      sent += batch;
      // The caller spends a little time sending before it reserves again.
      clock.advance(1);
      // Over any prefix, never more than burst + rate × elapsed.
      expect(sent).toBeLessThanOrEqual(burst + (ratePerS * clock.monotonicMs()) / 1000 + 1e-6);
    }
    expect(sent).toBeGreaterThanOrEqual((ratePerS * durationMs) / 1000 + burst - 20);
    expect(sent).toBeLessThanOrEqual((ratePerS * durationMs) / 1000 + burst);
  });

  it('is exact with fractional rates', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(3, 1, clock);
    expect(bucket.reserve(1)).toBe(0);
    let total = 0;
    for (let i = 0; i < 300; i++) {
      const waitMs = bucket.reserve(1);
      total += waitMs;
      clock.advance(waitMs);
    }
    // 300 more tokens at 3/s take 100 s, however the waits were split.
    expect(total).toBeCloseTo(100_000, 6);
    expect(bucket.reserve(0)).toBe(0);
  });

  it('never waits when unlimited', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(0, 0, clock);
    for (let i = 0; i < 1000; i++) expect(bucket.reserve(1_000_000)).toBe(0);
  });

  it('changes rate: elapsed time is credited at the old rate, waits use the new one', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(100, 10, clock);
    expect(bucket.reserve(30)).toBeCloseTo(200);
    clock.advance(100); // 10 tokens earned at 100/s: debt is now 10.
    bucket.setRate(1000);
    expect(bucket.rate).toBe(1000);
    expect(bucket.reserve(0)).toBeCloseTo(10);
  });

  it('moves between limited and unlimited', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(10, 5, clock);
    expect(bucket.reserve(50)).toBeCloseTo(4500);
    bucket.setRate(0);
    expect(bucket.reserve(1_000)).toBe(0);
    clock.advance(5);
    bucket.setRate(10);
    // Back to limited with a full bucket and no old debt.
    expect(bucket.reserve(5)).toBe(0);
    expect(bucket.reserve(1)).toBeCloseTo(100);
  });

  it('rejects bad arguments as bugs', () => {
    const clock = new ManualClock();
    expect(() => new TokenBucket(-1, 1, clock)).toThrow(/assertion failed/);
    expect(() => new TokenBucket(1, Number.NaN, clock)).toThrow(/assertion failed/);
    const bucket = new TokenBucket(1, 1, clock);
    expect(() => bucket.reserve(-1)).toThrow(/assertion failed/);
    expect(() => bucket.setRate(Number.POSITIVE_INFINITY)).toThrow(/assertion failed/);
  });
});
