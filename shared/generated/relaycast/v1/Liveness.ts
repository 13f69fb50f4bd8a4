// Original file: /work/main/proto/relaycast/v1/session.proto

import type { Long } from '@grpc/proto-loader';

export interface Liveness {
  /**
   * Increases by one per packet of a session; renewals name it.
   */
  'seq'?: (number | string | Long);
  'leaseEpoch'?: (number | string | Long);
}

export interface Liveness__Output {
  /**
   * Increases by one per packet of a session; renewals name it.
   */
  'seq': (number);
  'leaseEpoch': (number);
}
