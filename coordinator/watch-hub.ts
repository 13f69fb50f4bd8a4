/**
 * Watch streams. Events reach watchers only after they are persisted, so a
 * watcher that resumes from its last revision (even after a restart) gets
 * exactly what it missed: stored history first, then live events, no gap
 * and no repeat.
 */
import type { MembershipEvent } from './core/registry';
import { eventKey } from './core/keys';
import type { KvStore } from '../platform/store/store';
import { fail, ok, type Result } from '../protocol/errors';

/** Watch streams one coordinator serves at most (each holds a buffer of up to bufferEventsMax events). */
export const WATCHERS_MAX = 10_000;

export interface WatchSink {
  write(event: MembershipEvent): void;
  /** Events written but not yet taken by the transport. */
  backlog(): number;
  end(error?: { code: 'RESOURCE_EXHAUSTED'; message: string }): void;
}

interface Watcher {
  clusterPrefix: string;
  sink: WatchSink;
  /** Live events that arrived while history was being replayed. */
  pending: MembershipEvent[] | undefined;
  lastSent: number;
  closed: boolean;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  /** Highest revision persisted and published. */
  private publishedRevision: number;

  constructor(
    private readonly store: KvStore,
    private readonly bufferEventsMax: number,
    initialRevision: number,
    private readonly oldestRetained: () => number,
  ) {
    this.publishedRevision = initialRevision;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Call after the events are durable. */
  publish(events: readonly MembershipEvent[]): void {
    for (const event of events) {
      this.publishedRevision = event.revision;
      for (const watcher of this.watchers) this.offer(watcher, event);
    }
  }

  /**
   * Start a watcher. `afterRevision` undefined: from now on. Fails with
   * OUT_OF_RANGE when the requested history is no longer retained.
   */
  async watch(clusterId: string, afterRevision: number | undefined, sink: WatchSink): Promise<Result<() => void>> {
    if (this.watchers.size >= WATCHERS_MAX) return fail('RESOURCE_EXHAUSTED', `${this.watchers.size} Watch streams are open on this coordinator, the most it serves; retry later`);
    const from = afterRevision ?? this.publishedRevision;
    if (from > this.publishedRevision) {
      return fail('OUT_OF_RANGE', `after_revision ${from} is ahead of the current revision ${this.publishedRevision}`);
    }
    if (from + 1 < this.oldestRetained()) {
      return fail('OUT_OF_RANGE', `revision ${from} is compacted (oldest retained is ${this.oldestRetained()}); list the nodes again and watch from the list's revision`);
    }
    const watcher: Watcher = { clusterPrefix: clusterId === '' ? '' : `${clusterId}/`, sink, pending: [], lastSent: from, closed: false };
    this.watchers.add(watcher);
    const replayTo = this.publishedRevision;
    // Replay stored history (from, replayTo]; live events after replayTo queue in `pending`.
    for await (const [, value] of this.store.scan({ gte: eventKey(from + 1), lt: eventKey(replayTo + 1) })) {
      if (watcher.closed) break;
      this.deliver(watcher, JSON.parse(value) as MembershipEvent);
    }
    const pending = watcher.pending ?? [];
    watcher.pending = undefined;
    for (const event of pending) this.deliver(watcher, event);
    return ok(() => this.remove(watcher));
  }

  closeAll(): void {
    for (const watcher of this.watchers) {
      watcher.closed = true;
      watcher.sink.end();
    }
    this.watchers.clear();
  }

  private offer(watcher: Watcher, event: MembershipEvent): void {
    if (watcher.closed) return;
    if (watcher.pending !== undefined) {
      if (watcher.pending.length >= this.bufferEventsMax) return this.overflow(watcher);
      watcher.pending.push(event);
      return;
    }
    this.deliver(watcher, event);
  }

  private deliver(watcher: Watcher, event: MembershipEvent): void {
    if (watcher.closed || event.revision <= watcher.lastSent) return;
    watcher.lastSent = event.revision;
    if (!event.member.key.startsWith(watcher.clusterPrefix)) return;
    // The transport buffers what the client has not read yet; bound it by
    // ending a watcher that falls too far behind (it can resume).
    if (watcher.sink.backlog() >= this.bufferEventsMax) return this.overflow(watcher);
    watcher.sink.write(event);
  }

  private overflow(watcher: Watcher): void {
    watcher.closed = true;
    this.watchers.delete(watcher);
    watcher.sink.end({ code: 'RESOURCE_EXHAUSTED', message: `watcher fell more than ${this.bufferEventsMax} events behind; resume with after_revision=${watcher.lastSent}` });
  }

  private remove(watcher: Watcher): void {
    watcher.closed = true;
    this.watchers.delete(watcher);
  }
}
