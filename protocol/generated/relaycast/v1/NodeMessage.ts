// Original file: proto/relaycast/v1/session.proto

import type { Attach as _relaycast_v1_Attach, Attach__Output as _relaycast_v1_Attach__Output } from '../../relaycast/v1/Attach';
import type { Liveness as _relaycast_v1_Liveness, Liveness__Output as _relaycast_v1_Liveness__Output } from '../../relaycast/v1/Liveness';
import type { Leave as _relaycast_v1_Leave, Leave__Output as _relaycast_v1_Leave__Output } from '../../relaycast/v1/Leave';

export interface NodeMessage {
  /**
   * First message on every session.
   */
  'attach'?: (_relaycast_v1_Attach | null);
  'liveness'?: (_relaycast_v1_Liveness | null);
  'leave'?: (_relaycast_v1_Leave | null);
  'msg'?: "attach"|"liveness"|"leave";
}

export interface NodeMessage__Output {
  /**
   * First message on every session.
   */
  'attach'?: (_relaycast_v1_Attach__Output | null);
  'liveness'?: (_relaycast_v1_Liveness__Output | null);
  'leave'?: (_relaycast_v1_Leave__Output | null);
  'msg'?: "attach"|"liveness"|"leave";
}
