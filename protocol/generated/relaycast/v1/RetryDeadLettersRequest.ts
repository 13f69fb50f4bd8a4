// Original file: proto/relaycast/v1/broadcasts.proto

import type { Long } from '@grpc/proto-loader';

export interface RetryDeadLettersRequest {
  'broadcastId'?: (string);
  /**
   * Empty: every dead letter of the broadcast.
   */
  'sequences'?: (number | string | Long)[];
}

export interface RetryDeadLettersRequest__Output {
  'broadcastId': (string);
  /**
   * Empty: every dead letter of the broadcast.
   */
  'sequences': (number)[];
}
