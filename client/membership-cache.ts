/**
 * A client-side cache of the membership registry for other services: lists
 * every member once (all pages), then follows the Watch stream, and lists
 * again periodically and after every stream failure.
 *
 * Consistency: every event the coordinator emits bumps the member's
 * `state_revision` to the event's revision, so an event whose revision is not
 * above the cached member's `stateRevision` is already reflected and is
 * skipped. That makes a multi-page list (pages are snapshots at slightly
 * different revisions) followed by a watch from the first page's revision
 * gap-free and free of repeats.
 *
 * Errors never escape: operating errors are emitted as 'warning' (never
 * 'error', so a caller without listeners does not crash) and the cache keeps
 * retrying with jittered exponential back-off.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { backoffDelayMs } from '../platform/backoff';
import { relaycastV1 } from '../protocol/proto';
import { checkId } from '../protocol/validate';
import type { EventType__Output } from '../protocol/generated/relaycast/v1/EventType';
import type { ListNodesResponse__Output } from '../protocol/generated/relaycast/v1/ListNodesResponse';
import type { Member__Output } from '../protocol/generated/relaycast/v1/Member';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';

/** A member as the coordinator reports it (loader output: longs as numbers, enums as strings). */
export type CachedMember = Readonly<Member__Output>;

export interface MembershipCacheOptions {
  /** Coordinator HOST:PORT. The cache creates (and on close() closes) its own client. Give this or `client`. */
  address?: string;
  /** An existing client; the cache uses it but never closes it. Give this or `address`. */
  client?: MembershipClient;
  /** Cluster to cache; '' caches every cluster. */
  clusterId: string;
  /** Full re-list (and re-watch) interval. Default 30 000. */
  refreshIntervalMs?: number;
  /** ListNodes page size (1..5000). Default 1000. */
  pageSize?: number;
  /** Deadline for each ListNodes call. Default 10 000. */
  callTimeoutMs?: number;
  /** First retry delay after a failure (jittered, doubling). Default 100. */
  backoffMinMs?: number;
  /** Largest retry delay. Default 5000. A watch open this long resets the back-off. */
  backoffMaxMs?: number;
  /** Random source in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
}

/** Event types from the Watch stream, plus REMOVED when a re-list no longer has a member (coordinator lost its data). */
export type MembershipChangeType = EventType__Output | 'REMOVED';

export interface MembershipChange {
  /** The watch event's type, or for a re-list difference the type implied by the new state. */
  type: MembershipChangeType;
  /** The member as of this change (for REMOVED: as last known). */
  member: CachedMember;
  /** The cached member before this change; undefined when it was unknown. */
  previous: CachedMember | undefined;
  /** The event's revision, or the list's revision for a re-list difference. */
  revision: number;
  source: 'watch' | 'list';
  /** The coordinator's reason for a watch event; '' for re-list differences. */
  reason: string;
}

export interface MembershipSync {
  /** Revision the cache follows the watch from (the first page's revision). */
  revision: number;
  /** Members in the table after the list. */
  members: number;
}

export type MembershipCacheEvents = {
  /** A member changed: one per applied watch event or re-list difference. */
  change: [MembershipChange];
  /** A full list completed and the watch was (re)opened. */
  sync: [MembershipSync];
  /** An operating error (list failed, stream broke, OUT_OF_RANGE); the cache retries by itself. */
  warning: [Error];
};

export const MEMBERSHIP_CACHE_DEFAULTS = {
  refreshIntervalMs: 30_000,
  pageSize: 1000,
  callTimeoutMs: 10_000,
  backoffMinMs: 100,
  backoffMaxMs: 5_000,
} as const;

const PAGE_SIZE_MAX = 5000;

function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`MembershipCache: ${name} must be a whole number in 1..${max}, got ${value}`);
  }
  return value;
}

/** Healthy = a NODE (not a relay) that still holds a lease: ALIVE or SUSPECT. */
export function isHealthyMember(member: CachedMember): boolean {
  return member.kind === 'MEMBER_KIND_NODE' && (member.state === 'NODE_STATE_ALIVE' || member.state === 'NODE_STATE_SUSPECT');
}

function byKey(a: CachedMember, b: CachedMember): number {
  return a.nodeKey < b.nodeKey ? -1 : a.nodeKey > b.nodeKey ? 1 : 0;
}

function sameMember(a: CachedMember, b: CachedMember): boolean {
  return (
    a.state === b.state &&
    a.kind === b.kind &&
    a.leaseEpoch === b.leaseEpoch &&
    a.stateRevision === b.stateRevision &&
    a.address === b.address &&
    a.capacityWeight === b.capacityWeight
  );
}

