import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock';
import { createLogger } from '../platform/log';
import { MemoryStore } from '../platform/store/memory-store';
import type { BatchOp, KvStore } from '../platform/store/store';
import { audienceKey, deadLetterKey, KEY_REQUEST, Scheduler, type BroadcastMeta } from './core/scheduler';
import { idCreatedAtUnixMs, KEY_UPLOAD, Retention, type RetentionLookup } from './retention';

const log = createLogger('test', 'silent');
const HOUR = 3_600_000;
const NOW = 1_800_000_000_000;

/** An id as broadcast-service's newId() makes it, created at `wallMs`. */
function makeId(prefix: 'bc-' | 'up-', wallMs: number, tail = 1): string {
  return `${prefix}${wallMs.toString(36).padStart(9, '0')}${String(tail).padStart(10, '0')}`;
}

/** A MemoryStore that records the size of every batch written. */
function recordingStore(): { store: KvStore; batches: number[] } {
  const inner = new MemoryStore();
  const batches: number[] = [];
  const store: KvStore = {
    get: (key) => inner.get(key),
    put: (key, value) => inner.put(key, value),
    del: (key) => inner.del(key),
    batch: (ops) => {
      batches.push(ops.length);
      return inner.batch(ops);
    },
    scan: (options) => inner.scan(options),
    scanValues: (options) => inner.scanValues(options),
    close: () => inner.close(),
  };
  return { store, batches };
}

async function keys(store: KvStore): Promise<string[]> {
  const out: string[] = [];
  for await (const [key] of store.scan({})) out.push(key);
  return out;
}

async function putAudience(store: KvStore, audienceId: string, count: number): Promise<void> {
  const ops: BatchOp[] = [];
  for (let i = 0; i < count; i++) ops.push({ type: 'put', key: audienceKey(audienceId, i), value: JSON.stringify({ id: `user-${i}`, vars: [] }) });
  await store.batch(ops);
}

async function putDeadLetters(store: KvStore, broadcastId: string, sequences: number[]): Promise<void> {
  await store.batch(sequences.map((sequence) => ({ type: 'put', key: deadLetterKey(broadcastId, sequence), value: JSON.stringify({ broadcastId, sequence }) })));
}

/** A lookup with these broadcasts retained (and their audiences in use). */
function lookupOf(retained: Array<Pick<BroadcastMeta, 'id' | 'audienceId'>>): RetentionLookup {
  return {
    get: (id) => (retained.some((b) => b.id === id) ? ({ id } as BroadcastMeta) : undefined),
    audienceInUse: (audienceId) => retained.some((b) => b.id === audienceId || b.audienceId === audienceId),
  };
}

describe('Retention.purge', () => {
  it('deletes a purged broadcast\'s own audience and dead letters in chunks (its request id went with its meta), and nothing of its neighbours', async () => {
    const { store, batches } = recordingStore();
    const gone = makeId('bc-', NOW - 10 * HOUR, 1);
    // Same prefix plus a character: must survive a prefix delete of `gone`.
    const neighbour = `${gone}0`.slice(0, -1) + '9';
    const upload = makeId('up-', NOW - 20 * HOUR);
    await putAudience(store, gone, 25);
    await putAudience(store, neighbour, 3);
    await putAudience(store, upload, 4);
    await putDeadLetters(store, gone, [1, 5, 9]);
    await putDeadLetters(store, neighbour, [2]);
    await store.put(KEY_REQUEST + 'req-other', neighbour);
    batches.length = 0;

    const retention = new Retention(store, log, lookupOf([{ id: neighbour, audienceId: neighbour }]), { retentionMs: HOUR, chunkKeys: 10 });
    const deleted = await retention.purge([{ broadcastId: gone, clusterId: 'c', audienceId: gone, requestId: 'req-gone', finishedAtUnixMs: NOW - 2 * HOUR }]);

    expect(deleted).toEqual({ audienceKeys: 25, deadLetters: 3, requestIds: 0, uploads: 0 });
    expect(await keys(store)).toEqual([
      ...[0, 1, 2].map((i) => audienceKey(neighbour, i)),
      ...[0, 1, 2, 3].map((i) => audienceKey(upload, i)),
      deadLetterKey(neighbour, 2),
      KEY_REQUEST + 'req-other',
    ]);
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
    expect(batches.filter((n) => n === 10)).toHaveLength(2); // 25 audience keys: 10 + 10 + 5
    expect(retention.pending).toBe(0);
  });

  it('leaves an uploaded audience (shared by broadcasts) and a request id that names a newer broadcast', async () => {
    const store = new MemoryStore();
    const gone = makeId('bc-', NOW - 10 * HOUR);
    const newer = makeId('bc-', NOW - HOUR);
    const upload = makeId('up-', NOW - 20 * HOUR);
    await putAudience(store, upload, 5);
    await store.put(KEY_REQUEST + 'req', newer); // the request was retried after `gone` was purged
    const retention = new Retention(store, log, lookupOf([]), { retentionMs: HOUR });
    const deleted = await retention.purge([{ broadcastId: gone, clusterId: 'c', audienceId: upload, requestId: 'req', finishedAtUnixMs: 0 }]);
    expect(deleted).toEqual({ audienceKeys: 0, deadLetters: 0, requestIds: 0, uploads: 0 });
    expect(await store.get(KEY_REQUEST + 'req')).toBe(newer);
    expect((await keys(store)).filter((k) => k.startsWith('a/'))).toHaveLength(5);
  });

  it('gives the event loop a turn between chunks', async () => {
    const store = new MemoryStore();
    const gone = makeId('bc-', NOW - 10 * HOUR);
    await putAudience(store, gone, 100);
    const retention = new Retention(store, log, lookupOf([]), { retentionMs: HOUR, chunkKeys: 10 });
    let turns = 0;
    let running = true;
    const spin = () => {
      if (!running) return;
      turns += 1;
      setImmediate(spin);
    };
    setImmediate(spin);
    await retention.purge([{ broadcastId: gone, clusterId: 'c', audienceId: gone, requestId: '', finishedAtUnixMs: 0 }]);
    running = false;
    // Ten chunks, a yield after each full one: other callbacks ran meanwhile.
    expect(turns).toBeGreaterThanOrEqual(9);
    expect(await keys(store)).toEqual([]);
  });

  it('runs jobs one at a time in order, and close() stops between chunks', async () => {
    const store = new MemoryStore();
    const a = makeId('bc-', NOW - 10 * HOUR, 1);
    const b = makeId('bc-', NOW - 10 * HOUR, 2);
    await putAudience(store, a, 50);
    await putAudience(store, b, 50);
    const retention = new Retention(store, log, lookupOf([]), { retentionMs: HOUR, chunkKeys: 10 });
    const first = retention.purge([{ broadcastId: a, clusterId: 'c', audienceId: a, requestId: '', finishedAtUnixMs: 0 }]);
    const second = retention.purge([{ broadcastId: b, clusterId: 'c', audienceId: b, requestId: '', finishedAtUnixMs: 0 }]);
    expect(retention.pending).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    await retention.close();
    expect((await first).audienceKeys).toBeGreaterThan(0);
    expect((await first).audienceKeys).toBeLessThan(50);
    expect((await second).audienceKeys).toBe(0);
    expect(retention.pending).toBe(0);
  });
});

