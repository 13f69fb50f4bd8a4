/**
 * The invariant checkers of the simulator (the five invariants of the brief).
 * Components report what they do as it happens; violations are collected
 * with the simulated time so a failing seed explains itself.
 */
import type { BatchOp } from '../../platform/store/store';
import type { MembershipEvent } from '../../coordinator/core/registry';
import type { ShardOrderDomain, Shard } from '../../coordinator/core/scheduler';
import { KEY_SHARD } from '../../coordinator/core/scheduler';
import type { AgentEvent } from '../../node/core/agent';

export interface Observer {
  onOrder(nodeKey: string, order: ShardOrderDomain, atMs: number): void;
  onEvents(events: readonly MembershipEvent[], atMs: number): void;
  onTakeover(nodeKey: string, decidedAtMs: number, sentAtMs: number): void;
  /** A shard was cut at `cut`: from then on its orders reach only below it. */
  onSplit(broadcastId: string, shardId: number, cut: number): void;
  onAttempt(nodeKey: string, broadcastId: string, shardId: number, epoch: number, sequences: readonly number[], atMs: number): void;
  onDurable(ops: readonly BatchOp[]): void;
  onAgentEvent(nodeKey: string, event: AgentEvent, atMs: number): void;
  /** A relay's link to the coordinator ended: its leaves get a grace period, which delays detection. */
  onRelayLinkLost(atMs: number): void;
  /** The coordinator refused progress reports as impossible: honest nodes never send one. */
  onProgressRefused(count: number): void;
}

export type InvariantName = 'nothing-lost' | 'one-owner' | 'bounded-redelivery' | 'progress' | 'no-false-down' | 'consistent-progress';

export interface Violation {
  invariant: InvariantName;
  atMs: number;
  detail: string;
}

interface OrderRecord {
  nodeKey: string;
  shardId: number;
  epoch: number;
  start: number;
  end: number;
  atMs: number;
}

/** Sorted, merged [start, end) intervals. */
class IntervalSet {
  private starts: number[] = [];
  private ends: number[] = [];
  add(start: number, end: number): void {
    if (end <= start) return;
    const merged: Array<[number, number]> = [];
    let s = start;
    let e = end;
    for (let i = 0; i < this.starts.length; i++) {
      const a = this.starts[i]!;
      const b = this.ends[i]!;
      if (b < s || a > e) merged.push([a, b]);
      else {
        s = Math.min(s, a);
        e = Math.max(e, b);
      }
    }
    merged.push([s, e]);
    merged.sort((x, y) => x[0] - y[0]);
    this.starts = merged.map((m) => m[0]);
    this.ends = merged.map((m) => m[1]);
  }
  has(x: number): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! > x) hi = mid - 1;
      else if (this.ends[mid]! <= x) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

export interface CheckerLimits {
  /** Orders must follow a takeover decision within this long (persistence only). */
  reassignMaxMs: number;
  /** A DOWN with no fault touching the node in this window before it is false. */
  falseDownWindowMs: number;
  /** A crashed node must be DOWN within this long, when nothing else interferes. */
  detectMaxMs: number;
}

export class Checker implements Observer {
  readonly violations: Violation[] = [];
  private readonly orders = new Map<string, OrderRecord[]>();
  private readonly final = new Map<string, IntervalSet>();
  /** Durable shard records by broadcast and shard id (their latest range and watermark). */
  private readonly durableShards = new Map<string, Map<number, { start: number; end: number; watermark: number }>>();
  /** broadcast#shard → lowest cut so far: an order's range ends there, whatever the order said. */
  private readonly cuts = new Map<string, number>();
  /** When each process was last crashed, paused, partitioned (from, to). */
  private readonly adversity = new Map<string, Array<[number, number]>>();
  readonly downs: Array<{ nodeKey: string; atMs: number }> = [];
  readonly takeoverMs: number[] = [];
  readonly detectMs: number[] = [];
  /** Crashed nodes waiting for their DOWN: node key → crash time, unless excused. */
  private readonly awaitingDown = new Map<string, { atMs: number; excused: boolean }>();
  stats = { attempts: 0, orders: 0 };
  private readonly relayLinksLostMs: number[] = [];
  private readonly endpoints = new Map<string, readonly string[]>();

