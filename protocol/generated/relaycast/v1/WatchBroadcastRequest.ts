// Original file: proto/relaycast/v1/broadcasts.proto


export interface WatchBroadcastRequest {
  'broadcastId'?: (string);
  /**
   * Minimum time between snapshots; 0: the coordinator default (500 ms).
   */
  'intervalMs'?: (number);
}

export interface WatchBroadcastRequest__Output {
  'broadcastId': (string);
  /**
   * Minimum time between snapshots; 0: the coordinator default (500 ms).
   */
  'intervalMs': (number);
}
