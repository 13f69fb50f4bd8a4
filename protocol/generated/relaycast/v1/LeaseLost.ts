// Original file: proto/relaycast/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The lease is gone (declared DOWN, or superseded); stop work and re-attach.
 */
export interface LeaseLost {
  'leaseEpoch'?: (number | string | Long);
  'reason'?: (string);
  /**
   * The node was drained by an operator: stop, do not register again.
   */
  'drained'?: (boolean);
}

/**
 * The lease is gone (declared DOWN, or superseded); stop work and re-attach.
 */
export interface LeaseLost__Output {
  'leaseEpoch': (number);
  'reason': (string);
  /**
   * The node was drained by an operator: stop, do not register again.
   */
  'drained': (boolean);
}
