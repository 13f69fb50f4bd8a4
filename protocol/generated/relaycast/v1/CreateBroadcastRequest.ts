// Original file: proto/relaycast/v1/broadcasts.proto

import type { Recipient as _relaycast_v1_Recipient, Recipient__Output as _relaycast_v1_Recipient__Output } from '../../relaycast/v1/Recipient';
import type { BroadcastOptions as _relaycast_v1_BroadcastOptions, BroadcastOptions__Output as _relaycast_v1_BroadcastOptions__Output } from '../../relaycast/v1/BroadcastOptions';

export interface CreateBroadcastRequest {
  'clusterId'?: (string);
  /**
   * Message text with {{var}} placeholders (see the README for the syntax).
   */
  'template'?: (string);
  /**
   * Either an inline audience...
   */
  'audience'?: (_relaycast_v1_Recipient)[];
  /**
   * ...or the id of a completed upload.
   */
  'uploadId'?: (string);
  'options'?: (_relaycast_v1_BroadcastOptions | null);
  /**
   * A retried create with the same request id returns the same broadcast.
   */
  'requestId'?: (string);
}

export interface CreateBroadcastRequest__Output {
  'clusterId': (string);
  /**
   * Message text with {{var}} placeholders (see the README for the syntax).
   */
  'template': (string);
  /**
   * Either an inline audience...
   */
  'audience': (_relaycast_v1_Recipient__Output)[];
  /**
   * ...or the id of a completed upload.
   */
  'uploadId': (string);
  'options': (_relaycast_v1_BroadcastOptions__Output | null);
  /**
   * A retried create with the same request id returns the same broadcast.
   */
  'requestId': (string);
}