/** The event type a re-list difference stands for. */
function impliedType(member: CachedMember, previous: CachedMember | undefined): EventType__Output {
  switch (member.state) {
    case 'NODE_STATE_ALIVE':
      return previous?.state === 'NODE_STATE_SUSPECT' && previous.leaseEpoch === member.leaseEpoch ? 'EVENT_TYPE_RECOVERED' : 'EVENT_TYPE_REGISTERED';
    case 'NODE_STATE_SUSPECT':
      return 'EVENT_TYPE_SUSPECT';
    case 'NODE_STATE_DOWN':
      return 'EVENT_TYPE_DOWN';
    case 'NODE_STATE_DRAINING':
      return 'EVENT_TYPE_DRAINING';
    case 'NODE_STATE_LEFT':
      return 'EVENT_TYPE_LEFT';
    default:
      return 'EVENT_TYPE_UNSPECIFIED';
  }
}

export class MembershipCache extends EventEmitter<MembershipCacheEvents> {
  private readonly client: MembershipClient;
  private readonly ownsClient: boolean;
  private readonly clusterId: string;
  private readonly refreshIntervalMs: number;
  private readonly pageSize: number;
  private readonly callTimeoutMs: number;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly random: () => number;

  private readonly members = new Map<string, CachedMember>();
  private healthyCache: CachedMember[] | undefined;
  private allCache: CachedMember[] | undefined;
  private currentRevision = 0;

  private startPromise: Promise<void> | undefined;
  private settleStart: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private closed = false;
  /** The one pending timer: the periodic refresh or a back-off retry. */
  private timer: NodeJS.Timeout | undefined;
  private listCall: grpc.ClientUnaryCall | undefined;
  private stream: grpc.ClientReadableStream<WatchEvent__Output> | undefined;
  private watchOpenedAtMs = 0;
  private failures = 0;

