// Original file: proto/relaycast/v1/broadcasts.proto

import type { Broadcast as _relaycast_v1_Broadcast, Broadcast__Output as _relaycast_v1_Broadcast__Output } from '../../relaycast/v1/Broadcast';

export interface ListBroadcastsResponse {
  'broadcasts'?: (_relaycast_v1_Broadcast)[];
  'nextPageToken'?: (string);
}

export interface ListBroadcastsResponse__Output {
  'broadcasts': (_relaycast_v1_Broadcast__Output)[];
  'nextPageToken': (string);
}
