// Original file: proto/relaycast/v1/broadcasts.proto

import type { Long } from '@grpc/proto-loader';

export interface BroadcastOptions {
  /**
   * Recipients per shard (unit of work handed to one node); 0: the coordinator default.
   */
  'shardSize'?: (number);
  /**
   * Skip recipients the gateway reports as not reachable.
   */
  'onlyReachable'?: (boolean);
  /**
   * Higher first when nodes are busy.
   */
  'priority'?: (number);
  /**
   * Do not start before this wall-clock time (0: now).
   */
  'notBeforeUnixMs'?: (number | string | Long);
  /**
   * Deliveries per second across the cluster (0: unlimited).
   */
  'rateLimitPerS'?: (number);
}

export interface BroadcastOptions__Output {
  /**
   * Recipients per shard (unit of work handed to one node); 0: the coordinator default.
   */
  'shardSize': (number);
  /**
   * Skip recipients the gateway reports as not reachable.
   */
  'onlyReachable': (boolean);
  /**
   * Higher first when nodes are busy.
   */
  'priority': (number);
  /**
   * Do not start before this wall-clock time (0: now).
   */
  'notBeforeUnixMs': (number);
  /**
   * Deliveries per second across the cluster (0: unlimited).
   */
  'rateLimitPerS': (number);
}
