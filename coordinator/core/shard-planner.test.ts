import { describe, expect, it } from 'vitest';
import {
  assignShards,
  planShards,
  splitRange,
  splitRangeWeighted,
  splitRangeWeightedIndexed,
  type NodeSlot,
  type SequenceRange,
} from './shard-planner';

/** mulberry32: a small seeded PRNG, so every "random" case replays exactly. */
function seededRandom(seed: number): (maxExclusive: number) => number {
  let state = seed >>> 0;
  return (maxExclusive) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * maxExclusive);
  };
}

/** Why pieces fail to cover the range exactly (contiguous, non-empty, no overlap), or '' when they do. */
function coverProblem(pieces: SequenceRange[], range: SequenceRange): string {
  if (range.end === range.start) return pieces.length === 0 ? '' : 'pieces for an empty range';
  if (pieces.length === 0) return 'no pieces';
  if (pieces[0]!.start !== range.start) return `first piece starts at ${pieces[0]!.start}`;
  let sum = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (piece.end <= piece.start) return `piece ${i} is empty`;
    if (i > 0 && piece.start !== pieces[i - 1]!.end) return `gap or overlap before piece ${i}`;
    sum += piece.end - piece.start;
  }
  if (pieces[pieces.length - 1]!.end !== range.end) return `last piece ends at ${pieces[pieces.length - 1]!.end}`;
  return sum === range.end - range.start ? '' : `sizes sum to ${sum}`;
}

function expectExactCover(pieces: SequenceRange[], range: SequenceRange): void {
  expect(coverProblem(pieces, range)).toBe('');
}

const sizeOf = (range: SequenceRange): number => range.end - range.start;

describe('planShards', () => {
  it('cuts the audience into full shards and a shorter last one', () => {
    expect(planShards(10, 4)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
      { start: 8, end: 10 },
    ]);
    expect(planShards(8, 4)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
    ]);
    expect(planShards(3, 10)).toEqual([{ start: 0, end: 3 }]);
  });

  it('plans nothing for an empty audience', () => {
    expect(planShards(0, 100)).toEqual([]);
  });

  it('rejects bad arguments as bugs', () => {
    expect(() => planShards(-1, 10)).toThrow(/assertion failed/);
    expect(() => planShards(1.5, 10)).toThrow(/assertion failed/);
    expect(() => planShards(10, 0)).toThrow(/assertion failed/);
  });

  it('covers [0, total) exactly over many seeded inputs', () => {
    const random = seededRandom(1);
    for (let round = 0; round < 500; round++) {
      const total = random(100_000);
      const shardSize = 1 + random(5_000);
      const shards = planShards(total, shardSize);
      expectExactCover(shards, { start: 0, end: total });
      expect(shards.slice(0, -1).every((shard) => sizeOf(shard) === shardSize)).toBe(true);
    }
  });
});

