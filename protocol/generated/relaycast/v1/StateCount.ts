// Original file: proto/relaycast/v1/admin.proto

import type { MemberKind as _relaycast_v1_MemberKind, MemberKind__Output as _relaycast_v1_MemberKind__Output } from '../../relaycast/v1/MemberKind';
import type { NodeState as _relaycast_v1_NodeState, NodeState__Output as _relaycast_v1_NodeState__Output } from '../../relaycast/v1/NodeState';

export interface StateCount {
  'kind'?: (_relaycast_v1_MemberKind);
  'state'?: (_relaycast_v1_NodeState);
  'count'?: (number);
}

export interface StateCount__Output {
  'kind': (_relaycast_v1_MemberKind__Output);
  'state': (_relaycast_v1_NodeState__Output);
  'count': (number);
}
