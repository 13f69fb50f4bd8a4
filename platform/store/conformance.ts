import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BatchOp, type KvStore, type ScanOptions, prefixEnd } from './store';

/**
 * What an adapter's test file supplies per test case.
 * - store: a fresh, empty, open store.
 * - reopen: when the adapter is persistent, opens the same underlying data
 *   again. The suite calls it only after closing `store`.
 * - cleanup: releases everything (including stores returned by reopen and
 *   stores the test already closed) and deletes any files.
 */
export interface ConformanceFixture {
  store: KvStore;
  reopen?: () => Promise<KvStore>;
  cleanup: () => Promise<void>;
}

/**
 * Registers the behaviour every KvStore adapter must share (see the contract
 * in store.ts). Call it from an adapter's test file.
 */
export function describeKvStoreConformance(
  name: string,
  makeStore: () => Promise<ConformanceFixture>,
): void {
  describe(`KvStore conformance: ${name}`, () => {
    let fixture: ConformanceFixture;
    let store: KvStore;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    async function putAll(keys: readonly string[]): Promise<void> {
      for (const key of keys) await store.put(key, `v:${key}`);
    }

    // `from` defaults to the current test's store (read at call time).
    function collect(options: ScanOptions, from = store): Promise<[string, string][]> {
      return collectIterable(from.scan(options));
    }

    async function scanKeys(options: ScanOptions): Promise<string[]> {
      return (await collect(options)).map(([key]) => key);
    }

    describe('get / put / del', () => {
      it('returns undefined for a missing key', async () => {
        expect(await store.get('missing')).toBeUndefined();
      });

      it('round-trips a value', async () => {
        await store.put('k', 'hello');
        expect(await store.get('k')).toBe('hello');
      });

      it('round-trips empty and non-ASCII values', async () => {
        await store.put('empty', '');
        await store.put('text', 'héllo ✓ \u{1F600} {"json":[1,2]}\n');
        expect(await store.get('empty')).toBe('');
        expect(await store.get('text')).toBe('héllo ✓ \u{1F600} {"json":[1,2]}\n');
      });

      it('overwrites an existing value', async () => {
        await store.put('k', 'one');
        await store.put('k', 'two');
        expect(await store.get('k')).toBe('two');
        expect(await collect({})).toEqual([['k', 'two']]);
      });

      it('deletes a key', async () => {
        await store.put('k', 'v');
        await store.del('k');
        expect(await store.get('k')).toBeUndefined();
        expect(await collect({})).toEqual([]);
      });

      it('deleting a missing key succeeds', async () => {
        await expect(store.del('never-written')).resolves.toBeUndefined();
      });

      it('rejects a non-string key or value', async () => {
        await expect(store.put(42 as unknown as string, 'v')).rejects.toThrow();
        await expect(store.put('k', 42 as unknown as string)).rejects.toThrow();
        await expect(store.get(42 as unknown as string)).rejects.toThrow();
        await expect(store.del(42 as unknown as string)).rejects.toThrow();
        expect(await collect({})).toEqual([]);
      });
    });

    describe('batch', () => {
      it('applies every op, in order', async () => {
        await store.put('gone', 'x');
        await store.batch([
          { type: 'put', key: 'a', value: '1' },
          { type: 'put', key: 'a', value: '2' },
          { type: 'put', key: 'b', value: '1' },
          { type: 'del', key: 'b' },
          { type: 'del', key: 'c' },
          { type: 'put', key: 'c', value: '3' },
          { type: 'del', key: 'gone' },
        ]);
        expect(await collect({})).toEqual([
          ['a', '2'],
          ['c', '3'],
        ]);
      });

      it('put then del of the same key leaves it absent', async () => {
        await store.batch([
          { type: 'put', key: 'k', value: 'v' },
          { type: 'del', key: 'k' },
        ]);
        expect(await store.get('k')).toBeUndefined();
      });

      it('accepts an empty batch', async () => {
        await expect(store.batch([])).resolves.toBeUndefined();
      });

      it('applies nothing when any op is invalid', async () => {
        await store.put('existing', 'before');
        const invalid: unknown[][] = [
          [{ type: 'put', key: 42, value: 'v' }],
          [{ type: 'put', key: 'x', value: null }],
          [{ type: 'del', key: undefined }],
          [{ type: 'merge', key: 'x', value: 'v' }],
          [null],
        ];
        for (const bad of invalid) {
          const ops = [
            { type: 'put', key: 'new', value: 'v' },
            { type: 'put', key: 'existing', value: 'after' },
            { type: 'del', key: 'existing' },
            ...bad,
          ] as BatchOp[];
          await expect(store.batch(ops)).rejects.toThrow();
        }
        expect(await collect({})).toEqual([['existing', 'before']]);
      });
    });

    describe('scan', () => {
      const keys = ['d', 'a', 'e', 'c', 'b'];

      it('yields entries ascending by key', async () => {
        await putAll(keys);
        expect(await collect({})).toEqual([
          ['a', 'v:a'],
          ['b', 'v:b'],
          ['c', 'v:c'],
          ['d', 'v:d'],
          ['e', 'v:e'],
        ]);
      });

      it('yields entries descending with reverse', async () => {
        await putAll(keys);
        expect(await scanKeys({ reverse: true })).toEqual(['e', 'd', 'c', 'b', 'a']);
      });

      it('treats gte as inclusive and lt as exclusive', async () => {
        await putAll(keys);
        expect(await scanKeys({ gte: 'b', lt: 'd' })).toEqual(['b', 'c']);
        expect(await scanKeys({ gte: 'b', lt: 'd', reverse: true })).toEqual(['c', 'b']);
        expect(await scanKeys({ gte: 'bb', lt: 'dd' })).toEqual(['c', 'd']);
        expect(await scanKeys({ gte: 'c' })).toEqual(['c', 'd', 'e']);
        expect(await scanKeys({ lt: 'c' })).toEqual(['a', 'b']);
        expect(await scanKeys({ lt: 'c', reverse: true })).toEqual(['b', 'a']);
      });

      it('yields nothing for an empty or inverted range', async () => {
        await putAll(keys);
        expect(await scanKeys({ gte: 'c', lt: 'c' })).toEqual([]);
        expect(await scanKeys({ gte: 'd', lt: 'b' })).toEqual([]);
        expect(await scanKeys({ gte: 'x' })).toEqual([]);
        expect(await scanKeys({ lt: 'a' })).toEqual([]);
      });

      it('yields nothing from an empty store', async () => {
        expect(await scanKeys({})).toEqual([]);
        expect(await scanKeys({ reverse: true })).toEqual([]);
      });

      it('honours limit from the start of the iteration order', async () => {
        await putAll(keys);
        expect(await scanKeys({ limit: 2 })).toEqual(['a', 'b']);
        expect(await scanKeys({ limit: 2, reverse: true })).toEqual(['e', 'd']);
        expect(await scanKeys({ gte: 'b', lt: 'e', limit: 2, reverse: true })).toEqual(['d', 'c']);
        expect(await scanKeys({ limit: 100 })).toEqual(['a', 'b', 'c', 'd', 'e']);
        expect(await scanKeys({ limit: 0 })).toEqual([]);
      });

      it('rejects an invalid limit when iterated', async () => {
        await putAll(keys);
        await expect(collect({ limit: -1 })).rejects.toThrow();
        await expect(collect({ limit: 1.5 })).rejects.toThrow();
      });

      it('scans a prefix with prefixEnd', async () => {
        await putAll(['node/b', 'nodes', 'ev/0001', 'node/a', 'node', 'node/', 'nodf', 'no']);
        const prefix = { gte: 'node/', lt: prefixEnd('node/') };
        expect(await scanKeys(prefix)).toEqual(['node/', 'node/a', 'node/b']);
        expect(await scanKeys({ ...prefix, reverse: true })).toEqual(['node/b', 'node/a', 'node/']);
        expect(await scanKeys({ gte: 'node', lt: prefixEnd('node') })).toEqual([
          'node',
          'node/',
          'node/a',
          'node/b',
          'nodes',
        ]);
        expect(await scanKeys({ gte: 'ev/', lt: prefixEnd('ev/') })).toEqual(['ev/0001']);
      });

      it('orders zero-padded numbers numerically', async () => {
        const numbers = [10, 2, 100, 1, 9, 11, 1000, 99];
        await putAll(numbers.map((n) => `ev/${String(n).padStart(6, '0')}`));
        const expected = [...numbers].sort((a, b) => a - b).map((n) => `ev/${String(n).padStart(6, '0')}`);
        expect(await scanKeys({ gte: 'ev/', lt: prefixEnd('ev/') })).toEqual(expected);
      });

      it('reads from a snapshot taken when scan is called', async () => {
        await putAll(['a', 'b', 'c']);
        const scan = store.scan({});
        // Writes after the scan call but before iterating starts.
        await store.put('a', 'changed');
        await store.del('b');
        await store.put('bb', 'new');
        expect(await collectIterable(scan)).toEqual([
          ['a', 'v:a'],
          ['b', 'v:b'],
          ['c', 'v:c'],
        ]);
      });

      it('does not see writes made during iteration', async () => {
        await putAll(['a', 'b', 'c', 'd']);
        const seen: [string, string][] = [];
        for await (const entry of store.scan({ gte: 'a', lt: 'z' })) {
          seen.push(entry);
          if (entry[0] === 'a') {
            await store.put('c', 'changed');
            await store.del('d');
            await store.batch([
              { type: 'put', key: 'b1', value: 'new' },
              { type: 'put', key: 'e', value: 'new' },
            ]);
          }
        }
        expect(seen).toEqual([
          ['a', 'v:a'],
          ['b', 'v:b'],
          ['c', 'v:c'],
          ['d', 'v:d'],
        ]);
        expect(await scanKeys({})).toEqual(['a', 'b', 'b1', 'c', 'e']);
      });

      it('keeps working after a scan is abandoned early', async () => {
        await putAll(['a', 'b', 'c']);
        for (let round = 0; round < 20; round++) {
          for await (const [key] of store.scan({ reverse: round % 2 === 1 })) {
            expect(key).toMatch(/^[abc]$/);
            break;
          }
        }
        await store.put('d', 'v:d');
        await store.del('a');
        expect(await store.get('d')).toBe('v:d');
        expect(await scanKeys({})).toEqual(['b', 'c', 'd']);
      });

      it('can only be iterated once', async () => {
        await putAll(['a']);
        const scan = store.scan({});
        expect(await collectIterable(scan)).toEqual([['a', 'v:a']]);
        await expect(collectIterable(scan)).rejects.toThrow();
      });

      it('handles many keys written in random order', async () => {
        const count = 3000;
        const numbers = Array.from({ length: count }, (_, i) => i);
        shuffle(numbers);
        const key = (n: number) => `k/${String(n).padStart(5, '0')}`;
        for (let i = 0; i < count; i += 500) {
          await store.batch(
            numbers.slice(i, i + 500).map((n) => ({ type: 'put' as const, key: key(n), value: String(n) })),
          );
        }
        // Delete every third key plus a whole contiguous block (which empties
        // any internal pages/chunks covering it), again in random order.
        const doomed = (n: number) => n % 3 === 0 || n >= 2000;
        await store.batch(numbers.filter(doomed).map((n) => ({ type: 'del' as const, key: key(n) })));

        const remaining = Array.from({ length: count }, (_, i) => i).filter((n) => !doomed(n));
        const all = await collect({});
        expect(all.map(([k]) => k)).toEqual(remaining.map(key));
        expect(all.every(([k, v]) => k === key(Number(v)))).toBe(true);
        expect(await scanKeys({ gte: key(1000), lt: key(1010) })).toEqual(
          [1000, 1001, 1003, 1004, 1006, 1007, 1009].map(key),
        );
        expect(await scanKeys({ lt: key(2000), limit: 3, reverse: true })).toEqual(
          [1999, 1997, 1996].map(key),
        );
        expect(await scanKeys({ gte: key(1995) })).toEqual([1996, 1997, 1999].map(key));
        expect(await scanKeys({ reverse: true, limit: 2 })).toEqual([1999, 1997].map(key));
      });

      it('scanValues returns exactly the values scan yields, for every kind of range', async () => {
        await putAll(keys);
        const cases: ScanOptions[] = [
          {}, { reverse: true }, { gte: 'b', lt: 'd' }, { gte: 'b', lt: 'd', reverse: true }, { gte: 'bb', lt: 'dd' },
          { gte: 'c' }, { lt: 'c' }, { gte: 'c', lt: 'c' }, { gte: 'd', lt: 'b' }, { limit: 2 }, { limit: 0 },
          { gte: 'b', lt: 'e', limit: 2, reverse: true }, { limit: 100 },
        ];
        for (const options of cases) {
          expect(await store.scanValues(options), JSON.stringify(options)).toEqual((await collect(options)).map(([, value]) => value));
        }
        await expect(store.scanValues({ limit: -1 })).rejects.toThrow();
      });
    });

    describe('lifecycle', () => {
      it('persists writes across close and reopen', async (ctx) => {
        if (!fixture.reopen) {
          ctx.skip();
          return;
        }
        await store.put('a', '1');
        await store.put('b', '2');
        await store.batch([
          { type: 'put', key: 'c', value: '3' },
          { type: 'del', key: 'b' },
        ]);
        await store.put('a', '1b');
        await store.close();

        const reopened = await fixture.reopen();
        expect(await reopened.get('a')).toBe('1b');
        expect(await reopened.get('b')).toBeUndefined();
        expect(await collect({}, reopened)).toEqual([
          ['a', '1b'],
          ['c', '3'],
        ]);
        await reopened.close();
      });

      it('rejects every call after close', async () => {
        await store.put('a', '1');
        await store.close();
        await expect(store.get('a')).rejects.toThrow(/closed/);
        await expect(store.put('a', '2')).rejects.toThrow(/closed/);
        await expect(store.del('a')).rejects.toThrow(/closed/);
        await expect(store.batch([{ type: 'del', key: 'a' }])).rejects.toThrow(/closed/);
        await expect(collect({})).rejects.toThrow(/closed/);
        await expect(store.scanValues({})).rejects.toThrow(/closed/);
        await expect(store.close()).rejects.toThrow(/closed/);
      });

      it('ends an in-progress scan when the store closes', async () => {
        await putAll(['a', 'b', 'c']);
        const iterator = store.scan({})[Symbol.asyncIterator]();
        expect((await iterator.next()).value).toEqual(['a', 'v:a']);
        await store.close();
        await expect(iterator.next()).rejects.toThrow(/closed/);
      });
    });
  });
}

async function collectIterable<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Deterministic Fisher–Yates shuffle so failures reproduce. */
function shuffle<T>(items: T[]): void {
  // Park–Miller LCG; products stay below 2^53, so the sequence is exact.
  let seed = 12345;
  const next = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
