// Original file: proto/relaycast/v1/admin.proto


export interface DrainNodeRequest {
  'clusterId'?: (string);
  'nodeId'?: (string);
}

export interface DrainNodeRequest__Output {
  'clusterId': (string);
  'nodeId': (string);
}
