/**
 * The relay's aggregation logic, pure. Leaves (nodes) send packets on their
 * sessions; every flush the relay forwards ONE batch upstream with the
 * latest liveness of each leaf that spoke, the age of that packet on the
 * relay's own clock, and the control messages (attach, leave) in order.
 * Acks coming back are turned into per-leaf renewals and deliveries.
 *
 * Everything is bounded: one table entry per leaf (leavesMax), one pending
 * control message per leaf, batchEntriesMax entries per batch (detached
 * keys, control messages and liveness together) and batchBytesMax bytes, and
 * batchesInFlightMax unacknowledged batches.
 */
import { RELAY_BATCH_BYTES_MAX_DEFAULT } from '../../protocol/limits';
import { assert } from '../../protocol/errors';
import type { Clock } from '../../platform/clock';
import type { NodeMessage__Output } from '../../protocol/generated/relaycast/v1/NodeMessage';
import type { SessionMessage } from '../../protocol/generated/relaycast/v1/SessionMessage';
import type { LeafBatch } from '../../protocol/generated/relaycast/v1/LeafBatch';
import type { LeafLiveness } from '../../protocol/generated/relaycast/v1/LeafLiveness';
import type { LeafMessage } from '../../protocol/generated/relaycast/v1/LeafMessage';
import type { BatchAck__Output } from '../../protocol/generated/relaycast/v1/BatchAck';
import type { Attach__Output } from '../../protocol/generated/relaycast/v1/Attach';
import type { ShardProgress__Output } from '../../protocol/generated/relaycast/v1/ShardProgress';

export interface AggregatorConfig {
  batchEntriesMax: number;
  batchesInFlightMax: number;
  leavesMax: number;
  /**
   * A batch also ends before its estimated encoded size passes this
   * (default BATCH_BYTES_MAX_DEFAULT). The coordinator refuses a message over
   * gRPC's limit, and a refused batch drops the link; after the re-link every
   * leaf is announced again, in a batch just as large, forever.
   */
  batchBytesMax?: number;
}

/** Half of gRPC's 16 MiB message limit. */
export const BATCH_BYTES_MAX_DEFAULT = RELAY_BATCH_BYTES_MAX_DEFAULT;
/** Framing and numbers of one entry, generously. */
const ENTRY_OVERHEAD_BYTES = 64;

/** An upper bound of a string's UTF-8 size. */
const textBytes = (text: string | undefined | null): number => (text?.length ?? 0) * 3;

function progressBytes(progress: readonly ShardProgress__Output[]): number {
  let bytes = 0;
  for (const p of progress) bytes += textBytes(p.broadcastId) + ENTRY_OVERHEAD_BYTES;
  return bytes;
}

function controlBytes(key: string, message: NodeMessage__Output): number {
  let bytes = textBytes(key) + ENTRY_OVERHEAD_BYTES;
  const register = message.attach?.register;
  if (register) {
    bytes += textBytes(register.clusterId) + textBytes(register.nodeId) + textBytes(register.instanceId) + textBytes(register.address);
    for (const label of register.labels ?? []) bytes += textBytes(label.key) + textBytes(label.value) + ENTRY_OVERHEAD_BYTES;
  }
  return bytes;
}

export type SessionId = number;

/** Something to do on one leaf session. */
export interface LeafAction {
  sessionId: SessionId;
  message?: SessionMessage;
  /** End the session with this gRPC status code (0 = OK). */
  close?: { code: number; message: string };
}

/** gRPC status codes used by the relay itself. */
const ABORTED = 10;
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;

interface Leaf {
  key: string;
  sessionId: SessionId;
  attach: Attach__Output;
  epoch: number;
  welcomed: boolean;
  lastPacketMs: number;
  seq: number;
  /** Shard progress from the latest packet (cumulative: only the newest matters). */
  progress: ShardProgress__Output[];
}

interface InFlight {
  liveness: Array<{ key: string; sessionId: SessionId; seq: number; epoch: number }>;
  /** Which session each forwarded control message came from: replies go only to it. */
  control: Map<string, SessionId>;
}

