// Original file: proto/relaycast/v1/session.proto

import type { Long } from '@grpc/proto-loader';

export interface Leave {
  'leaseEpoch'?: (number | string | Long);
}

export interface Leave__Output {
  'leaseEpoch': (number);
}
