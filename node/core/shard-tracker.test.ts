import { describe, expect, it } from 'vitest';
import { ShardTracker } from './shard-tracker';

describe('ShardTracker', () => {
  it('counts only outcomes below the watermark, whatever the completion order', () => {
    const t = new ShardTracker(100, 105);
    t.complete(102, 'delivered');
    t.complete(101, 'skipped');
    expect(t.watermark).toBe(100);
    expect([t.delivered, t.skipped, t.dead]).toEqual([0, 0, 0]);
    t.complete(100, 'dead');
    expect(t.watermark).toBe(103);
    expect([t.delivered, t.skipped, t.dead]).toEqual([1, 1, 1]);
    t.complete(104, 'delivered');
    t.complete(103, 'delivered');
    expect(t.done).toBe(true);
    expect(t.delivered + t.skipped + t.dead).toBe(5);
  });

  it('keeps the first outcome of a sequence', () => {
    const t = new ShardTracker(0, 2);
    t.complete(0, 'delivered');
    t.complete(0, 'dead');
    t.complete(1, 'skipped');
    t.complete(1, 'delivered');
    expect([t.delivered, t.skipped, t.dead]).toEqual([1, 1, 0]);
  });

  it('forgets outcomes past a shrunk end', () => {
    const t = new ShardTracker(0, 10);
    t.complete(8, 'delivered');
    t.shrinkEnd(5);
    for (let s = 0; s < 5; s++) t.complete(s, 'delivered');
    expect(t.done).toBe(true);
    expect(t.delivered).toBe(5);
  });
});
