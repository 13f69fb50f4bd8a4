// Original file: proto/relaycast/v1/broadcasts.proto

import type { DeadLetter as _relaycast_v1_DeadLetter, DeadLetter__Output as _relaycast_v1_DeadLetter__Output } from '../../relaycast/v1/DeadLetter';
import type { Long } from '@grpc/proto-loader';

export interface ReportDeadLettersRequest {
  'broadcastId'?: (string);
  'shardId'?: (number);
  'epoch'?: (number | string | Long);
  'nodeKey'?: (string);
  'deadLetters'?: (_relaycast_v1_DeadLetter)[];
}

export interface ReportDeadLettersRequest__Output {
  'broadcastId': (string);
  'shardId': (number);
  'epoch': (number);
  'nodeKey': (string);
  'deadLetters': (_relaycast_v1_DeadLetter__Output)[];
}
