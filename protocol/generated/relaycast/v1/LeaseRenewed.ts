// Original file: proto/relaycast/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The lease is valid until send time of packet `seq` + lease_ttl_ms.
 */
export interface LeaseRenewed {
  'seq'?: (number | string | Long);
  'leaseEpoch'?: (number | string | Long);
}

/**
 * The lease is valid until send time of packet `seq` + lease_ttl_ms.
 */
export interface LeaseRenewed__Output {
  'seq': (number);
  'leaseEpoch': (number);
}
