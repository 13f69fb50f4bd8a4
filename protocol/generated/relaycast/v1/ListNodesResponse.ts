// Original file: proto/relaycast/v1/membership.proto

import type { Member as _relaycast_v1_Member, Member__Output as _relaycast_v1_Member__Output } from '../../relaycast/v1/Member';
import type { Long } from '@grpc/proto-loader';

export interface ListNodesResponse {
  'nodes'?: (_relaycast_v1_Member)[];
  'revision'?: (number | string | Long);
  'nextPageToken'?: (string);
}

export interface ListNodesResponse__Output {
  'nodes': (_relaycast_v1_Member__Output)[];
  'revision': (number);
  'nextPageToken': (string);
}
