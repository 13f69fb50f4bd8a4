// Original file: proto/relaycast/v1/broadcasts.proto

import type { ShardState as _relaycast_v1_ShardState, ShardState__Output as _relaycast_v1_ShardState__Output } from '../../relaycast/v1/ShardState';
import type { Long } from '@grpc/proto-loader';

export interface ShardStatus {
  'shardId'?: (number);
  /**
   * Sequences [start, end).
   */
  'start'?: (number | string | Long);
  'end'?: (number | string | Long);
  'state'?: (_relaycast_v1_ShardState);
  'ownerNodeKey'?: (string);
  'epoch'?: (number | string | Long);
  /**
   * Every sequence below this is final (delivered, skipped or dead-lettered).
   */
  'watermark'?: (number | string | Long);
  'delivered'?: (number | string | Long);
  'skippedUnreachable'?: (number | string | Long);
  'deadLettered'?: (number | string | Long);
}

export interface ShardStatus__Output {
  'shardId': (number);
  /**
   * Sequences [start, end).
   */
  'start': (number);
  'end': (number);
  'state': (_relaycast_v1_ShardState__Output);
  'ownerNodeKey': (string);
  'epoch': (number);
  /**
   * Every sequence below this is final (delivered, skipped or dead-lettered).
   */
  'watermark': (number);
  'delivered': (number);
  'skippedUnreachable': (number);
  'deadLettered': (number);
}
