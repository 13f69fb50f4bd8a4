// Original file: proto/relaycast/v1/relay.proto

import type { ShardProgress as _relaycast_v1_ShardProgress, ShardProgress__Output as _relaycast_v1_ShardProgress__Output } from '../../relaycast/v1/ShardProgress';
import type { Long } from '@grpc/proto-loader';

export interface LeafLiveness {
  'nodeKey'?: (string);
  'leaseEpoch'?: (number | string | Long);
  'seq'?: (number | string | Long);
  /**
   * How long ago, on the relay's own clock, the packet arrived.
   */
  'ageMs'?: (number);
  /**
   * The shard progress the latest packet carried.
   */
  'progress'?: (_relaycast_v1_ShardProgress)[];
}

export interface LeafLiveness__Output {
  'nodeKey': (string);
  'leaseEpoch': (number);
  'seq': (number);
  /**
   * How long ago, on the relay's own clock, the packet arrived.
   */
  'ageMs': (number);
  /**
   * The shard progress the latest packet carried.
   */
  'progress': (_relaycast_v1_ShardProgress__Output)[];
}
