// Original file: proto/relaycast/gateway/v1/gateway.proto

import type { Long } from '@grpc/proto-loader';

export interface DeliveryItem {
  /**
   * "<broadcast_id>/<sequence>": the same for every attempt of this item.
   */
  'idempotencyKey'?: (string);
  'recipientId'?: (string);
  /**
   * The rendered, per-recipient message.
   */
  'text'?: (string);
  'broadcastId'?: (string);
  'sequence'?: (number | string | Long);
}

export interface DeliveryItem__Output {
  /**
   * "<broadcast_id>/<sequence>": the same for every attempt of this item.
   */
  'idempotencyKey': (string);
  'recipientId': (string);
  /**
   * The rendered, per-recipient message.
   */
  'text': (string);
  'broadcastId': (string);
  'sequence': (number);
}
