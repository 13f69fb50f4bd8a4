/**
 * Tracks which sequences of a range [start, end) are final, as a watermark:
 * every sequence below it is final. Sequences completed out of order are held
 * in a set until the watermark reaches them, so memory is bounded by the
 * out-of-order window the caller allows, never by the size of the range.
 *
 * The watermark is what a node checkpoints: after a crash, redelivery is only
 * ever of what lies between the checkpointed watermark and the end.
 */
import { assert } from '../../protocol/errors';

export class WatermarkTracker {
  readonly start: number;
  private endExclusive: number;
  private next: number;
  /** Completed sequences above the watermark; each is > next and < end. */
  private readonly above = new Set<number>();

  constructor(start: number, end: number) {
    assert(Number.isSafeInteger(start) && start >= 0, `watermark start must be an integer >= 0, got ${start}`);
    assert(Number.isSafeInteger(end) && end >= start, `watermark end must be an integer >= start, got [${start}, ${end})`);
    this.start = start;
    this.endExclusive = end;
    this.next = start;
  }

  get end(): number {
    return this.endExclusive;
  }

  /** The lowest sequence not yet final; end when all are. */
  get watermark(): number {
    return this.next;
  }

  get done(): boolean {
    return this.next === this.endExclusive;
  }

  /** How many completed sequences are held above the watermark (the out-of-order window in use). */
  get pendingAboveWatermark(): number {
    return this.above.size;
  }

  isComplete(sequence: number): boolean {
    return sequence < this.next ? sequence >= this.start : this.above.has(sequence);
  }

  /** Mark a sequence final. Completing it again is a no-op. */
  complete(sequence: number): void {
    assert(
      Number.isSafeInteger(sequence) && sequence >= this.start && sequence < this.endExclusive,
      `sequence ${sequence} outside [${this.start}, ${this.endExclusive})`,
    );
    if (sequence < this.next) return;
    if (sequence > this.next) {
      this.above.add(sequence);
      return;
    }
    // Each held sequence is removed exactly once, so advancing is amortised O(1).
    this.next += 1;
    while (this.above.delete(this.next)) this.next += 1;
    assert(this.next <= this.endExclusive, 'watermark stays within the range');
  }

  /**
   * The coordinator split off the tail [newEnd, end): forget it, including any
   * sequences of it already completed (the new owner may redeliver those; the
   * idempotency key makes that harmless).
   */
  shrinkEnd(newEnd: number): void {
    assert(Number.isSafeInteger(newEnd), `newEnd must be an integer, got ${newEnd}`);
    assert(newEnd >= this.next, `cannot shrink end to ${newEnd} below the watermark ${this.next}`);
    assert(newEnd <= this.endExclusive, `cannot grow end from ${this.endExclusive} to ${newEnd}`);
    if (newEnd === this.endExclusive) return;
    this.endExclusive = newEnd;
    for (const sequence of this.above) if (sequence >= newEnd) this.above.delete(sequence);
  }
}
