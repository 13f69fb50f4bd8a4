// Original file: proto/relaycast/v1/relay.proto

import type { LeafLiveness as _relaycast_v1_LeafLiveness, LeafLiveness__Output as _relaycast_v1_LeafLiveness__Output } from '../../relaycast/v1/LeafLiveness';
import type { LeafMessage as _relaycast_v1_LeafMessage, LeafMessage__Output as _relaycast_v1_LeafMessage__Output } from '../../relaycast/v1/LeafMessage';
import type { Long } from '@grpc/proto-loader';

/**
 * Everything the relay heard since its last flush. Also the relay's own liveness.
 */
export interface LeafBatch {
  'batchId'?: (number | string | Long);
  /**
   * Latest liveness of each leaf that spoke since the last flush.
   */
  'liveness'?: (_relaycast_v1_LeafLiveness)[];
  /**
   * Messages that must not be coalesced (attach, leave), in arrival order.
   */
  'messages'?: (_relaycast_v1_LeafMessage)[];
  /**
   * Leaves whose session with this relay ended since the last flush.
   */
  'detached'?: (string)[];
}

/**
 * Everything the relay heard since its last flush. Also the relay's own liveness.
 */
export interface LeafBatch__Output {
  'batchId': (number);
  /**
   * Latest liveness of each leaf that spoke since the last flush.
   */
  'liveness': (_relaycast_v1_LeafLiveness__Output)[];
  /**
   * Messages that must not be coalesced (attach, leave), in arrival order.
   */
  'messages': (_relaycast_v1_LeafMessage__Output)[];
  /**
   * Leaves whose session with this relay ended since the last flush.
   */
  'detached': (string)[];
}
