// Original file: proto/relaycast/v1/broadcasts.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadAudienceRequest {
  'broadcastId'?: (string);
  'shardId'?: (number);
  'epoch'?: (number | string | Long);
  'nodeKey'?: (string);
  /**
   * First sequence wanted; the page ends before the shard's end.
   */
  'fromSequence'?: (number | string | Long);
  'limit'?: (number);
}

export interface ReadAudienceRequest__Output {
  'broadcastId': (string);
  'shardId': (number);
  'epoch': (number);
  'nodeKey': (string);
  /**
   * First sequence wanted; the page ends before the shard's end.
   */
  'fromSequence': (number);
  'limit': (number);
}
