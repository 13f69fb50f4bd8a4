// Original file: proto/relaycast/v1/admin.proto

import type { Member as _relaycast_v1_Member, Member__Output as _relaycast_v1_Member__Output } from '../../relaycast/v1/Member';

export interface DrainNodeResponse {
  'node'?: (_relaycast_v1_Member | null);
  /**
   * Shards being handed back.
   */
  'shards'?: (number);
}

export interface DrainNodeResponse__Output {
  'node': (_relaycast_v1_Member__Output | null);
  /**
   * Shards being handed back.
   */
  'shards': (number);
}
