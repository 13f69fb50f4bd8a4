import type { BatchOp, KvStore, ScanOptions } from './store';

/**
 * In-memory KvStore: values live in a Map (O(1) get), key order lives in a
 * chunked sorted list so inserts, deletes and range scans stay cheap at ~1e6
 * keys even when keys arrive in random order.
 *
 * Nothing survives the process, so "durable" here just means "applied".
 */
export class MemoryStore implements KvStore {
  private readonly values = new Map<string, string>();
  private readonly order = new SortedKeys();
  private closed = false;

  async get(key: string): Promise<string | undefined> {
    this.assertOpen();
    assertKey(key);
    return this.values.get(key);
  }

  async put(key: string, value: string): Promise<void> {
    this.assertOpen();
    assertKey(key);
    assertValue(value);
    this.applyPut(key, value);
  }

  async del(key: string): Promise<void> {
    this.assertOpen();
    assertKey(key);
    this.applyDel(key);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    this.assertOpen();
    // Validate everything before touching state; applying is then synchronous,
    // so no other caller can observe a half-applied batch.
    assertBatchOps(ops);
    for (const op of ops) {
      if (op.type === 'put') this.applyPut(op.key, op.value);
      else this.applyDel(op.key);
    }
  }

  async scanValues(options: ScanOptions): Promise<string[]> {
    this.assertOpen();
    return this.order.range(normalizeScanOptions(options)).map((key) => this.values.get(key) as string);
  }

  scan(options: ScanOptions): AsyncIterable<[string, string]> {
    // The snapshot is copied now, not on the first next(): the contract says
    // the iteration reflects the store as of the scan call. Copying costs
    // O(entries returned), the same order as iterating them.
    let start: () => AsyncGenerator<[string, string]>;
    try {
      this.assertOpen();
      const keys = this.order.range(normalizeScanOptions(options));
      const values = keys.map((key) => this.values.get(key) as string);
      const store = this;
      start = async function* () {
        for (let i = 0; i < keys.length; i++) {
          // Closing the store ends in-progress scans too, as it does for LevelDB.
          store.assertOpen();
          yield [keys[i], values[i]];
        }
      };
    } catch (err) {
      // Report bad options or a closed store through the iteration, so scan
      // itself never throws (the contract says calls reject).
      start = async function* () {
        throw err;
      };
    }
    return singleUse(start);
  }

  async close(): Promise<void> {
    this.assertOpen();
    this.closed = true;
    this.values.clear();
    this.order.clear();
  }

  private applyPut(key: string, value: string): void {
    if (!this.values.has(key)) this.order.insert(key);
    this.values.set(key, value);
  }

  private applyDel(key: string): void {
    if (this.values.delete(key)) this.order.delete(key);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }
}

/**
 * A sorted list of distinct strings stored as a list of sorted chunks.
 *
 * A single sorted array would need an O(n) splice per random insert (about
 * n^2/4 element moves to load 1e6 keys); with chunks, an insert only shifts
 * one chunk, and the chunk list itself changes only on the rare split.
 * Invariants: chunks are non-empty, each is sorted, every key of chunk i is
 * below every key of chunk i+1, and maxes[i] is the last key of chunk i.
 */
class SortedKeys {
  /** Target chunk size; a chunk splits in half once it reaches twice this. */
  private static readonly LOAD = 512;

  private chunks: string[][] = [];
  private maxes: string[] = [];

  insert(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.maxes.push(key);
      return;
    }
    // The first chunk whose max is >= key holds key's slot; a key above every
    // max goes at the end of the last chunk.
    let c = lowerBound(this.maxes, key);
    if (c === this.chunks.length) c--;
    const chunk = this.chunks[c];
    chunk.splice(lowerBound(chunk, key), 0, key);
    this.maxes[c] = chunk[chunk.length - 1];

