// Original file: proto/relaycast/v1/membership.proto

import type { EventType as _relaycast_v1_EventType, EventType__Output as _relaycast_v1_EventType__Output } from '../../relaycast/v1/EventType';
import type { Member as _relaycast_v1_Member, Member__Output as _relaycast_v1_Member__Output } from '../../relaycast/v1/Member';
import type { Long } from '@grpc/proto-loader';

export interface WatchEvent {
  'revision'?: (number | string | Long);
  'type'?: (_relaycast_v1_EventType);
  /**
   * The member as of this event.
   */
  'node'?: (_relaycast_v1_Member | null);
  /**
   * Why it happened, e.g. "no liveness for 2004 ms".
   */
  'reason'?: (string);
  /**
   * Coordinator wall-clock time of the event, for display only.
   */
  'atUnixMs'?: (number | string | Long);
}

export interface WatchEvent__Output {
  'revision': (number);
  'type': (_relaycast_v1_EventType__Output);
  /**
   * The member as of this event.
   */
  'node': (_relaycast_v1_Member__Output | null);
  /**
   * Why it happened, e.g. "no liveness for 2004 ms".
   */
  'reason': (string);
  /**
   * Coordinator wall-clock time of the event, for display only.
   */
  'atUnixMs': (number);
}
