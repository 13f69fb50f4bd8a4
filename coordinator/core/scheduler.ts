/**
 * Broadcast scheduling, pure: broadcasts are cut into shards (contiguous
 * sequence ranges); shards are ordered out to healthy nodes weighted by
 * capacity; progress moves watermarks forward (never back) and is
 * checkpointed in batches; a node that goes DOWN has its remainder cut into
 * as many units as there are healthy nodes and ordered out anew with new
 * epochs.
 *
 * Memory is O(shards), never O(audience): recipients stay in the store.
 *
 * One owner at a time: a shard changes hands only when its owner is DOWN
 * (its lease has surely expired: the registry declares DOWN only after
 * downAfterMs > leaseTtlMs) or after the owner confirmed a revoke (its
 * progress reports no longer list the shard).
 *
 * Elastic work: when a node has nothing to do and nothing is pending, the
 * largest unread tail of the most loaded owner is split off for it. A node
 * only ever learns recipients by reading pages through beginRead(), which
 * records how far each shard was read (the read frontier); a split never
 * cuts below the frontier, so the old owner cannot hold a recipient of the
 * piece it lost and no confirmation round trip is needed. After a restart
 * the frontier is unknown until the owner's next read, so nothing is split
 * before then.
 *
 * Work per tick is proportional to the shards in play, not to every
 * broadcast ever created: shards are indexed by state and owner (PENDING
 * shards by broadcast, held shards by owner, shards with unwritten
 * progress), and every change of a shard's state or owner goes through
 * one place (move()) that keeps those indexes right.
 *
 * Retention: a broadcast that finished (COMPLETED or CANCELLED, every shard
 * DONE) more than retentionMs ago by the wall clock is forgotten on a tick:
 * its meta and shards are deleted and it is listed in the effects' `purged`
 * so the shell can delete its bulky data (audience, dead letters, request
 * id). A bounded tombstone remembers recently purged ids so a lookup can
 * say why the broadcast is gone.
 */
import { assert, fail, ok, type Result } from '../../protocol/errors';
import type { BatchOp } from '../../platform/store/store';
import type { Clock } from '../../platform/clock';
import { assignShards, planShards, splitRange, type NodeSlot, type SequenceRange } from './shard-planner';

export type BroadcastStateName = 'PENDING' | 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
export type ShardStateName = 'PENDING' | 'ASSIGNED' | 'REVOKING' | 'DONE';

export interface BroadcastOptionsDomain {
  shardSize: number;
  onlyReachable: boolean;
  priority: number;
  notBeforeUnixMs: number;
  rateLimitPerS: number;
}

export interface BroadcastMeta {
  id: string;
  clusterId: string;
  template: string;
  options: BroadcastOptionsDomain;
  state: BroadcastStateName;
  total: number;
  /** Key prefix of the audience in the store (the broadcast id, or an upload id). */
  audienceId: string;
  createdAtUnixMs: number;
  finishedAtUnixMs: number;
  requestId: string;
  nextShardId: number;
  /** Dead letters handed back for another try (they are counted again by their retry shards). */
  deadRetried: number;
}

export interface Shard {
  broadcastId: string;
  shardId: number;
  start: number;
  end: number;
  state: ShardStateName;
  owner: string;
  epoch: number;
  watermark: number;
  delivered: number;
  skipped: number;
  dead: number;
}

export interface ShardProgressDomain {
  broadcastId: string;
  shardId: number;
  epoch: number;
  watermark: number;
  delivered: number;
  skipped: number;
  dead: number;
  done: boolean;
  /** The node confirms it stopped the shard after a revoke. */
  stopped: boolean;
}

export interface ShardOrderDomain {
  broadcastId: string;
  shardId: number;
  epoch: number;
  start: number;
  end: number;
  template: string;
  onlyReachable: boolean;
  rateLimitPerS: number;
  /** Outcomes already counted below `start`: reports count the whole shard. */
  countedDelivered: number;
  countedSkipped: number;
  countedDead: number;
}

export type SchedulerSend =
  | { nodeKey: string; kind: 'order'; order: ShardOrderDomain }
  | { nodeKey: string; kind: 'revoke'; broadcastId: string; shardId: number; epoch: number; reason: string };

export interface SchedulerEffects {
  persist: BatchOp[];
  send: SchedulerSend[];
  /** Broadcasts whose state or counts changed (for watchers). */
  changed: Set<string>;
  /** Reassignments after a node went DOWN: when the orders went out. */
  takeovers: Array<{ nodeKey: string; shards: number; atMs: number }>;
  /** Unread tails split off a busy owner's shard for an idle node. */
  splits: Array<{ broadcastId: string; shardId: number; owner: string; pieceShardId: number; start: number; end: number }>;
  /**
   * Finished broadcasts forgotten after the retention: their meta and shard
   * deletes are in `persist`; the shell deletes the rest of their data
   * (see coordinator/retention.ts) once that is durable.
   */
  purged: PurgedBroadcast[];
}

/** What the shell needs to delete the data of a purged broadcast. */
export interface PurgedBroadcast {
  broadcastId: string;
  clusterId: string;
  /** The broadcast's own id (its audience is its own) or an upload id (shared: deleted with the upload). */
  audienceId: string;
  /** '' when the broadcast was created without one. */
  requestId: string;
  finishedAtUnixMs: number;
}

/** What became of a progress report: applied, stale (the shard moved on), or refused as impossible. */
export type ProgressOutcome = 'applied' | 'stale' | { refused: string };

