// Original file: proto/relaycast/v1/broadcasts.proto

import type { Long } from '@grpc/proto-loader';

export interface BroadcastCounts {
  'total'?: (number | string | Long);
  'delivered'?: (number | string | Long);
  'skippedUnreachable'?: (number | string | Long);
  'deadLettered'?: (number | string | Long);
  /**
   * Assigned to a node and not final yet.
   */
  'inFlight'?: (number | string | Long);
  /**
   * Not assigned yet.
   */
  'pending'?: (number | string | Long);
}

export interface BroadcastCounts__Output {
  'total': (number);
  'delivered': (number);
  'skippedUnreachable': (number);
  'deadLettered': (number);
  /**
   * Assigned to a node and not final yet.
   */
  'inFlight': (number);
  /**
   * Not assigned yet.
   */
  'pending': (number);
}
