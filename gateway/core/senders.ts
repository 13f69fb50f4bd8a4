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
import { assert } from '../../protocol/errors';
import { checkLease, type SenderIdentity } from '../../protocol/sender-metadata';
// The metadata contract lives in protocol/sender-metadata.ts; re-exported for the simulator's users.
export { ANONYMOUS_SENDER, SENDER_FIELD_LENGTH_MAX, SENDER_METADATA, checkLease, parseSender, senderMetadata, type LeaseCheck, type LeaseIdentity, type SenderIdentity } from '../../protocol/sender-metadata';

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

export const CALLS_PER_SENDER_MAX = 256;

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
