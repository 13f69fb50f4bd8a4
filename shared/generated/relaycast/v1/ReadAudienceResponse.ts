// Original file: /work/main/proto/relaycast/v1/broadcasts.proto

import type { AudienceEntry as _relaycast_v1_AudienceEntry, AudienceEntry__Output as _relaycast_v1_AudienceEntry__Output } from '../../relaycast/v1/AudienceEntry';
import type { Long } from '@grpc/proto-loader';

export interface ReadAudienceResponse {
  'entries'?: (_relaycast_v1_AudienceEntry)[];
  /**
   * The shard's current end (it can shrink when work is split off).
   */
  'shardEnd'?: (number | string | Long);
}

export interface ReadAudienceResponse__Output {
  'entries': (_relaycast_v1_AudienceEntry__Output)[];
  /**
   * The shard's current end (it can shrink when work is split off).
   */
  'shardEnd': (number);
}
