/** The real clock, for shells. Cores receive a Clock and never read time themselves. */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Monotonic milliseconds, for timeouts and ages. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch, for display only. */
  wallMs(): number;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};

/** A clock moved by hand, for tests and the simulator. */
export class ManualClock implements Clock {
  constructor(private nowMs = 0, private readonly wallOffsetMs = 1_700_000_000_000) {}
  monotonicMs(): number {
    return this.nowMs;
  }
  wallMs(): number {
    return this.wallOffsetMs + this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}
