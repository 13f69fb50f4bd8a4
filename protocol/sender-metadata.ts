/**
 * The sender metadata contract: every Deliver call (gRPC metadata, or
 * webhook headers) may name the lease it was sent under, so that a gateway
 * can refuse calls that arrive after that lease expired — the receiver's
 * half of fencing (see gateway.proto). Nodes write it (senderMetadata);
 * gateways read it (parseSender) and judge it (checkLease).
 */
import { fail, ok, type Result } from './errors';

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

/** How one call stands against the lease it names. */
export interface LeaseCheck {
  /** Made after the expiry it names. */
  sentLate: boolean;
  /** Arrived after the expiry it names (sentLate implies it). */
  arrivedLate: boolean;
}

export const ANONYMOUS_SENDER: SenderIdentity = { nodeKey: '', instanceId: '', leaseEpoch: 0, leaseExpiresUnixMs: 0, sentUnixMs: 0 };
export const SENDER_FIELD_LENGTH_MAX = 256;
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
