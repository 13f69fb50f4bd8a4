import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import { Scheduler, deadLetterKey, type BroadcastMeta } from './scheduler';
import { changeLifecycle, deadLetterStanding, recordDeadLetters, retryDeadLetters } from './broadcast-commands';

function running() {
  const s = new Scheduler({ shardsPerWeight: 1, splitSizeMin: 1, checkpointIntervalMs: 0, orderResendMs: 1000 }, new ManualClock());
  const meta: BroadcastMeta = {
    id: 'b1', clusterId: 'c', template: 't', options: { shardSize: 10, onlyReachable: false, priority: 0, notBeforeUnixMs: 0, rateLimitPerS: 0 },
    state: 'PENDING', total: 10, audienceId: 'b1', createdAtUnixMs: 0, finishedAtUnixMs: 0, requestId: '', nextShardId: 0, deadRetried: 0,
  };
  s.create(meta);
  s.nodeUp('n1', 1);
  s.tick();
  s.takeEffects();
  return { s, shard: s.shard('b1', 0)! };
}

const letter = (sequence: number, recipientId = `u${sequence}`) => ({ sequence, recipientId, reason: 'refused', attempts: 1 });

describe('recordDeadLetters', () => {
  it('writes one record per sequence for the current owner and epoch', () => {
    const { s, shard } = running();
    const result = recordDeadLetters(s, { broadcastId: 'b1', shardId: 0, epoch: shard.epoch, nodeKey: 'n1', deadLetters: [letter(2), letter(5)] });
    expect(result.ok && result.value.map((op) => op.key)).toEqual([deadLetterKey('b1', 2), deadLetterKey('b1', 5)]);
    expect(result.ok && JSON.parse((result.value[0] as { value: string }).value)).toMatchObject({ sequence: 2, shardId: 0, epoch: shard.epoch });
  });

  it('refuses a stale epoch, another node, a sequence outside the shard, an overlong id, writing nothing', () => {
    const { s, shard } = running();
    const base = { broadcastId: 'b1', shardId: 0, epoch: shard.epoch, nodeKey: 'n1' };
    expect(recordDeadLetters(s, { ...base, epoch: shard.epoch + 1, deadLetters: [letter(1)] })).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION' } });
    expect(recordDeadLetters(s, { ...base, nodeKey: 'n2', deadLetters: [letter(1)] })).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION' } });
    expect(recordDeadLetters(s, { ...base, deadLetters: [letter(1), letter(10)] })).toMatchObject({ ok: false, error: { code: 'OUT_OF_RANGE' } });
    expect(recordDeadLetters(s, { ...base, deadLetters: [letter(1, 'x'.repeat(257))] })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });
});

describe('retryDeadLetters', () => {
  it('refuses a cancelled broadcast, deleting nothing', () => {
    const { s } = running();
    expect(changeLifecycle(s, 'b1', 'cancel').ok).toBe(true);
    expect(retryDeadLetters(s, 'b1', [{ broadcastId: 'b1', sequence: 1, recipientId: 'u1', reason: 'r', attempts: 1 }])).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION' } });
  });

  it('hands the sequences back as shards and returns their deletes', () => {
    const { s } = running();
    const shard = s.shard('b1', 0)!;
    s.progress('n1', { broadcastId: 'b1', shardId: 0, epoch: shard.epoch, watermark: 10, delivered: 7, skipped: 0, dead: 3, done: true, stopped: false });
    const records = [3, 4, 8].map((sequence) => ({ broadcastId: 'b1', sequence, recipientId: `u${sequence}`, reason: 'refused', attempts: 1, shardId: 0, epoch: shard.epoch }));
    const result = retryDeadLetters(s, 'b1', records);
    expect(result.ok && result.value.ops).toEqual([{ type: 'del', key: deadLetterKey('b1', 3) }, { type: 'del', key: deadLetterKey('b1', 4) }, { type: 'del', key: deadLetterKey('b1', 8) }]);
    expect(s.shardsOf('b1').slice(1).map((x) => [x.start, x.end])).toEqual([[3, 5], [8, 9]]);
    expect(s.get('b1')!.deadRetried).toBe(3);
  });
});

describe('deadLetterStanding', () => {
  it('counted once past the watermark under the recording epoch, pending before, stale once the shard moved on below it', () => {
    const { s, shard } = running();
    const record = { broadcastId: 'b1', sequence: 4, recipientId: 'u4', reason: 'refused', attempts: 1, shardId: 0, epoch: shard.epoch };
    expect(deadLetterStanding(s, record)).toBe('pending');
    s.progress('n1', { broadcastId: 'b1', shardId: 0, epoch: shard.epoch, watermark: 5, delivered: 4, skipped: 0, dead: 1, done: false, stopped: false });
    expect(deadLetterStanding(s, record)).toBe('counted');
    const later = { ...record, sequence: 7 };
    expect(deadLetterStanding(s, later)).toBe('pending');
    // The owner dies before counting 7: the remainder [5, 10) is redone elsewhere; the record is void.
    s.nodeUp('n2', 1);
    s.nodeGone('n1');
    expect(deadLetterStanding(s, later)).toBe('stale');
    expect(deadLetterStanding(s, record)).toBe('counted');
    // Records from before shards and epochs were stored count as they always did.
    expect(deadLetterStanding(s, { broadcastId: 'b1', sequence: 7, recipientId: 'u7', reason: 'r', attempts: 1 })).toBe('counted');
  });

  it('a retry hands back the counted and leaves the pending and the stale alone', () => {
    const { s, shard } = running();
    s.progress('n1', { broadcastId: 'b1', shardId: 0, epoch: shard.epoch, watermark: 5, delivered: 4, skipped: 0, dead: 1, done: false, stopped: false });
    const at = (sequence: number, epoch = shard.epoch) => ({ broadcastId: 'b1', sequence, recipientId: `u${sequence}`, reason: 'refused', attempts: 1, shardId: 0, epoch });
    const result = retryDeadLetters(s, 'b1', [at(2), at(7), at(3, shard.epoch - 1)]);
    expect(result).toMatchObject({ ok: true, value: { retried: 1, voided: 1 } });
    expect(result.ok && result.value.ops.map((op) => op.key)).toEqual([deadLetterKey('b1', 2)]);
  });
});
