/**
 * Which lease sent each Deliver call, and when the call was made and when
 * it arrived: the outside view of self-fencing. Nodes name themselves in
 * optional call metadata (gRPC) or headers (webhook); a sender is one
 * lease — node key, process instance and lease epoch — so a node that
 * froze, lost its lease and registered again shows up as two senders.
 *
 * Two different faults show here. A call *made* after the lease expiry it
 * names means the node's self-fencing is broken. A call made in time that
 * *arrives* after that expiry was held up between the node's lease check and
 * the wire — a process paused by SIGSTOP or a long GC with a batch half
 * written, HTTP/2 flow control waiting on the paused writer — or on a busy
 * machine, and no check in the sender can prevent that. Only the receiver
 * can: the ledger can refuse such calls (LedgerConfig.refuseExpiredLeases).
 *
 * Times are wall-clock ms since the Unix epoch: the expiry comes from
 * another process, and wall time is the only clock two processes share
 * (exactly on one machine, up to clock skew across machines).
 *
 * Bounded: at most `sendersMax` senders (the least recently active one is
 * forgotten first) and, per sender, the arrival of its last
 * `callsPerSenderMax` calls.
 */
import { assert, fail, ok, type Result } from '../../protocol/errors';

/** Metadata keys (gRPC) and header names (webhook); lower case as HTTP/2 requires. */
export const SENDER_METADATA = {
  nodeKey: 'relaycast-node-key',
  instanceId: 'relaycast-instance-id',
  leaseEpoch: 'relaycast-lease-epoch',
  leaseExpiresUnixMs: 'relaycast-lease-expires-unix-ms',
  sentUnixMs: 'relaycast-sent-unix-ms',
} as const;

/** One lease of one node process, as the node states it. */
export interface LeaseIdentity {
  /** "<cluster>/<node id>"; '' for calls that named no sender. */
  nodeKey: string;
  instanceId: string;
  leaseEpoch: number;
  /** When the lease expires by the node's own reckoning; 0 when not announced. */
  leaseExpiresUnixMs: number;
}

/** A lease plus when this call was made. */
export interface SenderIdentity extends LeaseIdentity {
  /** 0 when not announced. */
  sentUnixMs: number;
}

export interface SenderView {
  nodeKey: string;
  instanceId: string;
  leaseEpoch: number;
  deliverCalls: number;
  attempts: number;
  firstReceivedUnixMs: number;
  lastReceivedUnixMs: number;
  leaseExpiresUnixMs: number;
  attemptsSentAfterLeaseExpiry: number;
  attemptsArrivedAfterLeaseExpiry: number;
  attemptsRefusedLeaseExpired: number;
  attemptsReceivedAfter: number;
  /** Of those, the ones the gateway accepted (did not refuse for the lease). */
  attemptsAcceptedAfter: number;
  receivedAfterExact: boolean;
}

/** How one call stands against the lease it names. */
export interface LeaseCheck {
  /** Made after the expiry it names. */
  sentLate: boolean;
  /** Arrived after the expiry it names (sentLate implies it). */
  arrivedLate: boolean;
}

export const ANONYMOUS_SENDER: SenderIdentity = { nodeKey: '', instanceId: '', leaseEpoch: 0, leaseExpiresUnixMs: 0, sentUnixMs: 0 };
export const SENDER_FIELD_LENGTH_MAX = 256;
export const CALLS_PER_SENDER_MAX = 256;

/**
 * Reads the sender from metadata or headers (`get` returns the first value
 * of a key, or undefined). No relaycast-* key at all is an anonymous
 * caller, which is fine: the metadata is optional. A partial or malformed
 * set is INVALID_ARGUMENT naming the key: a node that means to identify
 * itself should learn that it does not.
 */
export function parseSender(get: (key: string) => string | undefined): Result<SenderIdentity> {
  const raw = {
    nodeKey: get(SENDER_METADATA.nodeKey),
    instanceId: get(SENDER_METADATA.instanceId),
    leaseEpoch: get(SENDER_METADATA.leaseEpoch),
    leaseExpiresUnixMs: get(SENDER_METADATA.leaseExpiresUnixMs),
    sentUnixMs: get(SENDER_METADATA.sentUnixMs),
  };
  if (Object.values(raw).every((v) => v === undefined)) return ok(ANONYMOUS_SENDER);
  for (const field of ['nodeKey', 'instanceId'] as const) {
    const value = raw[field];
    if (value === undefined || value.length === 0 || value.length > SENDER_FIELD_LENGTH_MAX) {
      return fail('INVALID_ARGUMENT', `metadata ${SENDER_METADATA[field]} must be 1-${SENDER_FIELD_LENGTH_MAX} characters when any relaycast-* sender metadata is given`);
    }
  }
  const numbers: Record<'leaseEpoch' | 'leaseExpiresUnixMs' | 'sentUnixMs', number> = { leaseEpoch: 0, leaseExpiresUnixMs: 0, sentUnixMs: 0 };
  for (const field of ['leaseEpoch', 'leaseExpiresUnixMs', 'sentUnixMs'] as const) {
    const value = raw[field];
    if (value === undefined || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
      return fail('INVALID_ARGUMENT', `metadata ${SENDER_METADATA[field]} must be a whole number, got ${JSON.stringify(value ?? null)}`);
    }
    numbers[field] = Number(value);
  }
  return ok({ nodeKey: raw.nodeKey!, instanceId: raw.instanceId!, ...numbers });
}