export interface SchedulerConfig {
  /** Concurrent shards per unit of capacity weight. */
  shardsPerWeight: number;
  /** Never cut a remainder into pieces smaller than this. */
  splitSizeMin: number;
  checkpointIntervalMs: number;
  /** Re-send an order (or revoke) its node has not confirmed after this long. */
  orderResendMs: number;
  /**
   * A finished broadcast is forgotten this long after it finished (wall
   * clock). Undefined: kept forever (the simulator; the coordinator always
   * sets it from --broadcast-retention-ms).
   */
  retentionMs?: number;
}

/** Purged broadcast ids remembered (with when they finished) so a lookup can say why one is gone. */
export const PURGED_REMEMBERED_MAX = 10_000;
/**
 * Shard keys deleted per tick at most when purging (at least one broadcast
 * is purged per tick whatever its size): a backlog after a restart or a
 * shortened retention is worked off over several ticks rather than in one
 * huge write.
 */
export const PURGE_SHARDS_PER_TICK_MAX = 10_000;

export interface Counts {
  total: number;
  delivered: number;
  skipped: number;
  dead: number;
  inFlight: number;
  pending: number;
}

import { KEY_REQUEST, broadcastKey, shardKey } from './keys';
// The store's key layout is coordinator/core/keys.ts; re-exported for the scheduler's users.
export { KEY_BROADCAST, KEY_SHARD, KEY_AUDIENCE, KEY_DEAD_LETTER, KEY_REQUEST, broadcastKey, shardKey, audienceKey, deadLetterKey } from './keys';

interface NodeInfo {
  weight: number;
  available: boolean;
}

interface Runtime {
  /** When the current order (or revoke) went out, for resends. */
  sentAtMs: number;
  /** When the current owner last listed the shard in its progress (-Infinity: not since it took it). */
  reportedAtMs: number;
  /** Everything below this may have been read by the owner (NaN: unknown, after a restart). */
  readFrontier: number;
}

/** A broadcast's shards and how many of them are not DONE yet. */
interface BroadcastShards {
  byId: Map<number, Shard>;
  undone: number;
}

const isHeld = (state: ShardStateName): boolean => state === 'ASSIGNED' || state === 'REVOKING';
const isFinal = (state: BroadcastStateName): boolean => state === 'COMPLETED' || state === 'CANCELLED' || state === 'FAILED';

export class Scheduler {
  private readonly broadcasts = new Map<string, BroadcastMeta>();
  private readonly shards = new Map<string, BroadcastShards>();
  private readonly runtime = new Map<Shard, Runtime>();
  private readonly nodes = new Map<string, NodeInfo>();
  // Indexes, kept by move(), addShard(), load() and purge(); checkIndexes() verifies them.
  /** PENDING shards by broadcast (whatever the broadcast's state); no empty sets. */
  private readonly pendingByBroadcast = new Map<string, Set<Shard>>();
  /** ASSIGNED and REVOKING shards by owner; no empty sets. */
  private readonly heldByOwner = new Map<string, Set<Shard>>();
  /** Shards whose progress changed since they were last persisted. */
  private readonly dirty = new Set<Shard>();
  /**
   * Finished broadcasts with every shard DONE → finishedAtUnixMs, in the
   * order they got there (by finish time after a load), for retention.
   */
  private readonly finished = new Map<string, number>();
  /** Upload id → the broadcasts that use it as their audience. */
  private readonly audienceUsers = new Map<string, Set<string>>();
  /** Recently purged ids → when they finished; bounded by PURGED_REMEMBERED_MAX, oldest dropped first. */
  private readonly purgedIds = new Map<string, number>();
  private lastCheckpointMs = Number.NEGATIVE_INFINITY;
  private effects: SchedulerEffects = emptyEffects();

  constructor(
    private readonly config: SchedulerConfig,
    private readonly clock: Clock,
  ) {
    assert(config.shardsPerWeight >= 1 && config.splitSizeMin >= 1, 'positive scheduler limits');
    assert(config.retentionMs === undefined || (Number.isFinite(config.retentionMs) && config.retentionMs >= 0), 'a retention of 0 ms or more');
  }

  load(broadcasts: Iterable<BroadcastMeta>, shards: Iterable<Shard>): void {
    for (const meta of broadcasts) this.addBroadcast(meta);
    const now = this.clock.monotonicMs();
    for (const shard of shards) {
      const entry = this.shards.get(shard.broadcastId);
      if (entry === undefined) continue; // meta and shards are written and deleted together; nothing to hold on to
      entry.byId.set(shard.shardId, shard);
      // Orders are re-sent unless the owner reports the shard soon. What the
      // owner read before the restart is unknown until it reads again.
      this.runtime.set(shard, { sentAtMs: now, reportedAtMs: Number.NEGATIVE_INFINITY, readFrontier: Number.NaN });
      this.index(shard);
    }
    // Retention goes by finish time; within a load that is the only order known.
    const done = [...this.broadcasts.values()].filter((meta) => !this.finished.has(meta.id)).sort((a, b) => a.finishedAtUnixMs - b.finishedAtUnixMs);
    for (const meta of done) this.noteFinished(meta);
  }

  takeEffects(): SchedulerEffects {
    const taken = this.effects;
    this.effects = emptyEffects();
    return taken;
  }

  get(id: string): BroadcastMeta | undefined {
    return this.broadcasts.get(id);
  }

