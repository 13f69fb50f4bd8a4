// Original file: proto/relaycast/v1/relay.proto

import type { LeafRejection as _relaycast_v1_LeafRejection, LeafRejection__Output as _relaycast_v1_LeafRejection__Output } from '../../relaycast/v1/LeafRejection';
import type { LeafDelivery as _relaycast_v1_LeafDelivery, LeafDelivery__Output as _relaycast_v1_LeafDelivery__Output } from '../../relaycast/v1/LeafDelivery';
import type { Long } from '@grpc/proto-loader';

/**
 * Every liveness entry of the batch renews its leaf's lease except the ones
 * listed in `rejected`. Messages for leaves ride along in `deliveries`.
 */
export interface BatchAck {
  'batchId'?: (number | string | Long);
  'rejected'?: (_relaycast_v1_LeafRejection)[];
  'deliveries'?: (_relaycast_v1_LeafDelivery)[];
}

/**
 * Every liveness entry of the batch renews its leaf's lease except the ones
 * listed in `rejected`. Messages for leaves ride along in `deliveries`.
 */
export interface BatchAck__Output {
  'batchId': (number);
  'rejected': (_relaycast_v1_LeafRejection__Output)[];
  'deliveries': (_relaycast_v1_LeafDelivery__Output)[];
}
