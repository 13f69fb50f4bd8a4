/**
 * A key/value store on simulated time that loses what was not yet durable
 * when its process crashes: a batch becomes durable (and its callback runs)
 * only after a simulated fsync delay, in submission order.
 */
import type { BatchOp } from '../../platform/store/store';
import type { Proc, World } from './world';

export class SimStore {
  /** What survives a crash. */
  readonly durable = new Map<string, string>();
  private pending: Array<{ ops: BatchOp[]; durableAtMs: number }> = [];
  private lastDurableAtMs = 0;
  /** Called for every batch as it becomes durable (checkers watch this). */
  onDurable: (ops: readonly BatchOp[]) => void = () => undefined;

  constructor(
    private readonly world: World,
    private readonly proc: Proc,
    private readonly fsyncMinMs: number,
    private readonly fsyncMaxMs: number,
  ) {}

  /** Write a batch; `then` runs at the owner once it is durable (never, if the owner crashes first). */
  batch(ops: BatchOp[], then: () => void): void {
    const durableAtMs = Math.max(this.world.nowMs + this.world.uniform(this.fsyncMinMs, this.fsyncMaxMs), this.lastDurableAtMs);
    this.lastDurableAtMs = durableAtMs;
    const entry = { ops, durableAtMs };
    this.pending.push(entry);
    this.world.at(durableAtMs, this.proc, () => {
      this.pending.splice(this.pending.indexOf(entry), 1);
      for (const op of ops) {
        if (op.type === 'put') this.durable.set(op.key, op.value);
        else this.durable.delete(op.key);
      }
      this.onDurable(ops);
      then();
    });
  }

  /** The process crashed: writes not yet durable are gone. */
  crashed(): number {
    const lost = this.pending.length;
    this.pending = [];
    this.lastDurableAtMs = 0;
    return lost;
  }

  /** Durable values under a prefix, in key order (what a restart loads). */
  scan(prefix: string): string[] {
    return [...this.durable.keys()].filter((k) => k.startsWith(prefix)).sort().map((k) => this.durable.get(k)!);
  }
}
