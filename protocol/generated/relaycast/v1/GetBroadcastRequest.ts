// Original file: proto/relaycast/v1/broadcasts.proto


export interface GetBroadcastRequest {
  'broadcastId'?: (string);
  /**
   * Include per-shard status (can be long for big broadcasts).
   */
  'includeShards'?: (boolean);
}

export interface GetBroadcastRequest__Output {
  'broadcastId': (string);
  /**
   * Include per-shard status (can be long for big broadcasts).
   */
  'includeShards': (boolean);
}