  constructor(options: MembershipCacheOptions) {
    super();
    if ((options.address === undefined) === (options.client === undefined)) {
      throw new TypeError('MembershipCache: give exactly one of `address` and `client`');
    }
    if (options.clusterId !== '') {
      const check = checkId('clusterId', options.clusterId);
      if (!check.ok) throw new TypeError(`MembershipCache: ${check.error.message}`);
    }
    this.clusterId = options.clusterId;
    this.refreshIntervalMs = positiveInt('refreshIntervalMs', options.refreshIntervalMs ?? MEMBERSHIP_CACHE_DEFAULTS.refreshIntervalMs);
    this.pageSize = positiveInt('pageSize', options.pageSize ?? MEMBERSHIP_CACHE_DEFAULTS.pageSize, PAGE_SIZE_MAX);
    this.callTimeoutMs = positiveInt('callTimeoutMs', options.callTimeoutMs ?? MEMBERSHIP_CACHE_DEFAULTS.callTimeoutMs);
    this.backoffMinMs = positiveInt('backoffMinMs', options.backoffMinMs ?? MEMBERSHIP_CACHE_DEFAULTS.backoffMinMs);
    this.backoffMaxMs = positiveInt('backoffMaxMs', options.backoffMaxMs ?? MEMBERSHIP_CACHE_DEFAULTS.backoffMaxMs);
    if (this.backoffMinMs > this.backoffMaxMs) throw new RangeError('MembershipCache: backoffMinMs must not exceed backoffMaxMs');
    this.random = options.random ?? Math.random;
    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      // Keepalive pings notice a silently dead coordinator long before the next refresh.
      this.client = new (relaycastV1().Membership)(options.address!, grpc.credentials.createInsecure(), {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
      });
      this.ownsClient = true;
    }
  }

  /** Registry revision the table reflects (moves back only if the coordinator lost its data). */
  get revision(): number {
    return this.currentRevision;
  }

  /**
   * Resolves after the first full list (every page). Until then a failing
   * list is retried with back-off (each failure emitted as 'warning'); bound
   * the wait yourself if needed and call close(), which rejects it.
   */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('MembershipCache is closed'));
    if (this.startPromise === undefined) {
      this.startPromise = new Promise<void>((resolve, reject) => {
        this.settleStart = { resolve, reject };
      });
      void this.sync();
    }
    return this.startPromise;
  }

  /** NODE members holding a lease (ALIVE or SUSPECT), sorted by node key. */
  healthy(): CachedMember[] {
    this.healthyCache ??= [...this.members.values()].filter(isHealthyMember).sort(byKey);
    return this.healthyCache.slice();
  }

  /** Every cached member (nodes and relays, any state), sorted by node key. */
  all(): CachedMember[] {
    this.allCache ??= [...this.members.values()].sort(byKey);
    return this.allCache.slice();
  }

  /** The member with this key ("<cluster>/<node>"), in any state. */
  get(nodeKey: string): CachedMember | undefined {
    return this.members.get(nodeKey);
  }

  /** Cancels the stream and any call, clears timers, closes the client if the cache created it. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.cancelWatch();
    const call = this.listCall;
    this.listCall = undefined;
    call?.cancel();
    if (this.ownsClient) this.client.close();
    this.settleStart?.reject(new Error('MembershipCache closed before the first list completed'));
    this.settleStart = undefined;
  }

  // ---- the loop: list → replace → watch; on failure back off and list again ----

  private async sync(): Promise<void> {
    if (this.closed) return;
    this.clearTimer();
    this.cancelWatch();
    let listed: { members: Member__Output[]; revision: number };
    try {
      listed = await this.listAll();
    } catch (err) {
      if (!this.closed) this.failed(err as Error);
      return;
    }
    if (this.closed) return;
    const changes = this.replace(listed.members, listed.revision);
    this.openWatch(listed.revision);
    this.timer = setTimeout(() => void this.sync(), this.refreshIntervalMs);
    this.settleStart?.resolve();
    this.settleStart = undefined;
    // Listeners run last, so one that throws cannot leave the loop half set up.
    for (const change of changes) this.emit('change', change);
    this.emit('sync', { revision: listed.revision, members: this.members.size });
  }

  private failed(err: Error): void {
    if (this.closed) return;
    // A watch that stayed up for a while counts as a success: start the back-off over.
    if (this.watchOpenedAtMs !== 0 && performance.now() - this.watchOpenedAtMs >= this.backoffMaxMs) this.failures = 0;
    this.watchOpenedAtMs = 0;
    this.cancelWatch();
    this.clearTimer();
    const delay = backoffDelayMs(this.failures++, this.backoffMinMs, this.backoffMaxMs, this.random);
    this.timer = setTimeout(() => void this.sync(), delay);
    this.emit('warning', err);
  }

  /** Every page; the revision is the first page's (each later page is at least as new). */
  private async listAll(): Promise<{ members: Member__Output[]; revision: number }> {
    const members: Member__Output[] = [];
    let revision: number | undefined;
    let pageToken = '';
    for (;;) {
      const page = await this.listPage(pageToken);
      revision ??= page.revision;
      members.push(...page.nodes);
      if (page.nextPageToken === '') break;
      if (page.nextPageToken <= pageToken) throw new Error(`ListNodes returned a page token that does not advance (${JSON.stringify(page.nextPageToken)})`);
      pageToken = page.nextPageToken;
    }
    return { members, revision };
  }

  private listPage(pageToken: string): Promise<ListNodesResponse__Output> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('MembershipCache is closed'));
      const call = this.client.listNodes(
        { clusterId: this.clusterId, pageSize: this.pageSize, pageToken },
        { deadline: Date.now() + this.callTimeoutMs },
        (err, response) => {
          if (this.listCall === call) this.listCall = undefined;
          if (err !== null || response === undefined) reject(err ?? new Error('ListNodes returned no response'));
          else resolve(response);
        },
      );
      this.listCall = call;
    });
  }

  private openWatch(afterRevision: number): void {
    const stream = this.client.watch({ clusterId: this.clusterId, afterRevision });
    this.stream = stream;
    this.watchOpenedAtMs = performance.now();
    let ended = false;
    const end = (err: Error): void => {
      if (ended) return;
      ended = true;
      if (this.stream !== stream || this.closed) return; // cancelled by us
      this.stream = undefined;
      this.failed(err);
    };
    stream.on('data', (event: WatchEvent__Output) => {
      if (this.stream !== stream || this.closed) return;
      this.failures = 0;
      this.applyEvent(event);
    });
    // Always keep an 'error' listener: grpc-js emits CANCELLED after cancel().
    stream.on('error', (err: Error) => end(err));
    stream.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) end(new Error('membership watch ended by the server'));
    });
  }

  private cancelWatch(): void {
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // ---- the table ----

  private applyEvent(event: WatchEvent__Output): void {
    if (event.revision > this.currentRevision) this.currentRevision = event.revision;
    const member = event.node;
    if (member === null || member.nodeKey === '') return;
    const previous = this.members.get(member.nodeKey);
    // Already reflected (a later list page, or a replayed event).
    if (previous !== undefined && event.revision <= previous.stateRevision) return;
    this.members.set(member.nodeKey, member);
    this.invalidate();
    this.emit('change', { type: event.type, member, previous, revision: event.revision, source: 'watch', reason: event.reason });
  }

  /** Replaces the table with a full list; returns the differences to emit. */
  private replace(listed: Member__Output[], revision: number): MembershipChange[] {
    const previousTable = new Map(this.members);
    const changes: MembershipChange[] = [];
    this.members.clear();
    for (const member of listed) {
      this.members.set(member.nodeKey, member);
      const previous = previousTable.get(member.nodeKey);
      previousTable.delete(member.nodeKey);
      if (previous === undefined || !sameMember(previous, member)) {
        changes.push({ type: impliedType(member, previous), member, previous, revision, source: 'list', reason: '' });
      }
    }
    for (const gone of previousTable.values()) {
      changes.push({ type: 'REMOVED', member: gone, previous: gone, revision, source: 'list', reason: '' });
    }
    this.currentRevision = revision;
    this.invalidate();
    return changes;
  }

  private invalidate(): void {
    this.healthyCache = undefined;
    this.allCache = undefined;
  }
}
