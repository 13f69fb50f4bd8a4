// Original file: proto/relaycast/v1/relay.proto

import type { RelayWelcome as _relaycast_v1_RelayWelcome, RelayWelcome__Output as _relaycast_v1_RelayWelcome__Output } from '../../relaycast/v1/RelayWelcome';
import type { BatchAck as _relaycast_v1_BatchAck, BatchAck__Output as _relaycast_v1_BatchAck__Output } from '../../relaycast/v1/BatchAck';

export interface RelayDown {
  'welcome'?: (_relaycast_v1_RelayWelcome | null);
  'batchAck'?: (_relaycast_v1_BatchAck | null);
  'msg'?: "welcome"|"batchAck";
}

export interface RelayDown__Output {
  'welcome'?: (_relaycast_v1_RelayWelcome__Output | null);
  'batchAck'?: (_relaycast_v1_BatchAck__Output | null);
  'msg'?: "welcome"|"batchAck";
}
