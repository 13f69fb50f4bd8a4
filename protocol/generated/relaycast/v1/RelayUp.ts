// Original file: proto/relaycast/v1/relay.proto

import type { RelayHello as _relaycast_v1_RelayHello, RelayHello__Output as _relaycast_v1_RelayHello__Output } from '../../relaycast/v1/RelayHello';
import type { LeafBatch as _relaycast_v1_LeafBatch, LeafBatch__Output as _relaycast_v1_LeafBatch__Output } from '../../relaycast/v1/LeafBatch';

export interface RelayUp {
  /**
   * First message on every link.
   */
  'hello'?: (_relaycast_v1_RelayHello | null);
  'batch'?: (_relaycast_v1_LeafBatch | null);
  'msg'?: "hello"|"batch";
}

export interface RelayUp__Output {
  /**
   * First message on every link.
   */
  'hello'?: (_relaycast_v1_RelayHello__Output | null);
  'batch'?: (_relaycast_v1_LeafBatch__Output | null);
  'msg'?: "hello"|"batch";
}
