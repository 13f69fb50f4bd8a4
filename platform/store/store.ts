/**
 * The storage seam: a small ordered key/value store.
 *
 * Keys and values are strings. Keys are compared as UTF-16 code units
 * (the same order LevelDB uses for ASCII keys; relaycast keys are ASCII).
 *
 * Contract, per method:
 * - get: the value, or undefined when the key is absent.
 * - put / del / batch: durable when the returned promise resolves — a caller
 *   may acknowledge the write to a client after that and not before.
 * - batch: all operations apply or none do (atomic), in order.
 * - scan: entries with gte <= key < lt (either bound optional), ascending by key
 *   (descending with reverse), at most `limit` entries. The iteration reflects
 *   a consistent snapshot taken when scan is called.
 * - close: flushes and releases the store; further calls reject.
 *
 * Failure policy: any I/O error rejects the promise; callers treat a failed
 * write as not having happened and must not acknowledge it.
 */
export type BatchOp =
  | { type: 'put'; key: string; value: string }
  | { type: 'del'; key: string };

export interface ScanOptions {
  gte?: string;
  lt?: string;
  limit?: number;
  reverse?: boolean;
}

export interface KvStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  batch(ops: readonly BatchOp[]): Promise<void>;
  scan(options: ScanOptions): AsyncIterable<[string, string]>;
  /**
   * The values scan(options) would yield, in one call: for a bounded page
   * read, far cheaper than iterating entry by entry (one native call, no
   * per-entry promise).
   */
  scanValues(options: ScanOptions): Promise<string[]>;
  close(): Promise<void>;
}

/** The upper bound for a prefix scan: every key that starts with `prefix` is < prefixEnd(prefix). */
export function prefixEnd(prefix: string): string {
  return prefix + '\uffff';
}
