/**
 * The membership registry and failure detector: a pure, synchronous state
 * machine. Inputs are calls (register, attach, liveness, tick, …) with the
 * current monotonic time; outputs accumulate in an Effects batch that the
 * shell takes with takeEffects(), persists, and only then publishes.
 *
 * No I/O, timers or wall-clock reads happen here; the clock is injected.
 *
 * Bounded: liveness, the relay indexes and the live relay set hold live
 * members only; a member that is DOWN or LEFT is kept (for ListNodes, and
 * so that it can register again with a higher epoch) for memberRetentionMs
 * and then deleted without an event.
 */
import { assert, fail, ok, type ErrorCode, type Result } from '../../protocol/errors';
import type { BatchOp } from '../../platform/store/store';
import {
  CAPACITY_WEIGHT_MAX,
  checkAddress,
  checkId,
  checkInstanceId,
  checkLabels,
  memberKey,
  type LabelPair,
} from '../../protocol/validate';

export type MemberState = 'ALIVE' | 'SUSPECT' | 'DOWN' | 'DRAINING' | 'LEFT';
export type MemberKindName = 'NODE' | 'RELAY';
export type EventTypeName = 'REGISTERED' | 'SUSPECT' | 'RECOVERED' | 'DOWN' | 'DRAINING' | 'LEFT';

/** Persisted per member. Liveness times are not persisted: they are rebuilt on load. */
export interface MemberRecord {
  key: string;
  clusterId: string;
  memberId: string;
  kind: MemberKindName;
  instanceId: string;
  address: string;
  labels: LabelPair[];
  capacityWeight: number;
  epoch: number;
  state: MemberState;
  stateRevision: number;
  /** When it went DOWN or LEFT (wall clock), for the member retention; absent while live. */
  goneAtUnixMs?: number;
}

export interface MembershipEvent {
  revision: number;
  type: EventTypeName;
  member: MemberRecord;
  reason: string;
  atUnixMs: number;
}

/** Where a member's packets arrive from: a direct session or a relay link. */
export type RouteId = string;

export interface Outbound {
  route: RouteId;
  key: string;
  message:
    | { kind: 'lost'; epoch: number; reason: string; drained?: boolean }
    | { kind: 'close'; code: ErrorCode; reason: string };
}

export interface Effects {
  persist: BatchOp[];
  events: MembershipEvent[];
  send: Outbound[];
}

export interface RegistryConfig {
  heartbeatIntervalMs: number;
  suspectAfterMs: number;
  downAfterMs: number;
  leaseTtlMs: number;
  /**
   * A member whose connection closed and that has not re-attached is DOWN
   * after leaseTtlMs + this much silence (never later than downAfterMs).
   */
  disconnectedDownMarginMs: number;
  /** After a relay goes silent, its leaves are not declared DOWN before this much time has passed. */
  relayGraceMs: number;
  /** After a coordinator start, nothing is declared DOWN before this much time has passed. */
  restartGraceMs: number;
  eventsRetainedMax: number;
  /** How often tick() is meant to run; a much longer gap is a stall of the coordinator (see STALL_GAP_INTERVALS). */
  failureCheckIntervalMs: number;
  /**
   * A member DOWN or LEFT for this long (wall clock) that has not registered
   * again is deleted. Undefined: kept forever (the simulator; the
   * coordinator always sets it from --member-retention-ms).
   */
  memberRetentionMs?: number;
}

/**
 * Members deleted per tick at most after their retention: a relay's death
 * can make 25,000 members DOWN at once, and they expire together.
 */
export const MEMBERS_FORGOTTEN_PER_TICK_MAX = 10_000;

export type { Clock } from '../../platform/clock';
import type { Clock } from '../../platform/clock';

export interface RegisterInput {
  clusterId: string;
  memberId: string;
  address: string;
  labels: LabelPair[];
  capacityWeight: number;
  instanceId: string;
}

