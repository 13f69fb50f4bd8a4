// Original file: proto/relaycast/v1/membership.proto

import type { MemberKind as _relaycast_v1_MemberKind, MemberKind__Output as _relaycast_v1_MemberKind__Output } from '../../relaycast/v1/MemberKind';
import type { NodeState as _relaycast_v1_NodeState, NodeState__Output as _relaycast_v1_NodeState__Output } from '../../relaycast/v1/NodeState';
import type { Label as _relaycast_v1_Label, Label__Output as _relaycast_v1_Label__Output } from '../../relaycast/v1/Label';
import type { Long } from '@grpc/proto-loader';

export interface Member {
  'nodeKey'?: (string);
  'clusterId'?: (string);
  'nodeId'?: (string);
  'kind'?: (_relaycast_v1_MemberKind);
  'state'?: (_relaycast_v1_NodeState);
  'address'?: (string);
  'labels'?: (_relaycast_v1_Label)[];
  'capacityWeight'?: (number);
  'leaseEpoch'?: (number | string | Long);
  /**
   * Milliseconds since the coordinator last heard from the member (through
   * any relay); 0 when unknown.
   */
  'lastLivenessAgeMs'?: (number | string | Long);
  /**
   * The relay that last carried the member's packets; empty when direct.
   */
  'relayId'?: (string);
  /**
   * Revision of the member's last state change.
   */
  'stateRevision'?: (number | string | Long);
}

export interface Member__Output {
  'nodeKey': (string);
  'clusterId': (string);
  'nodeId': (string);
  'kind': (_relaycast_v1_MemberKind__Output);
  'state': (_relaycast_v1_NodeState__Output);
  'address': (string);
  'labels': (_relaycast_v1_Label__Output)[];
  'capacityWeight': (number);
  'leaseEpoch': (number);
  /**
   * Milliseconds since the coordinator last heard from the member (through
   * any relay); 0 when unknown.
   */
  'lastLivenessAgeMs': (number);
  /**
   * The relay that last carried the member's packets; empty when direct.
   */
  'relayId': (string);
  /**
   * Revision of the member's last state change.
   */
  'stateRevision': (number);
}
