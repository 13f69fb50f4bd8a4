// Original file: proto/relaycast/v1/broadcasts.proto

import type { Broadcast as _relaycast_v1_Broadcast, Broadcast__Output as _relaycast_v1_Broadcast__Output } from '../../relaycast/v1/Broadcast';
import type { Long } from '@grpc/proto-loader';

export interface RetryDeadLettersResponse {
  'retried'?: (number | string | Long);
  'broadcast'?: (_relaycast_v1_Broadcast | null);
}

export interface RetryDeadLettersResponse__Output {
  'retried': (number);
  'broadcast': (_relaycast_v1_Broadcast__Output | null);
}