/** The metadata a sender attaches, as strings (the node's side of parseSender). */
export function senderMetadata(lease: LeaseIdentity, sentUnixMs: number): Array<[string, string]> {
  return [
    [SENDER_METADATA.nodeKey, lease.nodeKey],
    [SENDER_METADATA.instanceId, lease.instanceId],
    [SENDER_METADATA.leaseEpoch, String(lease.leaseEpoch)],
    [SENDER_METADATA.leaseExpiresUnixMs, String(lease.leaseExpiresUnixMs)],
    [SENDER_METADATA.sentUnixMs, String(sentUnixMs)],
  ];
}

/** A call against the expiry it names; anonymous calls and calls without an expiry are never late. */
export function checkLease(sender: SenderIdentity, arrivedUnixMs: number): LeaseCheck {
  const expires = sender.leaseExpiresUnixMs;
  if (expires <= 0) return { sentLate: false, arrivedLate: false };
  return { sentLate: sender.sentUnixMs > expires, arrivedLate: arrivedUnixMs > expires };
}

interface SenderRecord {
  view: Omit<SenderView, 'attemptsReceivedAfter' | 'attemptsAcceptedAfter' | 'receivedAfterExact'>;
  /** Arrival time, item count and refusal of the last calls, oldest first. */
  calls: Array<{ atMs: number; items: number; refused: boolean }>;
  /** Whether older calls were dropped from `calls`. */
  dropped: boolean;
}

export class SenderLog {
  /** Insertion order is activity order: a call moves its sender to the end. */
  private readonly senders = new Map<string, SenderRecord>();
  private evictedCount = 0;

  constructor(
    private readonly sendersMax: number,
    private readonly callsPerSenderMax = CALLS_PER_SENDER_MAX,
  ) {
    assert(Number.isSafeInteger(sendersMax) && sendersMax > 0, 'positive sendersMax');
    assert(Number.isSafeInteger(callsPerSenderMax) && callsPerSenderMax > 0, 'positive callsPerSenderMax');
  }

  get evicted(): number {
    return this.evictedCount;
  }

  get size(): number {
    return this.senders.size;
  }

  /** A Deliver call of `items` items from `sender` arrived at `atMs`; `refused` when the gateway turned it away for its expired lease. */
  record(sender: SenderIdentity, items: number, atMs: number, refused: boolean): void {
    const id = `${sender.nodeKey}\n${sender.instanceId}\n${sender.leaseEpoch}`;
    let record = this.senders.get(id);
    if (record === undefined) {
      if (this.senders.size >= this.sendersMax) {
        this.senders.delete(this.senders.keys().next().value!);
        this.evictedCount++;
      }
      record = {
        view: {
          nodeKey: sender.nodeKey, instanceId: sender.instanceId, leaseEpoch: sender.leaseEpoch, deliverCalls: 0, attempts: 0, firstReceivedUnixMs: atMs, lastReceivedUnixMs: atMs,
          leaseExpiresUnixMs: 0, attemptsSentAfterLeaseExpiry: 0, attemptsArrivedAfterLeaseExpiry: 0, attemptsRefusedLeaseExpired: 0,
        },
        calls: [],
        dropped: false,
      };
    } else {
      this.senders.delete(id);
    }
    this.senders.set(id, record);
    const v = record.view;
    v.deliverCalls++;
    v.attempts += items;
    v.lastReceivedUnixMs = Math.max(v.lastReceivedUnixMs, atMs);
    v.leaseExpiresUnixMs = Math.max(v.leaseExpiresUnixMs, sender.leaseExpiresUnixMs);
    const lease = checkLease(sender, atMs);
    if (lease.sentLate) v.attemptsSentAfterLeaseExpiry += items;
    if (lease.arrivedLate) v.attemptsArrivedAfterLeaseExpiry += items;
    if (refused) v.attemptsRefusedLeaseExpired += items;
    record.calls.push({ atMs, items, refused });
    if (record.calls.length > this.callsPerSenderMax) {
      record.calls.shift();
      record.dropped = true;
    }
  }

  /** Senders (optionally of one node key), least recently active first. */
  list(nodeKey: string, receivedAfterUnixMs: number): SenderView[] {
    const out: SenderView[] = [];
    for (const record of this.senders.values()) {
      if (nodeKey !== '' && record.view.nodeKey !== nodeKey) continue;
      let after = 0;
      let accepted = 0;
      if (receivedAfterUnixMs > 0) {
        for (const call of record.calls) {
          if (call.atMs <= receivedAfterUnixMs) continue;
          after += call.items;
          if (!call.refused) accepted += call.items;
        }
      }
      // Dropped calls are older than every kept one: if the oldest kept call
      // is not after the cut, none of the dropped ones is either.
      const exact = receivedAfterUnixMs <= 0 || !record.dropped || record.calls[0]!.atMs <= receivedAfterUnixMs;
      out.push({ ...record.view, attemptsReceivedAfter: after, attemptsAcceptedAfter: accepted, receivedAfterExact: exact });
    }
    return out;
  }

  clear(): void {
    this.senders.clear();
    this.evictedCount = 0;
  }
}