describe('Retention.expireUploads', () => {
  it('deletes uploads older than the retention that no retained broadcast uses, record first, then the audience', async () => {
    const store = new MemoryStore();
    const oldUnused = makeId('up-', NOW - 3 * HOUR, 1);
    const oldUsed = makeId('up-', NOW - 3 * HOUR, 2);
    const young = makeId('up-', NOW - HOUR + 1, 3);
    const exactlyDue = makeId('up-', NOW - HOUR, 4);
    for (const [id, createdAtUnixMs] of [[oldUnused, NOW - 3 * HOUR], [oldUsed, NOW - 3 * HOUR], [young, NOW - HOUR + 1], [exactlyDue, NOW - HOUR]] as const) {
      await store.put(KEY_UPLOAD + id, JSON.stringify({ uploadId: id, recipients: 12, createdAtUnixMs }));
      await putAudience(store, id, 12);
    }
    const user = makeId('bc-', NOW - 2 * HOUR);
    const retention = new Retention(store, log, lookupOf([{ id: user, audienceId: oldUsed }]), { retentionMs: HOUR, chunkKeys: 5 });
    const deleted = await retention.expireUploads(NOW);
    expect(deleted).toEqual({ audienceKeys: 24, deadLetters: 0, requestIds: 0, uploads: 2 });
    const left = await keys(store);
    for (const id of [oldUnused, exactlyDue]) expect(left.some((k) => k.includes(id))).toBe(false);
    for (const id of [oldUsed, young]) {
      expect(left).toContain(KEY_UPLOAD + id);
      expect(left.filter((k) => k.startsWith(`a/${id}/`))).toHaveLength(12);
    }
  });

  it('pages through more uploads than one chunk', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 23; i++) {
      const id = makeId('up-', NOW - 3 * HOUR, i);
      await store.put(KEY_UPLOAD + id, JSON.stringify({ uploadId: id, recipients: 1, createdAtUnixMs: NOW - 3 * HOUR }));
      await putAudience(store, id, 1);
    }
    const retention = new Retention(store, log, lookupOf([]), { retentionMs: HOUR, chunkKeys: 5 });
    expect((await retention.expireUploads(NOW)).uploads).toBe(23);
    expect(await keys(store)).toEqual([]);
  });
});