export interface Registration {
  key: string;
  epoch: number;
  revision: number;
  resumed: boolean;
}

/** Storage layout, shared with the shell that loads it. */
import { KEY_MEMBER, KEY_META_REVISION, eventKey } from './keys';
// The store's key layout is coordinator/core/keys.ts; re-exported for the registry's users.
export { KEY_MEMBER, KEY_EVENT, KEY_META_REVISION, eventKey } from './keys';


/**
 * A packet's age (time spent at a relay) counts at most this much. Bounding
 * it lets the failure detector stop scanning at the first recently touched
 * member (see tick()).
 */
export const PACKET_AGE_MAX_MS = 1000;

/**
 * A gap of more than this many check intervals (and at least STALL_GAP_MS_MIN)
 * between two failure checks means the coordinator itself was stalled (a
 * long GC, CPU starvation, SIGSTOP). The packets that arrived meanwhile are
 * still unread — an event loop runs its timers before it polls for I/O — so
 * that check judges nobody; the next one, after the reads, does.
 */
export const STALL_GAP_INTERVALS = 4;
export const STALL_GAP_MS_MIN = 100;

interface Liveness {
  lastSeenMs: number;
  /** When the coordinator last heard of the member; the liveness map is ordered by it. */
  touchedMs: number;
  /** Not DOWN (or SUSPECT) before this time: relay loss or coordinator restart grace. */
  graceUntilMs: number;
  route: RouteId | undefined;
  /** The relay route whose leaf index holds this member (a node last heard through a relay), if any. */
  leafOf: RouteId | undefined;
  /**
   * Its last session ended (the connection closed, as when the process
   * dies) and it has not spoken since: it cannot renew its lease, so it is
   * DOWN once that lease has surely expired rather than after downAfterMs.
   */
  disconnected: boolean;
}

export class Registry {
  private readonly members = new Map<string, MemberRecord>();
  private readonly liveness = new Map<string, Liveness>();
  /** relay route → keys of the leaves it last carried. */
  private readonly leavesByRelay = new Map<RouteId, Set<string>>();
  /** Keys of live relays (a small set, judged first on every tick). */
  private readonly relayKeys = new Set<string>();
  /**
   * DOWN and LEFT members → when they went (wall clock), in that order (by
   * that time after a load), for the member retention.
   */
  private readonly gone = new Map<string, number>();
  private revision = 0;
  /** When tick() last ran (undefined before the first). */
  private lastTickMs: number | undefined;
  private firstRetainedRevision = 1;
  private effects: Effects = { persist: [], events: [], send: [] };

  constructor(
    private readonly config: RegistryConfig,
    private readonly clock: Clock,
  ) {
    assert(config.suspectAfterMs < config.downAfterMs, 'suspectAfterMs < downAfterMs');
    assert(config.leaseTtlMs < config.downAfterMs, 'leaseTtlMs < downAfterMs');
  }

  /** Rebuild from persisted records. Every member gets the restart grace. */
  load(records: Iterable<MemberRecord>, revision: number, firstRetainedRevision: number): void {
    assert(this.members.size === 0, 'load into an empty registry');
    const now = this.clock.monotonicMs();
    const wall = this.clock.wallMs();
    const gone: MemberRecord[] = [];
    for (const record of records) {
      this.members.set(record.key, record);
      if (isLive(record.state)) {
        this.liveness.set(record.key, { lastSeenMs: now, touchedMs: now, graceUntilMs: now + this.config.restartGraceMs, route: undefined, leafOf: undefined, disconnected: false });
        if (record.kind === 'RELAY') this.relayKeys.add(record.key);
      } else {
        // Records written before the retention existed carry no time: their retention starts now.
        record.goneAtUnixMs ??= wall;
        gone.push(record);
      }
    }
    gone.sort((a, b) => a.goneAtUnixMs! - b.goneAtUnixMs!);
    for (const record of gone) this.gone.set(record.key, record.goneAtUnixMs!);
    this.revision = revision;
    this.firstRetainedRevision = firstRetainedRevision;
  }

