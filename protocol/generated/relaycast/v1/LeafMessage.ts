// Original file: proto/relaycast/v1/relay.proto

import type { NodeMessage as _relaycast_v1_NodeMessage, NodeMessage__Output as _relaycast_v1_NodeMessage__Output } from '../../relaycast/v1/NodeMessage';

export interface LeafMessage {
  'nodeKey'?: (string);
  'message'?: (_relaycast_v1_NodeMessage | null);
  'ageMs'?: (number);
}

export interface LeafMessage__Output {
  'nodeKey': (string);
  'message': (_relaycast_v1_NodeMessage__Output | null);
  'ageMs': (number);
}