describe('Retention.sweepOrphans', () => {
  it('deletes old data of broadcasts and uploads that are gone, and keeps young, retained and unrecognised ids', async () => {
    const store = new MemoryStore();
    const orphan = makeId('bc-', NOW - 5 * HOUR, 1);
    const retained = makeId('bc-', NOW - 5 * HOUR, 2);
    const young = makeId('bc-', NOW - HOUR + 1, 3); // being created right now, perhaps
    const halfUpload = makeId('up-', NOW - 5 * HOUR, 4); // died before up/ was written
    const upload = makeId('up-', NOW - 5 * HOUR, 5); // complete: expireUploads' business
    for (const id of [orphan, retained, young, halfUpload, upload, 'legacy-id']) await putAudience(store, id, 3);
    for (const id of [orphan, retained, young]) await putDeadLetters(store, id, [0, 1]);
    await store.put(KEY_UPLOAD + upload, JSON.stringify({ uploadId: upload, recipients: 3, createdAtUnixMs: NOW - 5 * HOUR }));
    await store.put(KEY_REQUEST + 'r-orphan', orphan);
    await store.put(KEY_REQUEST + 'r-retained', retained);
    await store.put(KEY_REQUEST + 'r-young', young);

    const retention = new Retention(store, log, lookupOf([{ id: retained, audienceId: retained }]), { retentionMs: HOUR, chunkKeys: 2 });
    const deleted = await retention.sweepOrphans(NOW);
    expect(deleted).toEqual({ audienceKeys: 6, deadLetters: 2, requestIds: 1, uploads: 0 });
    const left = await keys(store);
    for (const id of [orphan, halfUpload]) expect(left.some((k) => k.includes(id))).toBe(false);
    for (const id of [retained, young, upload, 'legacy-id']) expect(left.filter((k) => k.startsWith(`a/${id}/`))).toHaveLength(3);
    expect(left.filter((k) => k.startsWith('dl/'))).toHaveLength(4);
    expect(left.filter((k) => k.startsWith('r/')).sort()).toEqual([KEY_REQUEST + 'r-retained', KEY_REQUEST + 'r-young']);
  });

  it('reads creation times from ids as newId() makes them, and nothing from other ids', () => {
    expect(idCreatedAtUnixMs(makeId('bc-', NOW))).toBe(NOW);
    expect(idCreatedAtUnixMs(makeId('up-', 12345))).toBe(12345);
    for (const id of ['b1', 'bc-', 'legacy-id', `xx-${NOW.toString(36)}0000000000`]) expect(idCreatedAtUnixMs(id)).toBeUndefined();
  });
});

describe('Retention with the scheduler', () => {
  it('after the scheduler purges a finished broadcast and the shell deletes its data, the store holds only what is retained', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(0, NOW);
    const scheduler = new Scheduler({ shardsPerWeight: 2, splitSizeMin: 10, checkpointIntervalMs: 200, orderResendMs: 2000, retentionMs: HOUR }, clock);
    const apply = async () => {
      const fx = scheduler.takeEffects();
      await store.batch(fx.persist);
      return fx;
    };
    const retention = new Retention(store, log, scheduler, { retentionMs: HOUR });
    scheduler.nodeUp('n1', 10);
    const run = async (id: string, requestId: string) => {
      await putAudience(store, id, 20);
      await store.put(KEY_REQUEST + requestId, id);
      scheduler.create({ id, clusterId: 'c', template: 't', options: { shardSize: 10, onlyReachable: false, priority: 0, notBeforeUnixMs: 0, rateLimitPerS: 0 }, state: 'PENDING', total: 20, audienceId: id, createdAtUnixMs: clock.wallMs(), finishedAtUnixMs: 0, requestId, nextShardId: 0, deadRetried: 0 });
      scheduler.tick();
      for (const shard of scheduler.shardsOf(id)) {
        expect(scheduler.progress('n1', { broadcastId: id, shardId: shard.shardId, epoch: shard.epoch, watermark: shard.end, delivered: 9, skipped: 0, dead: 1, done: true, stopped: false })).toBe('applied');
        await putDeadLetters(store, id, [shard.start]);
      }
      expect(scheduler.get(id)!.state).toBe('COMPLETED');
      return apply();
    };
    const first = makeId('bc-', clock.wallMs(), 1);
    await run(first, 'req-1');
    const afterOne = (await keys(store)).length;
    expect(afterOne).toBe(20 + 2 + 1 + 1 + 2); // audience, dead letters, request id, meta, shards

    clock.advance(HOUR);
    const second = makeId('bc-', clock.wallMs(), 2);
    const fx = await run(second, 'req-2'); // its tick purged the first: meta and shards are gone with that write
    expect(fx.purged.map((p) => p.broadcastId)).toEqual([first]);
    expect((await keys(store)).filter((k) => k.includes(first)).sort()).toEqual([
      ...Array.from({ length: 20 }, (_, i) => audienceKey(first, i)),
      deadLetterKey(first, 0),
      deadLetterKey(first, 10),
    ].sort());
    await retention.purge(fx.purged);
    const left = await keys(store);
    expect(left.filter((k) => k.includes(first) || k === KEY_REQUEST + 'req-1')).toEqual([]);
    // One broadcast's worth of keys, as after the first: the store does not grow with the broadcasts that went.
    expect(left).toHaveLength(afterOne);
    expect(scheduler.get(first)).toBeUndefined();
    expect(scheduler.purgedReason(first)).toContain('after the retention of 1 h');
  });
});
