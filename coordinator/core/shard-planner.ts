/**
 * Shard planning, pure: cutting an audience's sequence space into ranges,
 * cutting a dead node's remainder into takeover units, and handing pending
 * shards to nodes in proportion to their capacity weight.
 *
 * Everything works on ranges, never on lists of recipients, so the cost of
 * planning and of takeover is independent of the audience size.
 */
import { assert } from '../../protocol/errors';

/** Recipient sequences [start, end): end is exclusive. */
export interface SequenceRange {
  start: number;
  end: number;
}

function assertRange(range: SequenceRange): void {
  assert(Number.isSafeInteger(range.start) && range.start >= 0, `range start must be an integer >= 0, got ${range.start}`);
  assert(Number.isSafeInteger(range.end) && range.end >= range.start, `range end must be an integer >= start, got [${range.start}, ${range.end})`);
}

function assertMinSize(minSize: number): void {
  assert(Number.isSafeInteger(minSize) && minSize >= 1, `minSize must be an integer >= 1, got ${minSize}`);
}

/** Contiguous ranges covering [0, total), each shardSize long except a shorter last one. */
export function planShards(total: number, shardSize: number): SequenceRange[] {
  assert(Number.isSafeInteger(total) && total >= 0, `total must be an integer >= 0, got ${total}`);
  assert(Number.isSafeInteger(shardSize) && shardSize >= 1, `shardSize must be an integer >= 1, got ${shardSize}`);
  const shards: SequenceRange[] = [];
  for (let start = 0; start < total; start += shardSize) {
    shards.push({ start, end: Math.min(total, start + shardSize) });
  }
  return shards;
}

/**
 * Cut a range into at most `parts` contiguous pieces, as equal as possible
 * (sizes differ by at most one, larger pieces first), none smaller than
 * minSize — fewer pieces when the range is too small for `parts` of them.
 * An empty range gives []; a non-empty range smaller than minSize gives one piece.
 */
export function splitRange(range: SequenceRange, parts: number, minSize: number): SequenceRange[] {
  assertRange(range);
  assert(Number.isSafeInteger(parts) && parts >= 1, `parts must be an integer >= 1, got ${parts}`);
  assertMinSize(minSize);
  const length = range.end - range.start;
  if (length === 0) return [];
  const pieces = Math.max(1, Math.min(parts, Math.floor(length / minSize)));
  const base = Math.floor(length / pieces);
  const larger = length % pieces;
  const result: SequenceRange[] = [];
  let start = range.start;
  for (let i = 0; i < pieces; i++) {
    const end = start + base + (i < larger ? 1 : 0);
    result.push({ start, end });
    start = end;
  }
  assert(start === range.end, 'splitRange covers the range exactly');
  return result;
}

/** One piece of a weighted split and the index of the weight it belongs to. */
export interface WeightedPiece {
  index: number;
  range: SequenceRange;
}

/**
 * Like splitRangeWeighted, but says which weight each piece belongs to: when
 * small shares are merged away there are fewer pieces than weights, and the
 * caller still needs to know whose piece is whose.
 *
 * Sizes are apportioned by largest remainder (ties to the lower index). A
 * share under minSize is carried into the next share (the last one into the
 * previous kept piece), so pieces stay contiguous and in weight order; a
 * piece absorbing a neighbour keeps its own index. A weight <= 0 counts as 1.
 */
