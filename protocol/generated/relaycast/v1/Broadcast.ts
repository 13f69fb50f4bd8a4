// Original file: proto/relaycast/v1/broadcasts.proto

import type { BroadcastState as _relaycast_v1_BroadcastState, BroadcastState__Output as _relaycast_v1_BroadcastState__Output } from '../../relaycast/v1/BroadcastState';
import type { BroadcastCounts as _relaycast_v1_BroadcastCounts, BroadcastCounts__Output as _relaycast_v1_BroadcastCounts__Output } from '../../relaycast/v1/BroadcastCounts';
import type { ShardStatus as _relaycast_v1_ShardStatus, ShardStatus__Output as _relaycast_v1_ShardStatus__Output } from '../../relaycast/v1/ShardStatus';
import type { BroadcastOptions as _relaycast_v1_BroadcastOptions, BroadcastOptions__Output as _relaycast_v1_BroadcastOptions__Output } from '../../relaycast/v1/BroadcastOptions';
import type { Long } from '@grpc/proto-loader';

export interface Broadcast {
  'broadcastId'?: (string);
  'clusterId'?: (string);
  'state'?: (_relaycast_v1_BroadcastState);
  'counts'?: (_relaycast_v1_BroadcastCounts | null);
  'shards'?: (_relaycast_v1_ShardStatus)[];
  'template'?: (string);
  'options'?: (_relaycast_v1_BroadcastOptions | null);
  'createdAtUnixMs'?: (number | string | Long);
  'finishedAtUnixMs'?: (number | string | Long);
  'requestId'?: (string);
}

export interface Broadcast__Output {
  'broadcastId': (string);
  'clusterId': (string);
  'state': (_relaycast_v1_BroadcastState__Output);
  'counts': (_relaycast_v1_BroadcastCounts__Output | null);
  'shards': (_relaycast_v1_ShardStatus__Output)[];
  'template': (string);
  'options': (_relaycast_v1_BroadcastOptions__Output | null);
  'createdAtUnixMs': (number);
  'finishedAtUnixMs': (number);
  'requestId': (string);
}
