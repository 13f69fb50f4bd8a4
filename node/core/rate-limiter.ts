/**
 * A token bucket with reservations: the node's limit on deliveries per second
 * to the gateway. Pure: time comes from the injected clock, and the caller
 * does the waiting.
 *
 * reserve(n) always succeeds and debits the bucket at once, possibly below
 * zero; the debt is the wait. Because every reservation is debited whether or
 * not the caller has waited yet, the long-run rate is exact: n tokens over T
 * seconds never exceed burst + rate × T.
 */
import { assert } from '../../protocol/errors';
import type { Clock } from '../../platform/clock';

/** Float dust from fractional refills is not a debt worth waiting for. */
const TOKENS_EPSILON = 1e-9;

export class TokenBucket {
  private ratePerS: number;
  private readonly burst: number;
  /** Tokens available at lastMs; negative when reservations run ahead. */
  private tokens: number;
  private lastMs: number;

  /** ratePerS 0 means unlimited. The bucket starts full (burst tokens). */
  constructor(
    ratePerS: number,
    burst: number,
    private readonly clock: Clock,
  ) {
    assertRate(ratePerS);
    assert(Number.isFinite(burst) && burst >= 0, `burst must be >= 0, got ${burst}`);
    this.ratePerS = ratePerS;
    this.burst = burst;
    this.tokens = burst;
    this.lastMs = clock.monotonicMs();
  }

  get rate(): number {
    return this.ratePerS;
  }

  /**
   * Reserve n tokens. Returns how many ms the caller must wait before using
   * them: 0 when they are available now. The wait may be fractional; round it
   * up when arming a timer. n may exceed burst: the wait grows accordingly.
   */
  reserve(n: number): number {
    assert(Number.isFinite(n) && n >= 0, `reserve needs a count >= 0, got ${n}`);
    if (this.ratePerS === 0) return 0;
    this.refill();
    this.tokens -= n;
    return this.tokens >= -TOKENS_EPSILON ? 0 : (-this.tokens * 1000) / this.ratePerS;
  }

  /** Change the rate from now on; time already elapsed is credited at the old rate. 0 means unlimited. */
  setRate(ratePerS: number): void {
    assertRate(ratePerS);
    if (ratePerS === this.ratePerS) return;
    if (this.ratePerS === 0) {
      // Leaving unlimited: nothing was tracked, so start full.
      this.tokens = this.burst;
      this.lastMs = this.clock.monotonicMs();
    } else if (ratePerS === 0) {
      // Entering unlimited forgives any debt.
      this.tokens = this.burst;
    } else {
      this.refill();
    }
    this.ratePerS = ratePerS;
  }

  private refill(): void {
    const nowMs = this.clock.monotonicMs();
    const elapsedMs = Math.max(0, nowMs - this.lastMs);
    this.lastMs = Math.max(this.lastMs, nowMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerS) / 1000);
  }
}

function assertRate(ratePerS: number): void {
  assert(Number.isFinite(ratePerS) && ratePerS >= 0, `ratePerS must be >= 0 (0 = unlimited), got ${ratePerS}`);
}