    if (chunk.length >= 2 * SortedKeys.LOAD) {
      const upper = chunk.splice(SortedKeys.LOAD);
      this.chunks.splice(c + 1, 0, upper);
      this.maxes[c] = chunk[chunk.length - 1];
      this.maxes.splice(c + 1, 0, upper[upper.length - 1]);
    }
  }

  delete(key: string): void {
    const c = lowerBound(this.maxes, key);
    if (c === this.chunks.length) return;
    const chunk = this.chunks[c];
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    // Empty chunks are dropped; undersized ones are left alone because they
    // cost little and merging would add complexity for no measurable gain.
    if (chunk.length === 0) {
      this.chunks.splice(c, 1);
      this.maxes.splice(c, 1);
    } else {
      this.maxes[c] = chunk[chunk.length - 1];
    }
  }

  clear(): void {
    this.chunks = [];
    this.maxes = [];
  }

  /** Keys with gte <= key < lt, in iteration order, at most `limit` of them. */
  range({ gte, lt, limit, reverse }: NormalizedScan): string[] {
    const out: string[] = [];
    if (limit === 0) return out;

    if (!reverse) {
      let [c, i] = gte === undefined ? [0, 0] : this.position(gte);
      for (; c < this.chunks.length; c++, i = 0) {
        const chunk = this.chunks[c];
        for (; i < chunk.length; i++) {
          if (lt !== undefined && chunk[i] >= lt) return out;
          out.push(chunk[i]);
          if (out.length === limit) return out;
        }
      }
      return out;
    }

    // Reverse: start just below lt (or at the very end) and walk down.
    let [c, i] = lt === undefined ? [this.chunks.length, 0] : this.position(lt);
    i--;
    for (;;) {
      if (i < 0) {
        if (--c < 0) return out;
        i = this.chunks[c].length - 1;
        continue;
      }
      const key = this.chunks[c][i];
      if (gte !== undefined && key < gte) return out;
      out.push(key);
      if (out.length === limit) return out;
      i--;
    }
  }

  /**
   * [chunk, offset] of the first key >= key; [chunks.length, 0] when every key
   * is smaller.
   */
  private position(key: string): [number, number] {
    const c = lowerBound(this.maxes, key);
    if (c === this.chunks.length) return [c, 0];
    return [c, lowerBound(this.chunks[c], key)];
  }
}

/** Index of the first element >= key in a sorted array (length if none). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------
// Input validation and scan plumbing shared by the KvStore adapters. Both
// adapters validate up-front so a bad call fails the same way everywhere and a
// batch containing an invalid op is rejected before anything is applied.
// ---------------------------------------------------------------------------

export interface NormalizedScan {
  gte: string | undefined;
  lt: string | undefined;
  /** Infinity when unlimited. */
  limit: number;
  reverse: boolean;
}

export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`key must be a string, got ${typeof key}`);
}

export function assertValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`value must be a string, got ${typeof value}`);
}

export function assertBatchOps(ops: unknown): asserts ops is readonly BatchOp[] {
  if (!Array.isArray(ops)) throw new TypeError('batch operations must be an array');
  ops.forEach((op: unknown, index) => {
    if (typeof op !== 'object' || op === null) {
      throw new TypeError(`batch op ${index} must be an object`);
    }
    const { type, key, value } = op as { type?: unknown; key?: unknown; value?: unknown };
    if (type !== 'put' && type !== 'del') {
      throw new TypeError(`batch op ${index} has unknown type ${String(type)}`);
    }
    if (typeof key !== 'string') throw new TypeError(`batch op ${index} key must be a string`);
    if (type === 'put' && typeof value !== 'string') {
      throw new TypeError(`batch op ${index} value must be a string`);
    }
  });
}

export function normalizeScanOptions(options: ScanOptions): NormalizedScan {
  const { gte, lt, limit, reverse } = options ?? {};
  if (gte !== undefined && typeof gte !== 'string') throw new TypeError('scan gte must be a string');
  if (lt !== undefined && typeof lt !== 'string') throw new TypeError('scan lt must be a string');
  if (limit !== undefined && !(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
    throw new TypeError(`scan limit must be a non-negative integer, got ${String(limit)}`);
  }
  return { gte, lt, limit: limit ?? Infinity, reverse: reverse === true };
}

/**
 * Wraps an async generator factory as an AsyncIterable that may be iterated
 * once. A scan's snapshot belongs to the scan call, so a second iteration
 * could not honour the contract for stores whose snapshot is a one-shot cursor
 * (LevelDB); every adapter refuses it so callers cannot come to rely on it.
 */
export function singleUse<T>(start: () => AsyncGenerator<T>): AsyncIterable<T> {
  let used = false;
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      if (used) throw new Error('a scan can only be iterated once');
      used = true;
      return start();
    },
  };
}
