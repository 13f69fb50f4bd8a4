// Original file: proto/relaycast/v1/membership.proto

import type { Long } from '@grpc/proto-loader';

export interface DeregisterRequest {
  'clusterId'?: (string);
  'nodeId'?: (string);
  'instanceId'?: (string);
  'leaseEpoch'?: (number | string | Long);
}

export interface DeregisterRequest__Output {
  'clusterId': (string);
  'nodeId': (string);
  'instanceId': (string);
  'leaseEpoch': (number);
}