export class Aggregator {
  private readonly leaves = new Map<string, Leaf>();
  private readonly keyBySession = new Map<SessionId, string>();
  /** Leaves with liveness not yet forwarded, in arrival order. */
  private readonly dirty = new Set<string>();
  /** One pending control message per leaf, in arrival order. */
  private readonly control = new Map<string, { message: NodeMessage__Output; atMs: number }>();
  private readonly detached = new Set<string>();
  private readonly inFlight = new Map<number, InFlight>();
  private nextBatchId = 1;
  private upstreamReady = false;
  private actions: LeafAction[] = [];

  constructor(
    private readonly config: AggregatorConfig,
    private readonly clock: Clock,
  ) {
    assert(config.batchEntriesMax > 0 && config.batchesInFlightMax > 0 && config.leavesMax > 0, 'positive limits');
  }

  get leafCount(): number {
    return this.leaves.size;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get pendingCount(): number {
    return this.dirty.size + this.control.size;
  }

  take(): LeafAction[] {
    const taken = this.actions;
    this.actions = [];
    return taken;
  }

  /** A packet from a leaf session. */
  onLeafMessage(sessionId: SessionId, message: NodeMessage__Output): void {
    const now = this.clock.monotonicMs();
    const key = this.keyBySession.get(sessionId);
    if (key === undefined) {
      if (message.msg !== 'attach' || !message.attach?.register) {
        return this.close(sessionId, INVALID_ARGUMENT, 'the first message on a session must be attach');
      }
      return this.attach(sessionId, message.attach, now);
    }
    const leaf = this.leaves.get(key)!;
    if (message.msg === 'liveness' && message.liveness) {
      leaf.lastPacketMs = now;
      leaf.seq = message.liveness.seq;
      leaf.epoch = message.liveness.leaseEpoch;
      leaf.progress = message.liveness.progress;
      this.dirty.add(key);
    } else if (message.msg === 'leave' && message.leave) {
      this.dirty.delete(key);
      this.control.delete(key);
      this.control.set(key, { message, atMs: now });
    } else {
      this.close(sessionId, INVALID_ARGUMENT, `session is attached as ${key}; unexpected ${message.msg ?? 'empty'} message`);
    }
  }

  onLeafClosed(sessionId: SessionId): void {
    const key = this.keyBySession.get(sessionId);
    this.keyBySession.delete(sessionId);
    if (key === undefined) return;
    const leaf = this.leaves.get(key);
    if (leaf?.sessionId !== sessionId) return;
    this.leaves.delete(key);
    this.dirty.delete(key);
    // A leave sent just before the session closed must still reach the
    // coordinator (a node half-closes right after leaving); anything else
    // pending for the leaf is moot now.
    if (this.control.get(key)?.message.msg !== 'leave') this.control.delete(key);
    if (this.detached.size < this.config.leavesMax) this.detached.add(key);
  }

  /**
   * The upstream link is (re-)established: re-announce every known leaf,
   * including those whose attach was in flight on the lost link.
   */
  onUpstreamReady(): void {
    this.upstreamReady = true;
    this.inFlight.clear();
    const now = this.clock.monotonicMs();
    for (const leaf of this.leaves.values()) {
      if (this.control.has(leaf.key)) continue;
      this.control.set(leaf.key, { message: { msg: 'attach', attach: { ...leaf.attach, leaseEpoch: leaf.epoch } }, atMs: now });
    }
  }

  onUpstreamLost(): void {
    this.upstreamReady = false;
    this.inFlight.clear();
  }

  /** The next batch to send upstream, or undefined when the link is down or too many are unacknowledged. */
  flush(): LeafBatch | undefined {
    if (!this.upstreamReady || this.inFlight.size >= this.config.batchesInFlightMax) return undefined;
    const now = this.clock.monotonicMs();
    const room = this.config.batchEntriesMax;
    const bytesMax = this.config.batchBytesMax ?? BATCH_BYTES_MAX_DEFAULT;
    let bytes = 0;
    // At least one entry goes in every batch, whatever its size, so the queue always moves.
    const full = (entries: number, size: number) => entries >= room || (entries > 0 && bytes + size > bytesMax);
    const detached: string[] = [];
    for (const key of this.detached) {
      const size = textBytes(key) + ENTRY_OVERHEAD_BYTES;
      if (full(detached.length, size)) break;
      bytes += size;
      detached.push(key);
      this.detached.delete(key);
    }
    const flight: InFlight = { liveness: [], control: new Map() };
    const messages: LeafMessage[] = [];
    for (const [key, pending] of this.control) {
      const size = controlBytes(key, pending.message);
      if (full(detached.length + messages.length, size)) break;
      bytes += size;
      messages.push({ nodeKey: key, message: pending.message, ageMs: Math.max(0, Math.round(now - pending.atMs)) });
      const leaf = this.leaves.get(key);
      if (leaf !== undefined) flight.control.set(key, leaf.sessionId);
      this.control.delete(key);
    }
    const liveness: LeafLiveness[] = [];
    for (const key of this.dirty) {
      const leaf = this.leaves.get(key)!;
      const size = textBytes(key) + ENTRY_OVERHEAD_BYTES + progressBytes(leaf.progress);
      if (full(detached.length + messages.length + liveness.length, size)) break;
      bytes += size;
      this.dirty.delete(key);
      liveness.push({ nodeKey: key, leaseEpoch: leaf.epoch, seq: leaf.seq, ageMs: Math.max(0, Math.round(now - leaf.lastPacketMs)), progress: leaf.progress });
      flight.liveness.push({ key, sessionId: leaf.sessionId, seq: leaf.seq, epoch: leaf.epoch });
    }
    const batchId = this.nextBatchId++;
    this.inFlight.set(batchId, flight);
    return { batchId, liveness, messages, detached };
  }

  /** The coordinator's answer to a batch (batch id 0: unsolicited deliveries). */
  onBatchAck(ack: BatchAck__Output): void {
    const rejected = new Map(ack.rejected.map((r) => [r.nodeKey, r]));
    const flight = this.inFlight.get(ack.batchId);
    this.inFlight.delete(ack.batchId);
    for (const entry of flight?.liveness ?? []) {
      const leaf = this.leaves.get(entry.key);
      if (leaf === undefined || leaf.sessionId !== entry.sessionId) continue;
      const rejection = rejected.get(entry.key);
      if (rejection === undefined) {
        this.actions.push({ sessionId: entry.sessionId, message: { renewed: { seq: entry.seq, leaseEpoch: entry.epoch } } });
      } else {
        this.actions.push({ sessionId: entry.sessionId, message: { lost: { leaseEpoch: entry.epoch, reason: rejection.message } }, close: { code: rejection.code, message: rejection.message } });
      }
    }
    for (const delivery of ack.deliveries) {
      const leaf = this.leaves.get(delivery.nodeKey);
      if (leaf === undefined) continue;
      // A reply to a control message from a session that has since been replaced is stale.
      const origin = flight?.control.get(delivery.nodeKey);
      if (origin !== undefined && origin !== leaf.sessionId) continue;
      const message = delivery.message;
      if (message?.msg === 'welcome' && message.welcome?.registration) {
        leaf.welcomed = true;
        leaf.epoch = message.welcome.registration.leaseEpoch;
      }
      const action: LeafAction = { sessionId: leaf.sessionId };
      if (message !== null) action.message = message as SessionMessage;
      if (delivery.closeCode !== 0 || delivery.closeMessage !== '') action.close = { code: delivery.closeCode, message: delivery.closeMessage };
      this.actions.push(action);
    }
  }

  private attach(sessionId: SessionId, attach: Attach__Output, now: number): void {
    const register = attach.register!;
    const key = `${register.clusterId}/${register.nodeId}`;
    const existing = this.leaves.get(key);
    if (existing === undefined && this.leaves.size >= this.config.leavesMax) {
      return this.close(sessionId, RESOURCE_EXHAUSTED, `relay is full (${this.config.leavesMax} leaves); use another relay`);
    }
    if (existing !== undefined) {
      // One live session per leaf: the newer wins.
      this.keyBySession.delete(existing.sessionId);
      this.close(existing.sessionId, ABORTED, 'superseded by a newer session of the same node on this relay');
    }
    this.keyBySession.set(sessionId, key);
    this.detached.delete(key);
    this.leaves.set(key, { key, sessionId, attach, epoch: attach.leaseEpoch, welcomed: false, lastPacketMs: now, seq: 0, progress: [] });
    this.dirty.delete(key);
    this.control.delete(key);
    this.control.set(key, { message: { msg: 'attach', attach }, atMs: now });
  }

  private close(sessionId: SessionId, code: number, message: string): void {
    this.actions.push({ sessionId, close: { code, message } });
  }
}
