// Original file: proto/relaycast/v1/broadcasts.proto


export interface ListDeadLettersRequest {
  'broadcastId'?: (string);
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ListDeadLettersRequest__Output {
  'broadcastId': (string);
  'pageSize': (number);
  'pageToken': (string);
}
