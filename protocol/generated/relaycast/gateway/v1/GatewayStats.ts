// Original file: proto/relaycast/gateway/v1/simulator.proto

import type { Long } from '@grpc/proto-loader';

export interface GatewayStats {
  /**
   * Distinct idempotency keys delivered.
   */
  'uniqueDelivered'?: (number | string | Long);
  /**
   * Deliver items received, every attempt counted.
   */
  'attempts'?: (number | string | Long);
  /**
   * Items whose key had already been delivered (answered DELIVERED, not sent again).
   */
  'duplicates'?: (number | string | Long);
  'retriesReturned'?: (number | string | Long);
  'permanentFailuresReturned'?: (number | string | Long);
  'unreachableReturned'?: (number | string | Long);
  'deliverCalls'?: (number | string | Long);
  'presenceLookups'?: (number | string | Long);
  /**
   * Calls refused during an outage (UNAVAILABLE).
   */
  'outageRejections'?: (number | string | Long);
}

export interface GatewayStats__Output {
  /**
   * Distinct idempotency keys delivered.
   */
  'uniqueDelivered': (number);
  /**
   * Deliver items received, every attempt counted.
   */
  'attempts': (number);
  /**
   * Items whose key had already been delivered (answered DELIVERED, not sent again).
   */
  'duplicates': (number);
  'retriesReturned': (number);
  'permanentFailuresReturned': (number);
  'unreachableReturned': (number);
  'deliverCalls': (number);
  'presenceLookups': (number);
  /**
   * Calls refused during an outage (UNAVAILABLE).
   */
  'outageRejections': (number);
}
