// Original file: proto/relaycast/v1/broadcasts.proto

import type { Label as _relaycast_v1_Label, Label__Output as _relaycast_v1_Label__Output } from '../../relaycast/v1/Label';

export interface Recipient {
  'id'?: (string);
  /**
   * Template variables for this recipient.
   */
  'vars'?: (_relaycast_v1_Label)[];
}

export interface Recipient__Output {
  'id': (string);
  /**
   * Template variables for this recipient.
   */
  'vars': (_relaycast_v1_Label__Output)[];
}
