// Original file: proto/relaycast/v1/session.proto

import type { Long } from '@grpc/proto-loader';

export interface ShardProgress {
  'broadcastId'?: (string);
  'shardId'?: (number);
  /**
   * The order epoch the node works under.
   */
  'epoch'?: (number | string | Long);
  /**
   * Every sequence below this is final.
   */
  'watermark'?: (number | string | Long);
  'delivered'?: (number | string | Long);
  'skippedUnreachable'?: (number | string | Long);
  'deadLettered'?: (number | string | Long);
  /**
   * Everything up to the shard's end is final.
   */
  'done'?: (boolean);
  /**
   * The node has stopped this shard after a revoke (or never had it) and
   * will not deliver for it again under this epoch.
   */
  'stopped'?: (boolean);
}

export interface ShardProgress__Output {
  'broadcastId': (string);
  'shardId': (number);
  /**
   * The order epoch the node works under.
   */
  'epoch': (number);
  /**
   * Every sequence below this is final.
   */
  'watermark': (number);
  'delivered': (number);
  'skippedUnreachable': (number);
  'deadLettered': (number);
  /**
   * Everything up to the shard's end is final.
   */
  'done': (boolean);
  /**
   * The node has stopped this shard after a revoke (or never had it) and
   * will not deliver for it again under this epoch.
   */
  'stopped': (boolean);
}