  takeEffects(): Effects {
    const taken = this.effects;
    if (taken.events.length > 0) {
      taken.persist.push({ type: 'put', key: KEY_META_REVISION, value: JSON.stringify({ revision: this.revision, firstRetained: this.firstRetainedRevision }) });
    }
    this.effects = { persist: [], events: [], send: [] };
    return taken;
  }

  /** True when calls since the last takeEffects() produced something to apply. */
  takeEffectsPending(): boolean {
    const e = this.effects;
    return e.persist.length > 0 || e.events.length > 0 || e.send.length > 0;
  }

  get currentRevision(): number {
    return this.revision;
  }

  get oldestRetainedRevision(): number {
    return this.firstRetainedRevision;
  }

  get(key: string): MemberRecord | undefined {
    return this.members.get(key);
  }

  /** Milliseconds since the member was last heard from, or undefined. */
  ageMs(key: string): number | undefined {
    const live = this.liveness.get(key);
    return live === undefined ? undefined : Math.max(0, this.clock.monotonicMs() - live.lastSeenMs);
  }

  /** Where the member's session is now, if it has one. */
  routeOf(key: string): RouteId | undefined {
    return this.liveness.get(key)?.route;
  }

  /** The relay id (not key) that last carried the member; '' when direct or unknown. */
  relayOf(key: string): string {
    const route = this.liveness.get(key)?.route;
    if (route === undefined || !route.startsWith('relay:') || this.members.get(key)?.kind !== 'NODE') return '';
    return route.slice(route.lastIndexOf('/') + 1);
  }