  constructor(private readonly limits: CheckerLimits) {}

  private violate(invariant: InvariantName, atMs: number, detail: string): void {
    if (this.violations.length < 50) this.violations.push({ invariant, atMs, detail });
  }

  // ---- what the scenario tells the checker ----

  /** A fault touched `proc` during [fromMs, toMs]. */
  noteAdversity(procName: string, fromMs: number, toMs: number): void {
    let list = this.adversity.get(procName);
    if (list === undefined) this.adversity.set(procName, (list = []));
    list.push([fromMs, toMs]);
  }

  /** The relays (process names) a node can attach through. */
  noteEndpoints(nodeKey: string, relays: readonly string[]): void {
    this.endpoints.set(nodeKey, relays);
  }

  /** A node was killed at `atMs`; `excused` when other faults may delay its detection legitimately. */
  noteCrash(nodeKey: string, atMs: number, excused: boolean): void {
    this.awaitingDown.set(nodeKey, { atMs, excused });
  }

  /** The node came back before anyone had to notice. */
  noteRestart(nodeKey: string): void {
    this.awaitingDown.delete(nodeKey);
  }

  // ---- what the components report ----

  onOrder(nodeKey: string, order: ShardOrderDomain, atMs: number): void {
    this.stats.orders += 1;
    let list = this.orders.get(order.broadcastId);
    if (list === undefined) this.orders.set(order.broadcastId, (list = []));
    // An order still in flight when its shard was split says the old end; reads stop at the cut.
    const end = Math.min(order.end, this.cuts.get(`${order.broadcastId}#${order.shardId}`) ?? Number.POSITIVE_INFINITY);
    list.push({ nodeKey, shardId: order.shardId, epoch: order.epoch, start: order.start, end, atMs });
  }

  onSplit(broadcastId: string, shardId: number, cut: number): void {
    const ref = `${broadcastId}#${shardId}`;
    this.cuts.set(ref, Math.min(cut, this.cuts.get(ref) ?? Number.POSITIVE_INFINITY));
    for (const o of this.orders.get(broadcastId) ?? []) if (o.shardId === shardId) o.end = Math.min(o.end, cut);
  }

  onEvents(events: readonly MembershipEvent[], atMs: number): void {
    for (const event of events) {
      if (event.member.kind !== 'NODE' || event.type !== 'DOWN') continue;
      const nodeKey = event.member.key;
      this.downs.push({ nodeKey, atMs });
      const crash = this.awaitingDown.get(nodeKey);
      if (crash !== undefined) {
        this.awaitingDown.delete(nodeKey);
        const latency = atMs - crash.atMs;
        this.detectMs.push(latency);
        // A relay link lost meanwhile grants the relay's leaves a grace period: detection may wait for it.
        const graced = this.relayLinksLostMs.some((t) => t >= crash.atMs - this.limits.detectMaxMs && t <= atMs);
        if (!crash.excused && !graced && latency > this.limits.detectMaxMs) this.violate('progress', atMs, `${nodeKey} was killed at ${crash.atMs} ms but declared DOWN only ${latency.toFixed(0)} ms later (bound ${this.limits.detectMaxMs} ms)`);
      }
      const inWindow = (name: string) => (this.adversity.get(name) ?? []).some(([from, to]) => to >= atMs - this.limits.falseDownWindowMs && from <= atMs);
      // The promise is about one failure at a time: two of the node's paths down at once may cost it its lease.
      const pathsDown = [...(this.endpoints.get(nodeKey) ?? []), 'coordinator'].filter(inWindow).length;
      if (!inWindow(procOf(nodeKey)) && pathsDown < 2) this.violate('no-false-down', atMs, `${nodeKey} declared DOWN with no fault on it in the last ${this.limits.falseDownWindowMs} ms`);
    }
  }

  onProgressRefused(count: number): void {
    if (count > 0) this.violate('consistent-progress', Number.NaN, `the coordinator refused ${count} progress report(s) from honest nodes as impossible`);
  }