export function splitRangeWeightedIndexed(range: SequenceRange, weights: readonly number[], minSize: number): WeightedPiece[] {
  assertRange(range);
  assertMinSize(minSize);
  assert(weights.length >= 1, 'splitRangeWeighted needs at least one weight');
  for (const weight of weights) assert(Number.isFinite(weight), `weights must be finite, got ${weight}`);
  const length = range.end - range.start;
  if (length === 0) return [];

  const effective = weights.map((weight) => (weight > 0 ? weight : 1));
  const weightSum = effective.reduce((sum, weight) => sum + weight, 0);
  const sizes = new Array<number>(effective.length);
  const fractions = new Array<number>(effective.length);
  let assigned = 0;
  for (let i = 0; i < effective.length; i++) {
    const ideal = (length * effective[i]!) / weightSum;
    const size = Math.min(length - assigned, Math.floor(ideal));
    sizes[i] = size;
    fractions[i] = ideal - size;
    assigned += size;
  }
  // Floors leave fewer than weights.length sequences over; rounding noise is
  // absorbed by cycling, so the total is exact whatever the float error.
  const byFraction = effective.map((_, i) => i).sort((a, b) => fractions[b]! - fractions[a]! || a - b);
  for (let k = 0; assigned < length; k++) {
    const i = byFraction[k % byFraction.length]!;
    sizes[i] = sizes[i]! + 1;
    assigned += 1;
  }

  const pieces: WeightedPiece[] = [];
  let start = range.start;
  let carry = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]! + carry;
    if (size < minSize) {
      carry = size;
      continue;
    }
    pieces.push({ index: i, range: { start, end: start + size } });
    start += size;
    carry = 0;
  }
  if (carry > 0) {
    const last = pieces[pieces.length - 1];
    if (last) {
      last.range.end += carry;
    } else {
      // The whole range is under minSize: one piece, for the heaviest weight.
      let heaviest = 0;
      for (let i = 1; i < effective.length; i++) if (effective[i]! > effective[heaviest]!) heaviest = i;
      pieces.push({ index: heaviest, range: { start: range.start, end: range.end } });
    }
  }
  assert(pieces.length <= weights.length, 'no more pieces than weights');
  assert(pieces[pieces.length - 1]!.range.end === range.end, 'splitRangeWeighted covers the range exactly');
  return pieces;
}

/**
 * Cut a range into contiguous pieces with sizes proportional to `weights`, in
 * weight order; shares under minSize are merged into a neighbour, so at most
 * weights.length pieces come back. Use splitRangeWeightedIndexed to know which
 * weight each piece went to.
 */
export function splitRangeWeighted(range: SequenceRange, weights: readonly number[], minSize: number): SequenceRange[] {
  return splitRangeWeightedIndexed(range, weights, minSize).map((piece) => piece.range);
}

export interface NodeSlot {
  key: string;
  /** Capacity weight; <= 0 counts as 1. */
  weight: number;
  /** Shards the node holds already. */
  assigned: number;
}

interface HeapEntry {
  key: string;
  weight: number;
  assigned: number;
  capacity: number;
}

/** a before b: lower load (assigned / weight, compared without division), then lower key. */
function lighter(a: HeapEntry, b: HeapEntry): boolean {
  const left = a.assigned * b.weight;
  const right = b.assigned * a.weight;
  if (left !== right) return left < right;
  return a.key < b.key;
}

function siftDown(heap: HeapEntry[], index: number): void {
  const size = heap.length;
  for (;;) {
    const left = 2 * index + 1;
    const right = left + 1;
    let best = index;
    if (left < size && lighter(heap[left]!, heap[best]!)) best = left;
    if (right < size && lighter(heap[right]!, heap[best]!)) best = right;
    if (best === index) return;
    const held = heap[index]!;
    heap[index] = heap[best]!;
    heap[best] = held;
    index = best;
  }
}

/**
 * Hand pending items (already in priority order) to nodes. Each next item goes
 * to the node with the lowest assigned / weight that still has room
 * (assigned < shardsPerWeight × weight), ties broken by key. Stops when no node
 * has room. The input slots are not modified.
 */
export function assignShards<T>(
  pending: readonly T[],
  nodes: readonly NodeSlot[],
  shardsPerWeight: number,
): Array<{ item: T; nodeKey: string }> {
  assert(Number.isFinite(shardsPerWeight) && shardsPerWeight > 0, `shardsPerWeight must be > 0, got ${shardsPerWeight}`);
  const seen = new Set<string>();
  const heap: HeapEntry[] = [];
  for (const node of nodes) {
    assert(!seen.has(node.key), `duplicate node key ${node.key}`);
    seen.add(node.key);
    assert(Number.isFinite(node.weight), `node ${node.key} weight must be finite`);
    assert(Number.isSafeInteger(node.assigned) && node.assigned >= 0, `node ${node.key} assigned must be an integer >= 0`);
    const weight = node.weight > 0 ? node.weight : 1;
    const entry: HeapEntry = { key: node.key, weight, assigned: node.assigned, capacity: shardsPerWeight * weight };
    if (entry.assigned < entry.capacity) heap.push(entry);
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i);

  const result: Array<{ item: T; nodeKey: string }> = [];
  for (const item of pending) {
    const top = heap[0];
    if (!top) break;
    result.push({ item, nodeKey: top.key });
    top.assigned += 1;
    if (top.assigned >= top.capacity) {
      const last = heap.pop()!;
      if (heap.length === 0) continue;
      heap[0] = last;
    }
    siftDown(heap, 0);
  }
  return result;
}
