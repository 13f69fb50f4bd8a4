// Original file: proto/relaycast/gateway/v1/simulator.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One sender is one lease: the same node key, process instance and lease
 * epoch. Calls without relaycast-* metadata are kept under an empty node key.
 */
export interface SenderStats {
  'nodeKey'?: (string);
  'instanceId'?: (string);
  'leaseEpoch'?: (number | string | Long);
  /**
   * Deliver calls that arrived (refused ones included: a call from a fenced
   * node is a fault whether or not the gateway was up).
   */
  'deliverCalls'?: (number | string | Long);
  /**
   * Items in those calls.
   */
  'attempts'?: (number | string | Long);
  'firstReceivedUnixMs'?: (number | string | Long);
  'lastReceivedUnixMs'?: (number | string | Long);
  /**
   * The latest lease expiry the sender announced; 0 when it announced none.
   */
  'leaseExpiresUnixMs'?: (number | string | Long);
  /**
   * Items of calls made after the lease expiry named in the same call: the
   * node delivered without a valid lease (its self-fencing is broken).
   */
  'attemptsSentAfterLeaseExpiry'?: (number | string | Long);
  /**
   * Items that arrived after received_after_unix_ms (0 when not asked).
   */
  'attemptsReceivedAfter'?: (number | string | Long);
  /**
   * False when calls older than the simulator keeps per sender may also
   * have arrived after received_after_unix_ms: the count is then a lower
   * bound.
   */
  'receivedAfterExact'?: (boolean);
  /**
   * Items of calls that arrived after the lease expiry named in the same
   * call, however late they were made: held up between the node's lease
   * check and the wire (a paused process), or sent late.
   */
  'attemptsArrivedAfterLeaseExpiry'?: (number | string | Long);
  /**
   * Items of calls the simulator refused because they arrived after their
   * lease expired (with --expired-lease-calls refuse).
   */
  'attemptsRefusedLeaseExpired'?: (number | string | Long);
  /**
   * Of those, the items of calls the simulator did not refuse for their lease.
   */
  'attemptsAcceptedAfter'?: (number | string | Long);
}

/**
 * One sender is one lease: the same node key, process instance and lease
 * epoch. Calls without relaycast-* metadata are kept under an empty node key.
 */
export interface SenderStats__Output {
  'nodeKey': (string);
  'instanceId': (string);
  'leaseEpoch': (number);
  /**
   * Deliver calls that arrived (refused ones included: a call from a fenced
   * node is a fault whether or not the gateway was up).
   */
  'deliverCalls': (number);
  /**
   * Items in those calls.
   */
  'attempts': (number);
  'firstReceivedUnixMs': (number);
  'lastReceivedUnixMs': (number);
  /**
   * The latest lease expiry the sender announced; 0 when it announced none.
   */
  'leaseExpiresUnixMs': (number);
  /**
   * Items of calls made after the lease expiry named in the same call: the
   * node delivered without a valid lease (its self-fencing is broken).
   */
  'attemptsSentAfterLeaseExpiry': (number);
  /**
   * Items that arrived after received_after_unix_ms (0 when not asked).
   */
  'attemptsReceivedAfter': (number);
  /**
   * False when calls older than the simulator keeps per sender may also
   * have arrived after received_after_unix_ms: the count is then a lower
   * bound.
   */
  'receivedAfterExact': (boolean);
  /**
   * Items of calls that arrived after the lease expiry named in the same
   * call, however late they were made: held up between the node's lease
   * check and the wire (a paused process), or sent late.
   */
  'attemptsArrivedAfterLeaseExpiry': (number);
  /**
   * Items of calls the simulator refused because they arrived after their
   * lease expired (with --expired-lease-calls refuse).
   */
  'attemptsRefusedLeaseExpired': (number);
  /**
   * Of those, the items of calls the simulator did not refuse for their lease.
   */
  'attemptsAcceptedAfter': (number);
}
