// Original file: proto/relaycast/v1/session.proto

import type { ShardProgress as _relaycast_v1_ShardProgress, ShardProgress__Output as _relaycast_v1_ShardProgress__Output } from '../../relaycast/v1/ShardProgress';
import type { Long } from '@grpc/proto-loader';

export interface Liveness {
  /**
   * Increases by one per packet of a session; renewals name it.
   */
  'seq'?: (number | string | Long);
  'leaseEpoch'?: (number | string | Long);
  /**
   * Latest progress of every shard the node holds (cumulative, so only the
   * newest report matters).
   */
  'progress'?: (_relaycast_v1_ShardProgress)[];
}

export interface Liveness__Output {
  /**
   * Increases by one per packet of a session; renewals name it.
   */
  'seq': (number);
  'leaseEpoch': (number);
  /**
   * Latest progress of every shard the node holds (cumulative, so only the
   * newest report matters).
   */
  'progress': (_relaycast_v1_ShardProgress__Output)[];
}
