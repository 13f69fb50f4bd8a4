import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock';
import { ClientRateLimiter } from './client-rate-limiter';

describe('ClientRateLimiter', () => {
  it('admits a burst, then one call per 1/rate seconds, and says how long to wait', () => {
    const clock = new ManualClock();
    const limiter = new ClientRateLimiter({ ratePerS: 10, burst: 3, clientsMax: 10 }, clock);
    expect([1, 2, 3].map(() => limiter.take('a').admitted)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ admitted: false, retryAfterMs: 100 });
    clock.advance(50);
    expect(limiter.take('a')).toEqual({ admitted: false, retryAfterMs: 50 });
    clock.advance(50);
    expect(limiter.take('a').admitted).toBe(true);
    expect(limiter.take('a').admitted).toBe(false);
    // Idle time refills up to the burst, not beyond.
    clock.advance(60_000);
    expect([1, 2, 3, 4].map(() => limiter.take('a').admitted)).toEqual([true, true, true, false]);
  });

  it('keeps one bucket per client', () => {
    const limiter = new ClientRateLimiter({ ratePerS: 1, burst: 1, clientsMax: 10 }, new ManualClock());
    expect(limiter.take('a').admitted).toBe(true);
    expect(limiter.take('a').admitted).toBe(false);
    expect(limiter.take('b').admitted).toBe(true);
  });

  it('rate 0 is unlimited and tracks nothing', () => {
    const limiter = new ClientRateLimiter({ ratePerS: 0, burst: 1, clientsMax: 1 }, new ManualClock());
    for (let i = 0; i < 1000; i++) expect(limiter.take(`c${i}`).admitted).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('tracks at most clientsMax clients, forgetting the least recently seen', () => {
    const limiter = new ClientRateLimiter({ ratePerS: 1, burst: 1, clientsMax: 2 }, new ManualClock());
    limiter.take('a');
    limiter.take('b');
    limiter.take('a'); // a is now the most recent
    limiter.take('c'); // b is forgotten
    expect(limiter.size).toBe(2);
    expect(limiter.evicted).toBe(1);
    expect(limiter.take('a').admitted).toBe(false);
    expect(limiter.take('b').admitted).toBe(true); // a fresh bucket
  });
});
