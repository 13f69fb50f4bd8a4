// Original file: proto/relaycast/v1/broadcasts.proto

import type { Recipient as _relaycast_v1_Recipient, Recipient__Output as _relaycast_v1_Recipient__Output } from '../../relaycast/v1/Recipient';

export interface AudienceChunk {
  /**
   * Empty in the first chunk (a new upload); the returned id is not needed
   * because the whole upload is one stream.
   */
  'recipients'?: (_relaycast_v1_Recipient)[];
}

export interface AudienceChunk__Output {
  /**
   * Empty in the first chunk (a new upload); the returned id is not needed
   * because the whole upload is one stream.
   */
  'recipients': (_relaycast_v1_Recipient__Output)[];
}
