/**
 * A binary min-heap ordered by `before` (true when `a` must come out
 * before `b`): O(log n) push and pop, O(1) peek. Pure; used by the node's
 * outbox and the simulator's event queue.
 */
export class MinHeap<T> {
  private readonly heap: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.heap.length;
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  push(item: T): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Removes the items `keep` rejects; returns how many. */
  retain(keep: (item: T) => boolean): number {
    const kept = this.heap.filter(keep);
    const removed = this.heap.length - kept.length;
    if (removed === 0) return 0;
    this.heap.length = 0;
    for (const item of kept) this.push(item);
    return removed;
  }

  clear(): void {
    this.heap.length = 0;
  }
}
