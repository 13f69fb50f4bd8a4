// Original file: proto/relaycast/v1/session.proto

import type { RegisterResponse as _relaycast_v1_RegisterResponse, RegisterResponse__Output as _relaycast_v1_RegisterResponse__Output } from '../../relaycast/v1/RegisterResponse';

export interface Welcome {
  'registration'?: (_relaycast_v1_RegisterResponse | null);
  /**
   * True when an existing lease was resumed rather than a new one granted.
   */
  'resumed'?: (boolean);
}

export interface Welcome__Output {
  'registration': (_relaycast_v1_RegisterResponse__Output | null);
  /**
   * True when an existing lease was resumed rather than a new one granted.
   */
  'resumed': (boolean);
}
