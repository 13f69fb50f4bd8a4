// Original file: proto/relaycast/v1/broadcasts.proto

import type { DeadLetter as _relaycast_v1_DeadLetter, DeadLetter__Output as _relaycast_v1_DeadLetter__Output } from '../../relaycast/v1/DeadLetter';

export interface ListDeadLettersResponse {
  'deadLetters'?: (_relaycast_v1_DeadLetter)[];
  'nextPageToken'?: (string);
}

export interface ListDeadLettersResponse__Output {
  'deadLetters': (_relaycast_v1_DeadLetter__Output)[];
  'nextPageToken': (string);
}
