// Original file: proto/relaycast/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Work: deliver sequences [start, end) of a broadcast, from `start`.
 */
export interface ShardOrder {
  'broadcastId'?: (string);
  'shardId'?: (number);
  'epoch'?: (number | string | Long);
  'start'?: (number | string | Long);
  'end'?: (number | string | Long);
  'template'?: (string);
  'onlyReachable'?: (boolean);
  /**
   * This node's share of the broadcast's rate limit (0: unlimited).
   */
  'rateLimitPerS'?: (number);
  /**
   * Where to read the audience (ShardData), as the coordinator sees itself.
   */
  'dataAddress'?: (string);
  /**
   * Final outcomes the coordinator already counts below `start` (a re-sent
   * order starts at the checkpoint, not at the shard's first sequence).
   * Progress reports carry counts for the whole shard, so they start here.
   */
  'countedDelivered'?: (number | string | Long);
  'countedSkipped'?: (number | string | Long);
  'countedDead'?: (number | string | Long);
  /**
   * The lease the order was issued under. A node takes an order only under
   * that lease: a restarted node (same id, new instance) must not pick up
   * its predecessor's orders, which a relay may route to it by node key.
   */
  'leaseEpoch'?: (number | string | Long);
}

/**
 * Work: deliver sequences [start, end) of a broadcast, from `start`.
 */
export interface ShardOrder__Output {
  'broadcastId': (string);
  'shardId': (number);
  'epoch': (number);
  'start': (number);
  'end': (number);
  'template': (string);
  'onlyReachable': (boolean);
  /**
   * This node's share of the broadcast's rate limit (0: unlimited).
   */
  'rateLimitPerS': (number);
  /**
   * Where to read the audience (ShardData), as the coordinator sees itself.
   */
  'dataAddress': (string);
  /**
   * Final outcomes the coordinator already counts below `start` (a re-sent
   * order starts at the checkpoint, not at the shard's first sequence).
   * Progress reports carry counts for the whole shard, so they start here.
   */
  'countedDelivered': (number);
  'countedSkipped': (number);
  'countedDead': (number);
  /**
   * The lease the order was issued under. A node takes an order only under
   * that lease: a restarted node (same id, new instance) must not pick up
   * its predecessor's orders, which a relay may route to it by node key.
   */
  'leaseEpoch': (number);
}