  /**
   * Why a broadcast that does not exist is gone, if it was purged recently
   * (the last PURGED_REMEMBERED_MAX purges since this process started).
   */
  purgedReason(id: string): string | undefined {
    const finishedAtUnixMs = this.purgedIds.get(id);
    if (finishedAtUnixMs === undefined) return undefined;
    return `broadcast ${id} finished at ${new Date(finishedAtUnixMs).toISOString()} and was deleted after the retention of ${describeDuration(this.config.retentionMs ?? 0)}`;
  }

  /** True while a retained broadcast reads its recipients from `audienceId` (its own id, or an upload id). */
  audienceInUse(audienceId: string): boolean {
    return this.broadcasts.has(audienceId) || this.audienceUsers.has(audienceId);
  }

  list(clusterId: string): BroadcastMeta[] {
    return [...this.broadcasts.values()].filter((b) => clusterId === '' || b.clusterId === clusterId).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  shardsOf(id: string): Shard[] {
    return [...(this.shards.get(id)?.byId.values() ?? [])].sort((a, b) => a.shardId - b.shardId);
  }

  shard(id: string, shardId: number): Shard | undefined {
    return this.shards.get(id)?.byId.get(shardId);
  }

  /** Sizes of what the scheduler holds, for status and the soak benchmark. */
  sizes(): { broadcasts: number; shards: number; heldShards: number; pendingShards: number; finished: number; purgedRemembered: number } {
    let heldShards = 0;
    let pendingShards = 0;
    for (const set of this.heldByOwner.values()) heldShards += set.size;
    for (const set of this.pendingByBroadcast.values()) pendingShards += set.size;
    return { broadcasts: this.broadcasts.size, shards: this.runtime.size, heldShards, pendingShards, finished: this.finished.size, purgedRemembered: this.purgedIds.size };
  }

  counts(id: string): Counts {
    const meta = this.broadcasts.get(id);
    assert(meta !== undefined, `counts of a known broadcast (${id})`);
    const counts: Counts = { total: meta.total, delivered: 0, skipped: 0, dead: 0, inFlight: 0, pending: 0 };
    for (const shard of this.shards.get(id)!.byId.values()) {
      counts.delivered += shard.delivered;
      counts.skipped += shard.skipped;
      counts.dead += shard.dead;
      // A finished shard has watermark = end, except the leftover of a
      // cancelled one: never sent, so it counts as pending.
      const remaining = shard.end - shard.watermark;
      if (shard.state === 'PENDING' || shard.state === 'DONE') counts.pending += remaining;
      else counts.inFlight += remaining;
    }
    counts.dead -= meta.deadRetried;
    if (meta.state === 'CANCELLED') {
      counts.pending += counts.inFlight;
      counts.inFlight = 0;
    }
    return counts;
  }

  /** A new broadcast with `total` recipients already stored under its audience id. */
  create(meta: BroadcastMeta): void {
    assert(!this.broadcasts.has(meta.id), 'broadcast ids are unique');
    const plan = planShards(meta.total, meta.options.shardSize);
    meta.state = meta.total === 0 ? 'COMPLETED' : 'PENDING';
    if (meta.total === 0) meta.finishedAtUnixMs = this.clock.wallMs();
    this.addBroadcast(meta);
    for (const range of plan) this.addShard(meta, range);
    this.noteFinished(meta);
    this.persistMeta(meta);
  }

  /** Node available for new work (registered, recovered) with its capacity weight. */
  nodeUp(nodeKey: string, weight: number): void {
    const node = this.nodes.get(nodeKey);
    if (node === undefined) this.nodes.set(nodeKey, { weight, available: true });
    else {
      node.weight = weight;
      node.available = true;
    }
  }

  /**
   * Node draining: takes nothing new; its shards are revoked now and change
   * hands as soon as it confirms where each stopped.
   */
  nodeDraining(nodeKey: string): number {
    const node = this.nodes.get(nodeKey);
    if (node !== undefined) node.available = false;
    const now = this.clock.monotonicMs();
    let revoked = 0;
    for (const shard of this.heldBy(nodeKey)) {
      if (shard.state !== 'ASSIGNED') continue;
      this.move(shard, 'REVOKING', nodeKey);
      this.runtime.get(shard)!.sentAtMs = now;
      this.persistShard(shard);
      this.effects.send.push({ nodeKey, kind: 'revoke', broadcastId: shard.broadcastId, shardId: shard.shardId, epoch: shard.epoch, reason: 'node draining' });
      revoked += 1;
    }
    return revoked;
  }

  /** Shards a node holds (assigned or being revoked). */
  ownedBy(nodeKey: string): number {
    return this.heldByOwner.get(nodeKey)?.size ?? 0;
  }

  /**
   * Node DOWN or LEFT: its lease is gone, so its shards change hands now.
   * Each shard keeps what was checkpointed; its remainder is cut into as
   * many units as there are healthy nodes.
   */
  nodeGone(nodeKey: string): void {
    this.nodes.delete(nodeKey);
    const held = this.heldBy(nodeKey);
    if (held.length === 0) return;
    // Counted only for a node that held work: a relay's death can bring
    // 25,000 DOWNs at once, and a pass over every node for each is quadratic.
    let healthy = 0;
    for (const node of this.nodes.values()) if (node.available) healthy += 1;
    for (const shard of held) this.requeueRemainder(this.broadcasts.get(shard.broadcastId)!, shard, Math.max(1, healthy));
    this.effects.takeovers.push({ nodeKey, shards: held.length, atMs: this.clock.monotonicMs() });
  }

  /**
   * Progress from a node (through liveness). 'stale' for a shard the node no
   * longer holds under that epoch (normal after a hand-over); a refusal,
   * with the reason, for a report from the owner that cannot be true — the
   * numbers come from the network and are checked here, never asserted:
   * a watermark that moves back or leaves the shard, counts that do not add
   * up to the final range [start, watermark), or a count that shrinks.
   */
  progress(nodeKey: string, report: ShardProgressDomain): ProgressOutcome {
    const shard = this.shards.get(report.broadcastId)?.byId.get(report.shardId);
    if (shard === undefined || shard.owner !== nodeKey || shard.epoch !== report.epoch) return 'stale';
    if (!isHeld(shard.state)) return 'stale';
    const rt = this.runtime.get(shard)!;
    // Only the owner's reports count as a sign that its order arrived.
    rt.reportedAtMs = this.clock.monotonicMs();
    if (report.stopped && report.watermark === 0 && report.delivered + report.skipped + report.dead === 0) {
      // Stopped before it began (or the order never arrived): nothing to apply.
    } else {
      // An older packet overtaken by a newer one (it took a slower route, a
      // relay held it through a partition): out of date, not impossible.
      if (Number.isSafeInteger(report.watermark) && report.watermark < shard.watermark) return 'stale';
      const refused = checkReport(shard, report);
      if (refused !== undefined) return { refused };
      if (report.watermark > shard.watermark || report.delivered !== shard.delivered || report.skipped !== shard.skipped || report.dead !== shard.dead) {
        shard.watermark = report.watermark;
        shard.delivered = report.delivered;
        shard.skipped = report.skipped;
        shard.dead = report.dead;
        this.dirty.add(shard);
        this.effects.changed.add(shard.broadcastId);
      }
    }
    if (report.stopped) {
      // The owner stopped the shard for good under this epoch (a revoke it
      // obeyed, or its own drain): the remainder can change hands at once.
      this.finishRevoke(shard);
      return 'applied';
    }
    if (report.done && shard.watermark === shard.end && shard.state === 'ASSIGNED') {
      this.move(shard, 'DONE', shard.owner);
      this.persistShard(shard);
      this.maybeComplete(this.broadcasts.get(shard.broadcastId)!);
    }
    return 'applied';
  }

  /**
   * A page read by a shard's owner: only the current owner and epoch may
   * read, and only inside the shard. Returns the shard and where the page
   * ends; from then on the shard is never split below that point.
   */
  beginRead(nodeKey: string, broadcastId: string, shardId: number, epoch: number, fromSequence: number, pageSize: number): Result<{ shard: Shard; end: number }> {
    assert(Number.isSafeInteger(pageSize) && pageSize > 0, 'a positive page size');
    const shard = this.shards.get(broadcastId)?.byId.get(shardId);
    if (shard === undefined) return fail('NOT_FOUND', `shard ${broadcastId}#${shardId} does not exist`);
    if (shard.owner !== nodeKey || shard.epoch !== epoch || shard.state !== 'ASSIGNED') {
      return fail('FAILED_PRECONDITION', `shard ${broadcastId}#${shardId} epoch ${epoch} is not held by ${nodeKey} (owner ${shard.owner || 'none'}, epoch ${shard.epoch}, ${shard.state})`);
    }
    if (!Number.isSafeInteger(fromSequence) || fromSequence < shard.start || fromSequence > shard.end) {
      return fail('OUT_OF_RANGE', `from_sequence ${fromSequence} is outside shard [${shard.start}, ${shard.end})`);
    }
    const end = Math.min(shard.end, fromSequence + pageSize);
    const rt = this.runtime.get(shard)!;
    // Pages are read in order, so a read from X after a restart means nothing at or above X was read before.
    rt.readFrontier = Number.isNaN(rt.readFrontier) ? end : Math.max(rt.readFrontier, end);
    return ok({ shard, end });
  }

  pause(id: string): Result<BroadcastMeta> {
    const meta = this.broadcasts.get(id);
    if (meta === undefined) return fail('NOT_FOUND', this.notFound(id));
    if (meta.state === 'PAUSED') return ok(meta);
    if (meta.state !== 'PENDING' && meta.state !== 'RUNNING') return fail('FAILED_PRECONDITION', `broadcast ${id} is ${meta.state}; only a pending or running broadcast can be paused`);
    meta.state = 'PAUSED';
    this.revokeAll(meta, 'broadcast paused');
    this.persistMeta(meta);
    return ok(meta);
  }

  resume(id: string): Result<BroadcastMeta> {
    const meta = this.broadcasts.get(id);
    if (meta === undefined) return fail('NOT_FOUND', this.notFound(id));
    if (meta.state === 'RUNNING' || meta.state === 'PENDING') return ok(meta);
    if (meta.state !== 'PAUSED') return fail('FAILED_PRECONDITION', `broadcast ${id} is ${meta.state}; only a paused broadcast can be resumed`);
    meta.state = 'PENDING';
    this.persistMeta(meta);
    // Its last shards may have finished while it was paused.
    this.maybeComplete(meta);
    return ok(meta);
  }

  cancel(id: string): Result<BroadcastMeta> {
    const meta = this.broadcasts.get(id);
    if (meta === undefined) return fail('NOT_FOUND', this.notFound(id));
    if (meta.state === 'CANCELLED') return ok(meta);
    if (meta.state === 'COMPLETED' || meta.state === 'FAILED') return fail('FAILED_PRECONDITION', `broadcast ${id} is already ${meta.state}`);
    meta.state = 'CANCELLED';
    meta.finishedAtUnixMs = this.clock.wallMs();
    this.revokeAll(meta, 'broadcast cancelled');
    this.persistMeta(meta);
    this.noteFinished(meta);
    return ok(meta);
  }

  /**
   * Hand dead letters back: each run of consecutive sequences becomes a new
   * shard; the caller has removed them from the dead-letter queue.
   */
  retry(id: string, sequences: readonly number[]): Result<BroadcastMeta> {
    const meta = this.broadcasts.get(id);
    if (meta === undefined) return fail('NOT_FOUND', this.notFound(id));
    if (meta.state === 'CANCELLED') return fail('FAILED_PRECONDITION', `broadcast ${id} is cancelled`);
    if (sequences.length === 0) return ok(meta);
    const sorted = [...sequences].sort((a, b) => a - b);
    let runStart = sorted[0]!;
    let previous = runStart;
    for (const seq of [...sorted.slice(1), Number.NaN]) {
      if (seq === previous + 1) {
        previous = seq;
        continue;
      }
      this.addShard(meta, { start: runStart, end: previous + 1 });
      runStart = previous = seq;
    }
    meta.deadRetried += sorted.length;
    if (meta.state === 'COMPLETED' || meta.state === 'FAILED') {
      meta.state = 'PENDING';
      meta.finishedAtUnixMs = 0;
      this.finished.delete(id);
    }
    this.persistMeta(meta);
    return ok(meta);
  }

  /** Assign pending work, split work for idle nodes, re-send unconfirmed orders, checkpoint, purge what is past the retention. */
  tick(): void {
    const now = this.clock.monotonicMs();
    this.assign(now);
    if (this.splitForIdle() > 0) this.assign(now);
    this.resend(now);
    if (now - this.lastCheckpointMs >= this.config.checkpointIntervalMs) {
      this.lastCheckpointMs = now;
      for (const shard of this.dirty) this.persistShard(shard);
      this.dirty.clear();
    }
    this.purgeExpired();
  }

  /**
   * Debug check for the tests: every index equals what a full scan of the
   * shards and broadcasts gives. Throws (an assertion) on the first difference.
   */
  checkIndexes(): void {
    const pending = new Map<string, Set<Shard>>();
    const held = new Map<string, Set<Shard>>();
    let shardCount = 0;
    for (const [id, entry] of this.shards) {
      const meta = this.broadcasts.get(id);
      assert(meta !== undefined, `shards of ${id} have a meta`);
      let undone = 0;
      for (const [shardId, shard] of entry.byId) {
        shardCount += 1;
        assert(shard.broadcastId === id && shard.shardId === shardId, `shard ${id}#${shardId} is filed under its own ids`);
        assert(shardId < meta.nextShardId, `shard ${id}#${shardId} is below nextShardId ${meta.nextShardId}`);
        assert(this.runtime.has(shard), `shard ${id}#${shardId} has a runtime`);
        if (shard.state !== 'DONE') undone += 1;
        if (shard.state === 'PENDING') addTo(pending, id, shard);
        if (isHeld(shard.state)) addTo(held, shard.owner, shard);
      }
      assert(entry.undone === undone, `${id}: ${entry.undone} shards counted not DONE, ${undone} found`);
      const finishedAt = this.finished.get(id);
      const shouldBeFinished = isFinal(meta.state) && undone === 0;
      assert(shouldBeFinished === (finishedAt !== undefined), `${id} (${meta.state}, ${undone} not DONE) is ${finishedAt === undefined ? 'not ' : ''}listed as finished`);
      assert(finishedAt === undefined || finishedAt === meta.finishedAtUnixMs, `${id} is listed as finished at ${finishedAt}, its meta says ${meta.finishedAtUnixMs}`);
    }
    assert(this.shards.size === this.broadcasts.size, `${this.shards.size} shard maps for ${this.broadcasts.size} broadcasts`);
    assert(this.runtime.size === shardCount, `${this.runtime.size} runtimes for ${shardCount} shards`);
    for (const shard of this.dirty) assert(this.runtime.has(shard), `dirty shard ${shard.broadcastId}#${shard.shardId} exists`);
    for (const id of this.finished.keys()) assert(this.broadcasts.has(id), `finished ${id} exists`);
    sameIndex('pending', this.pendingByBroadcast, pending);
    sameIndex('held', this.heldByOwner, held);
    const users = new Map<string, Set<string>>();
    for (const meta of this.broadcasts.values()) if (meta.audienceId !== meta.id) addTo(users, meta.audienceId, meta.id);
    sameIndex('audience users', this.audienceUsers, users);
    assert(this.purgedIds.size <= PURGED_REMEMBERED_MAX, 'purged ids bounded');
    for (const id of this.purgedIds.keys()) assert(!this.broadcasts.has(id), `purged ${id} is not retained`);
  }

  private assign(now: number): void {
    const wall = this.clock.wallMs();
    const pending: Array<{ meta: BroadcastMeta; shard: Shard }> = [];
    for (const [id, shards] of this.pendingByBroadcast) {
      const meta = this.broadcasts.get(id)!;
      if (!isRunnable(meta, wall)) continue;
      for (const shard of shards) pending.push({ meta, shard });
    }
    if (pending.length === 0) return;
    pending.sort((a, b) => b.meta.options.priority - a.meta.options.priority || a.meta.createdAtUnixMs - b.meta.createdAtUnixMs || (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0) || a.shard.shardId - b.shard.shardId);
    const slots: NodeSlot[] = [];
    for (const [key, node] of this.nodes) if (node.available) slots.push({ key, weight: node.weight, assigned: this.ownedBy(key) });
    for (const { item, nodeKey } of assignShards(pending, slots, this.config.shardsPerWeight)) {
      const { meta, shard } = item;
      this.move(shard, 'ASSIGNED', nodeKey);
      shard.epoch += 1;
      this.runtime.get(shard)!.readFrontier = shard.watermark;
      if (meta.state === 'PENDING') {
        meta.state = 'RUNNING';
        this.persistMeta(meta);
      }
      this.persistShard(shard);
      this.sendOrder(meta, shard, now);
    }
  }

  /**
   * Nodes with no shard while nothing is pending get the unread tail of the
   * most loaded owner's largest shard (one piece per idle node). Pieces are
   * at least splitSizeMin, so a nearly finished broadcast is left alone.
   */
  private splitForIdle(): number {
    const wall = this.clock.wallMs();
    for (const id of this.pendingByBroadcast.keys()) if (isRunnable(this.broadcasts.get(id)!, wall)) return 0;
    const candidates: Array<{ meta: BroadcastMeta; shard: Shard; splittable: number }> = [];
    for (const shards of this.heldByOwner.values()) {
      for (const shard of shards) {
        if (shard.state !== 'ASSIGNED') continue;
        const meta = this.broadcasts.get(shard.broadcastId)!;
        if (meta.state !== 'RUNNING') continue;
        const frontier = this.runtime.get(shard)!.readFrontier;
        if (Number.isNaN(frontier)) continue;
        const splittable = shard.end - Math.max(frontier, shard.watermark);
        if (splittable >= 2 * this.config.splitSizeMin) candidates.push({ meta, shard, splittable });
      }
    }
    // Nothing to split (the usual case between broadcasts) costs no pass
    // over the nodes: this runs on every tick, and there may be 100k nodes.
    if (candidates.length === 0) return 0;
    let idle = 0;
    for (const [key, node] of this.nodes) if (node.available && this.ownedBy(key) === 0) idle += 1;
    if (idle === 0) return 0;
    const ownerLoad = new Map<string, number>();
    for (const c of candidates) ownerLoad.set(c.shard.owner, (ownerLoad.get(c.shard.owner) ?? 0) + c.splittable);
    candidates.sort((a, b) => ownerLoad.get(b.shard.owner)! - ownerLoad.get(a.shard.owner)! || b.splittable - a.splittable || (a.shard.owner < b.shard.owner ? -1 : a.shard.owner > b.shard.owner ? 1 : 0) || (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0) || a.shard.shardId - b.shard.shardId);
    let split = 0;
    for (const { meta, shard, splittable } of candidates.slice(0, idle)) {
      const tail = Math.floor(splittable / 2);
      const range = { start: shard.end - tail, end: shard.end };
      shard.end = range.start;
      this.persistShard(shard);
      const piece = this.addShard(meta, range);
      this.persistMeta(meta);
      this.effects.splits.push({ broadcastId: meta.id, shardId: shard.shardId, owner: shard.owner, pieceShardId: piece.shardId, start: range.start, end: range.end });
      split += 1;
    }
    return split;
  }

  private sendOrder(meta: BroadcastMeta, shard: Shard, now: number): void {
    const rt = this.runtime.get(shard)!;
    rt.sentAtMs = now;
    // The broadcast's rate limit is shared by nodes in proportion to their
    // weight; a node applies its share across all its shards of the broadcast.
    let rate = 0;
    if (meta.options.rateLimitPerS > 0) {
      let totalWeight = 0;
      for (const node of this.nodes.values()) if (node.available) totalWeight += node.weight;
      const weight = this.nodes.get(shard.owner)?.weight ?? 1;
      rate = Math.max(1, Math.floor((meta.options.rateLimitPerS * weight) / Math.max(weight, totalWeight)));
    }
    this.effects.send.push({
      nodeKey: shard.owner,
      kind: 'order',
      order: {
        broadcastId: meta.id,
        shardId: shard.shardId,
        epoch: shard.epoch,
        start: shard.watermark,
        end: shard.end,
        template: meta.template,
        onlyReachable: meta.options.onlyReachable,
        rateLimitPerS: rate,
        countedDelivered: shard.delivered,
        countedSkipped: shard.skipped,
        countedDead: shard.dead,
      },
    });
  }

  private resend(now: number): void {
    for (const shards of this.heldByOwner.values()) {
      for (const shard of shards) {
        const rt = this.runtime.get(shard)!;
        if (now - rt.sentAtMs < this.config.orderResendMs) continue;
        if (shard.state === 'ASSIGNED' && now - rt.reportedAtMs < this.config.orderResendMs) continue;
        if (shard.state === 'ASSIGNED') this.sendOrder(this.broadcasts.get(shard.broadcastId)!, shard, now);
        else {
          rt.sentAtMs = now;
          this.effects.send.push({ nodeKey: shard.owner, kind: 'revoke', broadcastId: shard.broadcastId, shardId: shard.shardId, epoch: shard.epoch, reason: 'revoked' });
        }
      }
    }
  }

  /** A revoked shard is free once its owner confirmed it stopped (or is gone). */
  private finishRevoke(shard: Shard): void {
    const meta = this.broadcasts.get(shard.broadcastId)!;
    if (meta.state === 'CANCELLED') {
      this.move(shard, 'DONE', '');
      this.persistShard(shard);
      this.noteFinished(meta);
    } else {
      this.requeueRemainder(meta, shard, 1);
    }
  }

  private requeueRemainder(meta: BroadcastMeta, shard: Shard, parts: number): void {
    const remainder: SequenceRange = { start: shard.watermark, end: shard.end };
    if (meta.state === 'CANCELLED') {
      this.move(shard, 'DONE', '');
      this.persistShard(shard);
      this.noteFinished(meta);
      return;
    }
    if (remainder.end - remainder.start === 0) {
      this.move(shard, 'DONE', shard.owner);
      this.persistShard(shard);
      this.maybeComplete(meta);
      return;
    }
    const pieces = splitRange(remainder, parts, this.config.splitSizeMin);
    if (shard.watermark > shard.start) {
      // What was checkpointed stays with this shard, final, with its counts;
      // the remainder becomes new shards that start counting from zero.
      shard.end = shard.watermark;
      this.move(shard, 'DONE', '');
      this.persistShard(shard);
      for (const piece of pieces) this.addShard(meta, piece);
    } else {
      // Nothing final yet: the shard itself is the first piece.
      assert(shard.delivered + shard.skipped + shard.dead === 0, 'no counts below the start');
      shard.end = pieces[0]!.end;
      this.move(shard, 'PENDING', '');
      this.persistShard(shard);
      for (const piece of pieces.slice(1)) this.addShard(meta, piece);
    }
    this.persistMeta(meta);
    this.effects.changed.add(meta.id);
  }

  private revokeAll(meta: BroadcastMeta, reason: string): void {
    const now = this.clock.monotonicMs();
    for (const shard of this.shards.get(meta.id)!.byId.values()) {
      if (shard.state === 'PENDING' && meta.state === 'CANCELLED') {
        this.move(shard, 'DONE', shard.owner);
        this.persistShard(shard);
      }
      if (shard.state !== 'ASSIGNED') continue;
      this.move(shard, 'REVOKING', shard.owner);
      this.runtime.get(shard)!.sentAtMs = now;
      this.persistShard(shard);
      this.effects.send.push({ nodeKey: shard.owner, kind: 'revoke', broadcastId: meta.id, shardId: shard.shardId, epoch: shard.epoch, reason });
    }
  }

  private maybeComplete(meta: BroadcastMeta): void {
    if (meta.state !== 'RUNNING' && meta.state !== 'PENDING') return;
    if (this.shards.get(meta.id)!.undone > 0) return;
    meta.state = 'COMPLETED';
    meta.finishedAtUnixMs = this.clock.wallMs();
    this.persistMeta(meta);
    this.noteFinished(meta);
  }

  /** A finished broadcast whose shards are all DONE starts its retention (once). */
  private noteFinished(meta: BroadcastMeta): void {
    if (!isFinal(meta.state) || this.finished.has(meta.id) || this.shards.get(meta.id)!.undone > 0) return;
    this.finished.set(meta.id, meta.finishedAtUnixMs);
  }

  /**
   * Forget broadcasts finished more than retentionMs ago. `finished` is in
   * finish order, so this looks at the front only; a wall clock that
   * stepped back delays a purge by at most that step.
   */
  private purgeExpired(): void {
    const retentionMs = this.config.retentionMs;
    if (retentionMs === undefined || this.finished.size === 0) return;
    const wall = this.clock.wallMs();
    let shardsDeleted = 0;
    for (const [id, finishedAtUnixMs] of this.finished) {
      if (finishedAtUnixMs + retentionMs > wall || shardsDeleted >= PURGE_SHARDS_PER_TICK_MAX) break;
      shardsDeleted += this.purge(this.broadcasts.get(id)!);
    }
  }

  /** Deletes a finished broadcast (meta and shards); returns how many shards it had. */
  private purge(meta: BroadcastMeta): number {
    const entry = this.shards.get(meta.id)!;
    assert(entry.undone === 0 && isFinal(meta.state), `only a finished broadcast is purged (${meta.id})`);
    const ops = this.effects.persist;
    for (const shard of entry.byId.values()) {
      ops.push({ type: 'del', key: shardKey(meta.id, shard.shardId) });
      this.runtime.delete(shard);
      this.dirty.delete(shard);
    }
    ops.push({ type: 'del', key: broadcastKey(meta.id) });
    // The request id goes in the same write: a create that reuses it later finds nothing and maps it afresh.
    if (meta.requestId !== '') ops.push({ type: 'del', key: KEY_REQUEST + meta.requestId });
    this.shards.delete(meta.id);
    this.broadcasts.delete(meta.id);
    this.finished.delete(meta.id);
    if (meta.audienceId !== meta.id) removeFrom(this.audienceUsers, meta.audienceId, meta.id);
    this.purgedIds.set(meta.id, meta.finishedAtUnixMs);
    if (this.purgedIds.size > PURGED_REMEMBERED_MAX) this.purgedIds.delete(this.purgedIds.keys().next().value!);
    this.effects.purged.push({ broadcastId: meta.id, clusterId: meta.clusterId, audienceId: meta.audienceId, requestId: meta.requestId, finishedAtUnixMs: meta.finishedAtUnixMs });
    return entry.byId.size;
  }

  private notFound(id: string): string {
    return this.purgedReason(id) ?? `broadcast ${id} does not exist`;
  }

  private addBroadcast(meta: BroadcastMeta): void {
    this.broadcasts.set(meta.id, meta);
    this.shards.set(meta.id, { byId: new Map(), undone: 0 });
    if (meta.audienceId !== meta.id) addTo(this.audienceUsers, meta.audienceId, meta.id);
  }

  private addShard(meta: BroadcastMeta, range: SequenceRange): Shard {
    const shard: Shard = { broadcastId: meta.id, shardId: meta.nextShardId++, start: range.start, end: range.end, state: 'PENDING', owner: '', epoch: 0, watermark: range.start, delivered: 0, skipped: 0, dead: 0 };
    this.shards.get(meta.id)!.byId.set(shard.shardId, shard);
    this.runtime.set(shard, { sentAtMs: 0, reportedAtMs: Number.NEGATIVE_INFINITY, readFrontier: range.start });
    this.index(shard);
    this.persistShard(shard);
    return shard;
  }

  /** The shards a node holds, in a stable order (broadcast creation, then shard id), as a copy. */
  private heldBy(nodeKey: string): Shard[] {
    const held = this.heldByOwner.get(nodeKey);
    if (held === undefined) return [];
    return [...held].sort((a, b) => {
      const ma = this.broadcasts.get(a.broadcastId)!;
      const mb = this.broadcasts.get(b.broadcastId)!;
      return ma.createdAtUnixMs - mb.createdAtUnixMs || (ma.id < mb.id ? -1 : ma.id > mb.id ? 1 : 0) || a.shardId - b.shardId;
    });
  }

  /** The one place a shard changes state or owner: keeps the indexes right. */
  private move(shard: Shard, state: ShardStateName, owner: string): void {
    if (shard.state === state && shard.owner === owner) return;
    const leavesOwner = isHeld(shard.state) && (!isHeld(state) || owner !== shard.owner);
    this.unindex(shard);
    if (leavesOwner) this.runtime.get(shard)!.reportedAtMs = Number.NEGATIVE_INFINITY;
    shard.state = state;
    shard.owner = owner;
    this.index(shard);
  }

  private index(shard: Shard): void {
    if (shard.state !== 'DONE') this.shards.get(shard.broadcastId)!.undone += 1;
    if (shard.state === 'PENDING') addTo(this.pendingByBroadcast, shard.broadcastId, shard);
    else if (isHeld(shard.state)) addTo(this.heldByOwner, shard.owner, shard);
  }

  private unindex(shard: Shard): void {
    if (shard.state !== 'DONE') this.shards.get(shard.broadcastId)!.undone -= 1;
    if (shard.state === 'PENDING') removeFrom(this.pendingByBroadcast, shard.broadcastId, shard);
    else if (isHeld(shard.state)) removeFrom(this.heldByOwner, shard.owner, shard);
  }

  private persistShard(shard: Shard): void {
    // The whole shard is written: its progress is checkpointed too.
    this.dirty.delete(shard);
    this.effects.persist.push({ type: 'put', key: shardKey(shard.broadcastId, shard.shardId), value: JSON.stringify(shard) });
    this.effects.changed.add(shard.broadcastId);
  }

  private persistMeta(meta: BroadcastMeta): void {
    this.effects.persist.push({ type: 'put', key: broadcastKey(meta.id), value: JSON.stringify(meta) });
    this.effects.changed.add(meta.id);
  }
}

function isRunnable(meta: BroadcastMeta, wallMs: number): boolean {
  return (meta.state === 'PENDING' || meta.state === 'RUNNING') && meta.options.notBeforeUnixMs <= wallMs;
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

function sameIndex<K, V>(name: string, actual: Map<K, Set<V>>, expected: Map<K, Set<V>>): void {
  assert(actual.size === expected.size, `${name} index has ${actual.size} keys, a full scan ${expected.size}`);
  for (const [key, set] of expected) {
    const have = actual.get(key);
    assert(have !== undefined && have.size === set.size && [...set].every((v) => have.has(v)), `${name} index differs from a full scan at ${String(key)}`);
  }
}

/** A retention for messages: whole hours, minutes or seconds when it is one, else ms. */
export function describeDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** Why a report from a shard's owner cannot be true, or undefined when it can. */
function checkReport(shard: Shard, report: ShardProgressDomain): string | undefined {
  const { watermark, delivered, skipped, dead } = report;
  for (const [name, value] of [['watermark', watermark], ['delivered', delivered], ['skipped', skipped], ['dead', dead]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) return `${name} ${value} is not a count`;
  }
  if (watermark > shard.end) return `watermark ${watermark} is past the shard's end ${shard.end}`;
  if (delivered + skipped + dead !== watermark - shard.start) {
    return `counts ${delivered}+${skipped}+${dead} do not add up to the ${watermark - shard.start} final sequences [${shard.start}, ${watermark})`;
  }
  if (delivered < shard.delivered || skipped < shard.skipped || dead < shard.dead) {
    return `counts ${delivered}/${skipped}/${dead} are below the checkpointed ${shard.delivered}/${shard.skipped}/${shard.dead}`;
  }
  return undefined;
}

function emptyEffects(): SchedulerEffects {
  return { persist: [], send: [], changed: new Set(), takeovers: [], splits: [], purged: [] };
}
