// Original file: proto/relaycast/v1/session.proto

import type { RegisterRequest as _relaycast_v1_RegisterRequest, RegisterRequest__Output as _relaycast_v1_RegisterRequest__Output } from '../../relaycast/v1/RegisterRequest';
import type { Long } from '@grpc/proto-loader';

export interface Attach {
  'register'?: (_relaycast_v1_RegisterRequest | null);
  /**
   * 0: register anew. Otherwise resume the lease with this epoch (after a
   * reconnect or a move to another relay); refused when the lease is gone.
   */
  'leaseEpoch'?: (number | string | Long);
}

export interface Attach__Output {
  'register': (_relaycast_v1_RegisterRequest__Output | null);
  /**
   * 0: register anew. Otherwise resume the lease with this epoch (after a
   * reconnect or a move to another relay); refused when the lease is gone.
   */
  'leaseEpoch': (number);
}
