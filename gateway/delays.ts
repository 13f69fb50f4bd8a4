/**
 * The simulated latency: answers wait on a timer here, tracked so that a
 * stopping simulator can answer every waiting call at once instead of
 * leaving timers behind. Bounded: past `waitingMax` calls, new ones are
 * refused by the caller.
 */
export const WAITING_CALLS_MAX = 100_000;

export class Delays {
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  constructor(private readonly waitingMax = WAITING_CALLS_MAX) {}

  /** Calls waiting out their delay now. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** False when the call must be refused (too many waiting, or stopping). */
  get accepting(): boolean {
    return !this.stopped && this.waiting.size < this.waitingMax;
  }

  /** Runs `fire` after `delayMs` (at once when 0), or `cancel` if stopped first. */
  run(delayMs: number, fire: () => void, cancel: () => void): void {
    if (this.stopped) return cancel();
    if (delayMs <= 0) return fire();
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      fire();
    }, delayMs);
    this.waiting.set(timer, cancel);
  }

  /** Cancels every waiting call and refuses new ones. */
  stop(): void {
    this.stopped = true;
    for (const [timer, cancel] of this.waiting) {
      clearTimeout(timer);
      cancel();
    }
    this.waiting.clear();
  }
}
