// Original file: proto/relaycast/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Stop work on a shard (cancel, pause, or its range was handed on).
 */
export interface ShardRevoke {
  'broadcastId'?: (string);
  'shardId'?: (number);
  'epoch'?: (number | string | Long);
  'reason'?: (string);
}

/**
 * Stop work on a shard (cancel, pause, or its range was handed on).
 */
export interface ShardRevoke__Output {
  'broadcastId': (string);
  'shardId': (number);
  'epoch': (number);
  'reason': (string);
}
