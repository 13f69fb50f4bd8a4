// Original file: proto/relaycast/v1/relay.proto

import type { SessionMessage as _relaycast_v1_SessionMessage, SessionMessage__Output as _relaycast_v1_SessionMessage__Output } from '../../relaycast/v1/SessionMessage';

export interface LeafDelivery {
  'nodeKey'?: (string);
  'message'?: (_relaycast_v1_SessionMessage | null);
  /**
   * Non-zero: end the leaf's session with this status code after delivering.
   */
  'closeCode'?: (number);
  'closeMessage'?: (string);
}

export interface LeafDelivery__Output {
  'nodeKey': (string);
  'message': (_relaycast_v1_SessionMessage__Output | null);
  /**
   * Non-zero: end the leaf's session with this status code after delivering.
   */
  'closeCode': (number);
  'closeMessage': (string);
}
