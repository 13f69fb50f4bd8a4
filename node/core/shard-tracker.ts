/**
 * Per-shard accounting on the node, pure: which sequences are final, the
 * low watermark (everything below it is final), and the counts of final
 * outcomes BELOW the watermark. Counting only below the watermark keeps the
 * coordinator's sums exact when a shard changes hands: the new owner starts
 * at the watermark, so nothing is counted twice.
 */
import { assert } from '../../protocol/errors';
import { WatermarkTracker } from './watermark';

export type FinalOutcome = 'delivered' | 'skipped' | 'dead';

export class ShardTracker {
  private readonly marks: WatermarkTracker;
  /** Outcomes of final sequences at or above the watermark (the out-of-order window). */
  private readonly above = new Map<number, FinalOutcome>();
  delivered = 0;
  skipped = 0;
  dead = 0;

  /** `counted`: outcomes below `start` already counted (an order resumed at a checkpoint). */
  constructor(start: number, end: number, counted: { delivered: number; skipped: number; dead: number } = { delivered: 0, skipped: 0, dead: 0 }) {
    this.marks = new WatermarkTracker(start, end);
    this.delivered = counted.delivered;
    this.skipped = counted.skipped;
    this.dead = counted.dead;
  }

  get watermark(): number {
    return this.marks.watermark;
  }

  get end(): number {
    return this.marks.end;
  }

  get done(): boolean {
    return this.marks.done;
  }

  isFinal(sequence: number): boolean {
    return sequence < this.marks.watermark || this.above.has(sequence);
  }

  /** Record a final outcome; the first outcome of a sequence wins. */
  complete(sequence: number, outcome: FinalOutcome): void {
    if (this.isFinal(sequence) || sequence >= this.marks.end) return;
    const before = this.marks.watermark;
    this.above.set(sequence, outcome);
    this.marks.complete(sequence);
    for (let seq = before; seq < this.marks.watermark; seq++) {
      const o = this.above.get(seq);
      assert(o !== undefined, `sequence ${seq} below the watermark has an outcome`);
      this.above.delete(seq);
      this[o] += 1;
    }
  }

  shrinkEnd(newEnd: number): void {
    this.marks.shrinkEnd(newEnd);
    for (const seq of this.above.keys()) if (seq >= newEnd) this.above.delete(seq);
  }
}
