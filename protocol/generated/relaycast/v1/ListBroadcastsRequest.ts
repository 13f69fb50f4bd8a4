// Original file: proto/relaycast/v1/broadcasts.proto


export interface ListBroadcastsRequest {
  'clusterId'?: (string);
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ListBroadcastsRequest__Output {
  'clusterId': (string);
  'pageSize': (number);
  'pageToken': (string);
}
