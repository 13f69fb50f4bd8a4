/**
 * Per-client token buckets for the public API, pure: time comes from the
 * injected clock. One bucket per client key (the peer's address), refilled
 * at `ratePerS` up to `burst`; a request takes one token or is refused with
 * the time until the next token.
 *
 * Memory is bounded: at most `clientsMax` buckets, the least recently seen
 * client forgotten first. A forgotten client comes back with a full bucket,
 * so more than `clientsMax` clients taking turns could each get a fresh
 * burst; that is the price of the bound, and it needs that many addresses.
 */
import { assert } from '../protocol/errors';
import type { Clock } from './clock';

export interface ClientRateLimits {
  /** Requests per second per client; 0 means unlimited. */
  ratePerS: number;
  /** Requests a client may make at once after being idle. */
  burst: number;
  /** Clients tracked at most. */
  clientsMax: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number };

const ADMITTED: Admission = { admitted: true };

export class ClientRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private evictedCount = 0;

  constructor(
    readonly limits: ClientRateLimits,
    private readonly clock: Clock,
  ) {
    assert(Number.isFinite(limits.ratePerS) && limits.ratePerS >= 0, `ratePerS must be >= 0, got ${limits.ratePerS}`);
    assert(Number.isFinite(limits.burst) && limits.burst >= 1, `burst must be >= 1, got ${limits.burst}`);
    assert(Number.isInteger(limits.clientsMax) && limits.clientsMax >= 1, `clientsMax must be >= 1, got ${limits.clientsMax}`);
  }

  /** Clients currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** Clients forgotten to stay within clientsMax, since the start. */
  get evicted(): number {
    return this.evictedCount;
  }

  /** One request from `client`: admitted (a token taken) or refused with the wait until a token is there. */
  take(client: string): Admission {
    const { ratePerS, burst, clientsMax } = this.limits;
    if (ratePerS === 0) return ADMITTED;
    const nowMs = this.clock.monotonicMs();
    let bucket = this.buckets.get(client);
    if (bucket === undefined) {
      bucket = { tokens: burst, lastMs: nowMs };
      while (this.buckets.size >= clientsMax) {
        // Map order is insertion order and every use re-inserts: the first key is the least recently seen.
        this.buckets.delete(this.buckets.keys().next().value as string);
        this.evictedCount += 1;
      }
    } else {
      this.buckets.delete(client);
      const elapsedMs = Math.max(0, nowMs - bucket.lastMs);
      bucket.tokens = Math.min(burst, bucket.tokens + (elapsedMs * ratePerS) / 1000);
      bucket.lastMs = Math.max(bucket.lastMs, nowMs);
    }
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ADMITTED;
    }
    return { admitted: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / ratePerS) };
  }
}
