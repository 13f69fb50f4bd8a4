// Original file: proto/relaycast/v1/membership.proto

import type { NodeState as _relaycast_v1_NodeState, NodeState__Output as _relaycast_v1_NodeState__Output } from '../../relaycast/v1/NodeState';
import type { MemberKind as _relaycast_v1_MemberKind, MemberKind__Output as _relaycast_v1_MemberKind__Output } from '../../relaycast/v1/MemberKind';

export interface ListNodesRequest {
  'clusterId'?: (string);
  /**
   * Unspecified lists every state.
   */
  'state'?: (_relaycast_v1_NodeState);
  /**
   * Default 500, at most 5000.
   */
  'pageSize'?: (number);
  /**
   * From a previous response's next_page_token.
   */
  'pageToken'?: (string);
  /**
   * Members of this kind only; unspecified lists nodes and relays.
   */
  'kind'?: (_relaycast_v1_MemberKind);
}

export interface ListNodesRequest__Output {
  'clusterId': (string);
  /**
   * Unspecified lists every state.
   */
  'state': (_relaycast_v1_NodeState__Output);
  /**
   * Default 500, at most 5000.
   */
  'pageSize': (number);
  /**
   * From a previous response's next_page_token.
   */
  'pageToken': (string);
  /**
   * Members of this kind only; unspecified lists nodes and relays.
   */
  'kind': (_relaycast_v1_MemberKind__Output);
}
