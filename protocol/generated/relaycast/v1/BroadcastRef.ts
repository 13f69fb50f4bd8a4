// Original file: proto/relaycast/v1/broadcasts.proto


export interface BroadcastRef {
  'broadcastId'?: (string);
}

export interface BroadcastRef__Output {
  'broadcastId': (string);
}
