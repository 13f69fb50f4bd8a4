import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock';
import { Scheduler, deadLetterKey, type BroadcastMeta } from './scheduler';
import { changeLifecycle, recordDeadLetters, retryDeadLetters } from './broadcast-commands';

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
    expect(retryDeadLetters(s, 'b1', [1, 2])).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION' } });
  });

  it('hands the sequences back as shards and returns their deletes', () => {
    const { s } = running();
    const result = retryDeadLetters(s, 'b1', [3, 4, 8]);
    expect(result.ok && result.value.ops).toEqual([{ type: 'del', key: deadLetterKey('b1', 3) }, { type: 'del', key: deadLetterKey('b1', 4) }, { type: 'del', key: deadLetterKey('b1', 8) }]);
    expect(s.shardsOf('b1').slice(1).map((x) => [x.start, x.end])).toEqual([[3, 5], [8, 9]]);
    expect(s.get('b1')!.deadRetried).toBe(3);
  });
});