  /** Members in key order (cluster first), optionally filtered. */
  list(clusterId: string): MemberRecord[] {
    const prefix = clusterId === '' ? '' : `${clusterId}/`;
    return [...this.members.values()].filter((m) => m.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  get size(): number {
    return this.members.size;
  }

  /**
   * Register a member (epoch 0) or resume an existing lease (epoch > 0).
   * Same instance + live lease: idempotent. Other instance + live lease: ALREADY_EXISTS.
   */
  attach(kind: MemberKindName, input: RegisterInput, epoch: number, route: RouteId): Result<Registration> {
    const checked = validateRegister(input);
    if (!checked.ok) return checked;
    const key = memberKey(input.clusterId, input.memberId);
    const existing = this.members.get(key);
    const now = this.clock.monotonicMs();

    if (existing !== undefined && existing.kind !== kind) {
      return fail('ALREADY_EXISTS', `${key} is registered as a ${existing.kind.toLowerCase()}; ids are unique per cluster`);
    }
    if (existing !== undefined && isLive(existing.state)) {
      if (existing.instanceId !== input.instanceId) {
        return fail('ALREADY_EXISTS', `${key} is held by another instance with a live lease (epoch ${existing.epoch}); it can be registered again once that lease is DOWN or LEFT`);
      }
      if (epoch !== 0 && epoch !== existing.epoch) {
        return fail('FAILED_PRECONDITION', `${key}: lease epoch ${epoch} is stale; the current epoch is ${existing.epoch}`);
      }
      this.touch(existing, this.liveness.get(key), now, route, now);
      if (existing.state === 'SUSPECT') this.transition(existing, 'ALIVE', 'RECOVERED', 'liveness resumed');
      return ok({ key, epoch: existing.epoch, revision: this.revision, resumed: true });
    }
    if (epoch !== 0) {
      const why = existing === undefined ? 'is not registered' : `is ${existing.state}`;
      return fail('FAILED_PRECONDITION', `${key} ${why}; lease epoch ${epoch} is no longer valid, register again with lease epoch 0`);
    }
    const record: MemberRecord = {
      key,
      clusterId: input.clusterId,
      memberId: input.memberId,
      kind,
      instanceId: input.instanceId,
      address: input.address,
      labels: checked.value.labels,
      capacityWeight: input.capacityWeight === 0 ? 1 : input.capacityWeight,
      epoch: (existing?.epoch ?? 0) + 1,
      state: 'ALIVE',
      stateRevision: 0,
    };
    this.members.set(key, record);
    this.gone.delete(key);
    this.touch(record, this.liveness.get(key), now, route, now);
    this.emit(record, 'REGISTERED', existing === undefined ? 'registered' : `registered again after ${existing.state}`);
    return ok({ key, epoch: record.epoch, revision: this.revision, resumed: false });
  }

  /**
   * A liveness packet: `ageMs` is how long ago it arrived at the relay (0 when direct).
   * Renews the lease unless the member is gone or the epoch is stale.
   */
  heartbeat(key: string, epoch: number, ageMs: number, route: RouteId): Result<true> {
    const record = this.members.get(key);
    if (record === undefined) return fail('NOT_FOUND', `${key} is not registered; attach first`);
    if (!isLive(record.state)) {
      return fail('FAILED_PRECONDITION', `${key} is ${record.state}; its lease is gone, register again`);
    }
    if (epoch !== record.epoch) {
      return fail('FAILED_PRECONDITION', `${key}: lease epoch ${epoch} is stale; the current epoch is ${record.epoch}`);
    }
    const live = this.liveness.get(key);
    if (live?.route !== undefined && live.route !== route) {
      return fail('ABORTED', `${key}: superseded by a newer session`);
    }
    const now = this.clock.monotonicMs();
    this.touch(record, live, now - Math.min(PACKET_AGE_MAX_MS, Math.max(0, ageMs)), route, now);
    if (record.state === 'SUSPECT') this.transition(record, 'ALIVE', 'RECOVERED', 'liveness resumed');
    return ok(true);
  }

  /** Graceful leave. */
  leave(key: string, instanceId: string, epoch: number): Result<number> {
    const record = this.members.get(key);
    if (record === undefined) return fail('NOT_FOUND', `${key} is not registered`);
    if (record.instanceId !== instanceId) return fail('PERMISSION_DENIED', `${key} is held by another instance`);
    if (!isLive(record.state)) return ok(this.revision);
    if (epoch !== record.epoch) {
      return fail('FAILED_PRECONDITION', `${key}: lease epoch ${epoch} is stale; the current epoch is ${record.epoch}`);
    }
    this.transition(record, 'LEFT', 'LEFT', 'deregistered');
    this.forget(key);
    return ok(this.revision);
  }

  /** A drained member has handed everything back: LEFT, and told to stop. */
  finishDrain(key: string): void {
    const record = this.members.get(key);
    if (record === undefined || record.state !== 'DRAINING') return;
    const route = this.liveness.get(key)?.route;
    this.transition(record, 'LEFT', 'LEFT', 'drained');
    if (route !== undefined) this.effects.send.push({ route, key, message: { kind: 'lost', epoch: record.epoch, reason: 'drained', drained: true } });
    this.forget(key);
  }

  /** A member starts draining: it stays live but takes no new work. */
  drain(key: string, reason: string): Result<number> {
    const record = this.members.get(key);
    if (record === undefined) return fail('NOT_FOUND', `${key} is not registered`);
    if (!isLive(record.state)) return fail('FAILED_PRECONDITION', `${key} is ${record.state}`);
    if (record.state !== 'DRAINING') this.transition(record, 'DRAINING', 'DRAINING', reason);
    return ok(this.revision);
  }

  /**
   * The route (session or relay link) closed; its members keep their lease
   * until they time out. A relay link's leaves get the relay grace (their
   * own sessions are likely fine); a member's own session ending means it
   * can no longer renew (see detached()).
   */
  routeClosed(route: RouteId): void {
    const now = this.clock.monotonicMs();
    const isRelay = route.startsWith('relay:');
    if (isRelay) this.graceLeaves(route, now);
    for (const live of this.liveness.values()) {
      if (live.route !== route) continue;
      live.route = undefined;
      if (!isRelay) live.disconnected = true;
    }
  }

  /**
   * A relay reports that a leaf's session with it ended. Unless the leaf has
   * spoken on another route since, it can renew its lease nowhere: it is
   * DOWN after leaseTtlMs + disconnectedDownMarginMs of silence, when the
   * lease it last held has surely lapsed, instead of downAfterMs. A crashed
   * process is detected sooner; a paused or partitioned one (whose
   * connection stays open) still gets the whole downAfterMs.
   */
  detached(key: string, route: RouteId): void {
    const live = this.liveness.get(key);
    if (live === undefined || live.route !== route) return;
    live.route = undefined;
    live.disconnected = true;
    this.unindexLeaf(key, live);
  }

  /**
   * Advance failure detection to the current time. Relays are judged first,
   * so that the leaves of a relay that just went quiet get their grace
   * before they are judged themselves.
   */
  tick(): void {
    const now = this.clock.monotonicMs();
    const previous = this.lastTickMs;
    this.lastTickMs = now;
    this.forgetExpired();
    const stallGapMs = Math.max(STALL_GAP_MS_MIN, STALL_GAP_INTERVALS * this.config.failureCheckIntervalMs);
    if (previous !== undefined && now - previous > stallGapMs) return;
    for (const key of this.relayKeys) {
      const live = this.liveness.get(key);
      if (live !== undefined) this.judge(key, live, now);
    }
    // Ordered by touchedMs, and lastSeenMs >= touchedMs - PACKET_AGE_MAX_MS:
    // once an entry was touched this recently, it and all after it are fine.
    const horizon = now - (this.config.suspectAfterMs - PACKET_AGE_MAX_MS);
    for (const [key, live] of this.liveness) {
      if (live.touchedMs > horizon) break;
      if (!this.relayKeys.has(key)) this.judge(key, live, now);
    }
  }

  private judge(key: string, live: Liveness, now: number): void {
    const { suspectAfterMs, downAfterMs, leaseTtlMs, disconnectedDownMarginMs } = this.config;
    const silentMs = now - live.lastSeenMs;
    if (silentMs < suspectAfterMs || now < live.graceUntilMs) return;
    const record = this.members.get(key);
    assert(record !== undefined && isLive(record.state), `liveness tracked only for live members (${key})`);
    const downAtMs = live.disconnected ? Math.min(downAfterMs, leaseTtlMs + disconnectedDownMarginMs) : downAfterMs;
    if (silentMs >= downAtMs) {
      // A coarse tick may skip SUSPECT: the leaves still get their grace.
      if (record.kind === 'RELAY' && record.state === 'ALIVE') this.graceLeaves(relayRoute(record.key), now);
      this.transition(record, 'DOWN', 'DOWN', `no liveness for ${Math.round(silentMs)} ms${live.disconnected ? ' (connection closed)' : ''}`);
      this.forget(key);
    } else if (record.state === 'ALIVE') {
      if (record.kind === 'RELAY') this.graceLeaves(relayRoute(record.key), now);
      this.transition(record, 'SUSPECT', 'SUSPECT', `no liveness for ${Math.round(silentMs)} ms`);
    }
  }

  /** Liveness from `record` (whose liveness entry is `live`), on the hot path of every packet. */
  private touch(record: MemberRecord, live: Liveness | undefined, seenMs: number, route: RouteId, now: number): void {
    const key = record.key;
    const previous = live?.route;
    if (live === undefined) {
      this.liveness.set(key, (live = { lastSeenMs: seenMs, touchedMs: now, graceUntilMs: 0, route, leafOf: undefined, disconnected: false }));
      if (record.kind === 'RELAY') this.relayKeys.add(key);
    } else {
      if (seenMs > live.lastSeenMs) live.lastSeenMs = seenMs;
      live.route = route;
      live.disconnected = false;
      live.touchedMs = now;
      // Re-insert: Map iteration order is insertion order, so the map stays
      // ordered by touchedMs and tick() only visits the silent front.
      this.liveness.delete(key);
      this.liveness.set(key, live);
    }
    // Index on every packet, not only on a route change: a relay that came
    // back on the same route starts with an empty index.
    if (record.kind === 'NODE' && route.startsWith('relay:')) {
      // Out of the index of the relay it came through before (even if that
      // route has closed since), so each leaf is in one relay's index at most.
      if (live.leafOf !== route) this.unindexLeaf(key, live);
      let leaves = this.leavesByRelay.get(route);
      if (leaves === undefined) this.leavesByRelay.set(route, (leaves = new Set()));
      leaves.add(key);
      live.leafOf = route;
    } else if (live.leafOf !== undefined) {
      this.unindexLeaf(key, live);
    }
    if (previous === route || previous === undefined) return;
    // One live session per member: the newer wins, the older is closed.
    this.effects.send.push({ route: previous, key, message: { kind: 'close', code: 'ABORTED', reason: `superseded by a newer session via ${describeRoute(route)}` } });
  }

  /** Takes the member out of the leaf index it is in, dropping the relay's entry once it has no leaves. */
  private unindexLeaf(key: string, live: Liveness): void {
    const route = live.leafOf;
    if (route === undefined) return;
    live.leafOf = undefined;
    const leaves = this.leavesByRelay.get(route);
    if (leaves === undefined) return;
    leaves.delete(key);
    if (leaves.size === 0) this.leavesByRelay.delete(route);
  }

  /** Leaves last carried by a relay that went quiet get time to move elsewhere. */
  private graceLeaves(route: RouteId, now: number): void {
    const leaves = this.leavesByRelay.get(route);
    if (leaves === undefined) return;
    for (const key of leaves) {
      const live = this.liveness.get(key);
      if (live !== undefined) live.graceUntilMs = Math.max(live.graceUntilMs, now + this.config.relayGraceMs);
    }
  }

  /** A member that is DOWN or LEFT: no liveness is tracked for it any more. */
  private forget(key: string): void {
    const live = this.liveness.get(key);
    if (live !== undefined) this.unindexLeaf(key, live);
    this.liveness.delete(key);
    this.relayKeys.delete(key);
  }

  /**
   * Deletes members DOWN or LEFT for longer than memberRetentionMs. `gone`
   * is in the order they went, so this looks at the front only; a wall
   * clock that stepped back delays a deletion by at most that step.
   */
  private forgetExpired(): void {
    const retentionMs = this.config.memberRetentionMs;
    if (retentionMs === undefined || this.gone.size === 0) return;
    const horizon = this.clock.wallMs() - retentionMs;
    let deleted = 0;
    for (const [key, goneAtUnixMs] of this.gone) {
      if (goneAtUnixMs > horizon || deleted >= MEMBERS_FORGOTTEN_PER_TICK_MAX) break;
      const record = this.members.get(key);
      assert(record !== undefined && !isLive(record.state), `only a DOWN or LEFT member is retained as gone (${key})`);
      this.gone.delete(key);
      this.members.delete(key);
      this.effects.persist.push({ type: 'del', key: KEY_MEMBER + key });
      deleted += 1;
    }
  }

  /**
   * Debug check for the tests: the liveness, relay and leaf indexes hold
   * live members only, and the gone list is exactly the DOWN and LEFT ones.
   */
  checkIndexes(): void {
    for (const [key, record] of this.members) {
      const live = this.liveness.get(key);
      assert(isLive(record.state) === (live !== undefined), `${key} (${record.state}) ${live === undefined ? 'has no' : 'has'} liveness`);
      assert(!isLive(record.state) === this.gone.has(key), `${key} (${record.state}) is ${this.gone.has(key) ? '' : 'not '}listed as gone`);
      assert(this.gone.get(key) === (isLive(record.state) ? undefined : record.goneAtUnixMs), `${key}: gone time matches the record`);
      assert(this.relayKeys.has(key) === (record.kind === 'RELAY' && isLive(record.state)), `${key}: relay set`);
    }
    assert(this.liveness.size <= this.members.size && this.gone.size <= this.members.size, 'indexes hold known members only');
    for (const key of this.liveness.keys()) assert(this.members.has(key), `liveness of ${key} is for a member`);
    for (const key of this.relayKeys) assert(this.members.has(key), `relay ${key} is a member`);
    for (const [route, leaves] of this.leavesByRelay) {
      assert(leaves.size > 0, `leaf index of ${route} is not empty`);
      for (const key of leaves) assert(this.liveness.get(key)?.leafOf === route, `${key} is indexed under ${route}, where it was last heard`);
    }
    for (const [key, live] of this.liveness) if (live.leafOf !== undefined) assert(this.leavesByRelay.get(live.leafOf)?.has(key) === true, `${key} is in the index of ${live.leafOf}`);
  }

  /** Sizes of what the registry holds, for status and the soak benchmark. */
  sizes(): { members: number; live: number; gone: number; relayLeafIndexes: number } {
    return { members: this.members.size, live: this.liveness.size, gone: this.gone.size, relayLeafIndexes: this.leavesByRelay.size };
  }

  private transition(record: MemberRecord, state: MemberState, type: EventTypeName, reason: string): void {
    record.state = state;
    if (!isLive(state)) {
      record.goneAtUnixMs = this.clock.wallMs();
      this.gone.delete(record.key);
      this.gone.set(record.key, record.goneAtUnixMs);
    }
    this.emit(record, type, reason);
    const live = this.liveness.get(record.key);
    if (state === 'DOWN' && live?.route !== undefined) {
      this.effects.send.push({ route: live.route, key: record.key, message: { kind: 'lost', epoch: record.epoch, reason } });
    }
  }

  private emit(record: MemberRecord, type: EventTypeName, reason: string): void {
    this.revision += 1;
    record.stateRevision = this.revision;
    const event: MembershipEvent = { revision: this.revision, type, member: { ...record, labels: [...record.labels] }, reason, atUnixMs: this.clock.wallMs() };
    const persist = this.effects.persist;
    persist.push({ type: 'put', key: KEY_MEMBER + record.key, value: JSON.stringify(record) });
    persist.push({ type: 'put', key: eventKey(this.revision), value: JSON.stringify(event) });
    // Bounded history: drop the oldest event once over the limit (compaction).
    while (this.revision - this.firstRetainedRevision + 1 > this.config.eventsRetainedMax) {
      persist.push({ type: 'del', key: eventKey(this.firstRetainedRevision) });
      this.firstRetainedRevision += 1;
    }
    this.effects.events.push(event);
  }
}

/** The route of a relay's link, by the relay's member key. */
export function relayRoute(relayKey: string): RouteId {
  return `relay:${relayKey}`;
}

function isLive(state: MemberState): boolean {
  return state === 'ALIVE' || state === 'SUSPECT' || state === 'DRAINING';
}

function describeRoute(route: RouteId): string {
  return route.startsWith('relay:') ? `relay ${route.slice('relay:'.length)}` : 'a direct session';
}

function validateRegister(input: RegisterInput): Result<{ labels: LabelPair[] }> {
  const checks = [
    checkId('cluster_id', input.clusterId),
    checkId('node_id', input.memberId),
    checkInstanceId('instance_id', input.instanceId),
    checkAddress('address', input.address),
  ];
  for (const check of checks) if (!check.ok) return check;
  if (!Number.isInteger(input.capacityWeight) || input.capacityWeight < 0 || input.capacityWeight > CAPACITY_WEIGHT_MAX) {
    return fail('INVALID_ARGUMENT', `capacity_weight must be 0-${CAPACITY_WEIGHT_MAX}, got ${input.capacityWeight}`);
  }
  const labels = checkLabels('labels', input.labels);
  if (!labels.ok) return labels;
  return ok({ labels: labels.value });
}
