// Original file: /work/main/proto/relaycast/v1/relay.proto

import type { Long } from '@grpc/proto-loader';

export interface LeafLiveness {
  'nodeKey'?: (string);
  'leaseEpoch'?: (number | string | Long);
  'seq'?: (number | string | Long);
  /**
   * How long ago, on the relay's own clock, the packet arrived.
   */
  'ageMs'?: (number);
}

export interface LeafLiveness__Output {
  'nodeKey': (string);
  'leaseEpoch': (number);
  'seq': (number);
  /**
   * How long ago, on the relay's own clock, the packet arrived.
   */
  'ageMs': (number);
}
