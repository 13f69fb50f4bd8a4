// Original file: proto/relaycast/v1/broadcasts.proto

import type { Long } from '@grpc/proto-loader';

export interface DeadLetter {
  'broadcastId'?: (string);
  'sequence'?: (number | string | Long);
  'recipientId'?: (string);
  'reason'?: (string);
  'attempts'?: (number);
}

export interface DeadLetter__Output {
  'broadcastId': (string);
  'sequence': (number);
  'recipientId': (string);
  'reason': (string);
  'attempts': (number);
}