describe('splitRange', () => {
  it('cuts a takeover remainder into one unit per healthy node, as equal as possible', () => {
    expect(splitRange({ start: 100, end: 110 }, 3, 1)).toEqual([
      { start: 100, end: 104 },
      { start: 104, end: 107 },
      { start: 107, end: 110 },
    ]);
  });

  it('makes fewer pieces rather than pieces under minSize', () => {
    expect(splitRange({ start: 0, end: 10 }, 4, 3)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 7 },
      { start: 7, end: 10 },
    ]);
  });

  it('gives one piece for a range smaller than minSize, and none for an empty range', () => {
    expect(splitRange({ start: 5, end: 7 }, 4, 100)).toEqual([{ start: 5, end: 7 }]);
    expect(splitRange({ start: 5, end: 5 }, 4, 1)).toEqual([]);
  });

  it('gives one piece to a single node', () => {
    expect(splitRange({ start: 3, end: 1_000_003 }, 1, 1)).toEqual([{ start: 3, end: 1_000_003 }]);
  });

  it('handles huge ranges without listing them', () => {
    const pieces = splitRange({ start: 0, end: 1e12 }, 7, 1000);
    expect(pieces).toHaveLength(7);
    expectExactCover(pieces, { start: 0, end: 1e12 });
  });

  it('covers exactly, respects parts and minSize, over many seeded inputs', () => {
    const random = seededRandom(2);
    for (let round = 0; round < 1000; round++) {
      const start = random(1_000_000);
      const range = { start, end: start + random(round % 2 === 0 ? 50 : 100_000) };
      const parts = 1 + random(40);
      const minSize = 1 + random(round % 3 === 0 ? 5 : 2_000);
      const pieces = splitRange(range, parts, minSize);
      expectExactCover(pieces, range);
      expect(pieces.length).toBeLessThanOrEqual(parts);
      if (pieces.length > 1) for (const piece of pieces) expect(sizeOf(piece)).toBeGreaterThanOrEqual(minSize);
      const sizes = pieces.map(sizeOf);
      if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe('splitRangeWeighted', () => {
  it('sizes pieces in proportion to weights, in weight order', () => {
    expect(splitRangeWeighted({ start: 0, end: 400 }, [1, 2, 1], 1)).toEqual([
      { start: 0, end: 100 },
      { start: 100, end: 300 },
      { start: 300, end: 400 },
    ]);
  });

  it('apportions leftovers by largest remainder', () => {
    expect(splitRangeWeighted({ start: 0, end: 10 }, [1, 1, 1], 1).map(sizeOf)).toEqual([4, 3, 3]);
  });

  it('merges shares under minSize into a neighbour and says whose piece is whose', () => {
    // Shares 48/5/47: the small middle share is carried into the next piece.
    expect(splitRangeWeightedIndexed({ start: 0, end: 100 }, [10, 1, 10], 20)).toEqual([
      { index: 0, range: { start: 0, end: 48 } },
      { index: 2, range: { start: 48, end: 100 } },
    ]);
    // A small last share goes to the piece before it.
    expect(splitRangeWeightedIndexed({ start: 0, end: 100 }, [10, 10, 1], 20)).toEqual([
      { index: 0, range: { start: 0, end: 48 } },
      { index: 1, range: { start: 48, end: 100 } },
    ]);
  });

  it('gives a too-small range to the heaviest weight as one piece, and nothing for an empty range', () => {
    expect(splitRangeWeightedIndexed({ start: 0, end: 5 }, [1, 3, 2], 10)).toEqual([{ index: 1, range: { start: 0, end: 5 } }]);
    expect(splitRangeWeighted({ start: 9, end: 9 }, [1, 3], 1)).toEqual([]);
  });

  it('counts a weight <= 0 as 1', () => {
    expect(splitRangeWeighted({ start: 0, end: 30 }, [0, 2, -5], 1).map(sizeOf)).toEqual([8, 15, 7]);
  });

  it('covers exactly and never returns more pieces than weights, over many seeded inputs', () => {
    const random = seededRandom(3);
    for (let round = 0; round < 1000; round++) {
      const start = random(1_000_000);
      const range = { start, end: start + random(round % 2 === 0 ? 60 : 1_000_000) };
      const weights = Array.from({ length: 1 + random(12) }, () => random(20));
      const minSize = 1 + random(round % 3 === 0 ? 5 : 5_000);
      const pieces = splitRangeWeightedIndexed(range, weights, minSize);
      expectExactCover(
        pieces.map((piece) => piece.range),
        range,
      );
      expect(pieces.length).toBeLessThanOrEqual(weights.length);
      for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.index).toBeGreaterThan(pieces[i - 1]!.index);
      if (pieces.length > 1) for (const piece of pieces) expect(sizeOf(piece.range)).toBeGreaterThanOrEqual(minSize);
    }
  });
});

describe('assignShards', () => {
  const items = (count: number): number[] => Array.from({ length: count }, (_, i) => i);
  const countByNode = (assignments: Array<{ nodeKey: string }>): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const { nodeKey } of assignments) counts[nodeKey] = (counts[nodeKey] ?? 0) + 1;
    return counts;
  };

  it('gives a weight-2 node twice the shards of a weight-1 node', () => {
    const nodes: NodeSlot[] = [
      { key: 'a', weight: 1, assigned: 0 },
      { key: 'b', weight: 2, assigned: 0 },
    ];
    const assignments = assignShards(items(30), nodes, 100);
    expect(assignments).toHaveLength(30);
    expect(countByNode(assignments)).toEqual({ a: 10, b: 20 });
  });

  it('keeps the priority order of items and breaks ties by key', () => {
    const nodes: NodeSlot[] = [
      { key: 'b', weight: 1, assigned: 0 },
      { key: 'a', weight: 1, assigned: 0 },
    ];
    expect(assignShards(['x', 'y', 'z'], nodes, 10)).toEqual([
      { item: 'x', nodeKey: 'a' },
      { item: 'y', nodeKey: 'b' },
      { item: 'z', nodeKey: 'a' },
    ]);
  });

  it('fills the least loaded node first, counting what it already holds, without touching the input', () => {
    const nodes: NodeSlot[] = [
      { key: 'busy', weight: 1, assigned: 3 },
      { key: 'idle', weight: 1, assigned: 0 },
    ];
    const assignments = assignShards(items(4), nodes, 10);
    expect(assignments.slice(0, 3).map((a) => a.nodeKey)).toEqual(['idle', 'idle', 'idle']);
    expect(countByNode(assignments)).toEqual({ busy: 1, idle: 3 });
    expect(nodes.map((node) => node.assigned)).toEqual([3, 0]);
  });

  it('stops when no node has room', () => {
    const nodes: NodeSlot[] = [
      { key: 'a', weight: 1, assigned: 1 },
      { key: 'b', weight: 2, assigned: 0 },
    ];
    const assignments = assignShards(items(100), nodes, 2);
    expect(countByNode(assignments)).toEqual({ a: 1, b: 4 });
    expect(assignments.map((a) => a.item)).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives everything to a single node up to its room', () => {
    const assignments = assignShards(items(5), [{ key: 'only', weight: 3, assigned: 0 }], 1);
    expect(assignments.map((a) => a.nodeKey)).toEqual(['only', 'only', 'only']);
  });

  it('assigns nothing without nodes or without items', () => {
    expect(assignShards(items(5), [], 4)).toEqual([]);
    expect(assignShards([], [{ key: 'a', weight: 1, assigned: 0 }], 4)).toEqual([]);
  });

  it('counts a weight <= 0 as 1', () => {
    const nodes: NodeSlot[] = [
      { key: 'a', weight: 0, assigned: 0 },
      { key: 'b', weight: -3, assigned: 0 },
    ];
    expect(countByNode(assignShards(items(10), nodes, 2))).toEqual({ a: 2, b: 2 });
  });

  it('stays proportional and within room over many seeded inputs', () => {
    const random = seededRandom(4);
    for (let round = 0; round < 200; round++) {
      const nodes: NodeSlot[] = Array.from({ length: 1 + random(20) }, (_, i) => ({
        key: `n${i}`,
        weight: 1 + random(5),
        assigned: random(3),
      }));
      const shardsPerWeight = 3 + random(10);
      const pending = items(random(400));
      const assignments = assignShards(pending, nodes, shardsPerWeight);
      const room = nodes.reduce((sum, node) => sum + node.weight * shardsPerWeight - node.assigned, 0);
      expect(assignments).toHaveLength(Math.min(pending.length, room));
      expect(assignments.map((a) => a.item)).toEqual(pending.slice(0, assignments.length));
      const counts = countByNode(assignments);
      const total = (node: NodeSlot): number => node.assigned + (counts[node.key] ?? 0);
      for (const node of nodes) expect(total(node)).toBeLessThanOrEqual(node.weight * shardsPerWeight);
      // Greedy lowest load: when a node took its last shard its load was no
      // higher than that of any node that still has room at the end.
      for (const taker of nodes) {
        if ((counts[taker.key] ?? 0) === 0) continue;
        for (const other of nodes) {
          if (total(other) >= other.weight * shardsPerWeight) continue;
          expect((total(taker) - 1) * other.weight).toBeLessThanOrEqual(total(other) * taker.weight);
        }
      }
    }
  });
});