  onTakeover(nodeKey: string, decidedAtMs: number, sentAtMs: number): void {
    const latency = sentAtMs - decidedAtMs;
    this.takeoverMs.push(latency);
    if (latency > this.limits.reassignMaxMs) this.violate('progress', sentAtMs, `remainder of ${nodeKey} ordered out ${latency.toFixed(1)} ms after the takeover decision (bound ${this.limits.reassignMaxMs} ms)`);
  }

  onAttempt(nodeKey: string, broadcastId: string, shardId: number, epoch: number, sequences: readonly number[], atMs: number): void {
    this.stats.attempts += sequences.length;
    const orders = this.orders.get(broadcastId) ?? [];
    const final = this.final.get(broadcastId);
    for (const seq of sequences) {
      // Invariant 2: the newest order covering this recipient must be the one the sender works under.
      let latest: OrderRecord | undefined;
      for (let i = orders.length - 1; i >= 0; i--) {
        const o = orders[i]!;
        if (o.atMs <= atMs && o.start <= seq && seq < o.end) {
          latest = o;
          break;
        }
      }
      if (latest === undefined) this.violate('one-owner', atMs, `${nodeKey} sent ${broadcastId}/${seq} (shard ${shardId} epoch ${epoch}) with no order for it`);
      else if (latest.shardId !== shardId || latest.epoch !== epoch || latest.nodeKey !== nodeKey) {
        this.violate('one-owner', atMs, `${nodeKey} sent ${broadcastId}/${seq} under shard ${shardId} epoch ${epoch}, but since ${latest.atMs} ms it belongs to ${latest.nodeKey} (shard ${latest.shardId} epoch ${latest.epoch})`);
      }
      // Invariant 3: never again once it was durably checkpointed as final.
      if (final?.has(seq) && this.finalInNewestShard(broadcastId, seq)) this.violate('bounded-redelivery', atMs, `${nodeKey} sent ${broadcastId}/${seq}, which was checkpointed as final`);
    }
  }

  onDurable(ops: readonly BatchOp[]): void {
    for (const op of ops) {
      if (op.type !== 'put' || !op.key.startsWith(KEY_SHARD)) continue;
      const shard = JSON.parse(op.value) as Shard;
      let set = this.final.get(shard.broadcastId);
      if (set === undefined) this.final.set(shard.broadcastId, (set = new IntervalSet()));
      set.add(shard.start, shard.watermark);
      let shards = this.durableShards.get(shard.broadcastId);
      if (shards === undefined) this.durableShards.set(shard.broadcastId, (shards = new Map()));
      shards.set(shard.shardId, { start: shard.start, end: shard.end, watermark: shard.watermark });
    }
  }

  /**
   * Final by the newest shard covering the recipient: a dead letter handed
   * back for another try is covered by its retry shard, and final again
   * only once that shard's checkpoint passes it (its old shard's later
   * checkpoints do not count for it).
   */
  private finalInNewestShard(broadcastId: string, seq: number): boolean {
    let newest: { shardId: number; watermark: number } | undefined;
    for (const [shardId, s] of this.durableShards.get(broadcastId) ?? []) {
      if (s.start <= seq && seq < s.end && (newest === undefined || shardId > newest.shardId)) newest = { shardId, watermark: s.watermark };
    }
    return newest === undefined || seq < newest.watermark;
  }

  onAgentEvent(): void {}

  onRelayLinkLost(atMs: number): void {
    this.relayLinksLostMs.push(atMs);
  }

  /** Invariant 4 at the end: every crashed node was eventually declared DOWN. */
  finish(atMs: number): void {
    for (const [nodeKey, crash] of this.awaitingDown) {
      // A node killed shortly before the end (or brought back by the heal) may rightly not be DOWN yet.
      const overdue = atMs - crash.atMs > this.limits.falseDownWindowMs;
      if (!crash.excused && overdue) this.violate('progress', atMs, `${nodeKey} was killed at ${crash.atMs} ms and never declared DOWN`);
    }
  }

  fail(invariant: InvariantName, atMs: number, detail: string): void {
    this.violate(invariant, atMs, detail);
  }
}

/** sim/<id> → node-<id> (the process name). */
export const procOf = (nodeKey: string) => `node-${nodeKey.slice(nodeKey.indexOf('/') + 1)}`;
