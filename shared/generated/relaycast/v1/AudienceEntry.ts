// Original file: /work/main/proto/relaycast/v1/broadcasts.proto

import type { Recipient as _relaycast_v1_Recipient, Recipient__Output as _relaycast_v1_Recipient__Output } from '../../relaycast/v1/Recipient';
import type { Long } from '@grpc/proto-loader';

export interface AudienceEntry {
  'sequence'?: (number | string | Long);
  'recipient'?: (_relaycast_v1_Recipient | null);
}

export interface AudienceEntry__Output {
  'sequence': (number);
  'recipient': (_relaycast_v1_Recipient__Output | null);
}
