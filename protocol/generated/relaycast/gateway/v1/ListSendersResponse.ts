// Original file: proto/relaycast/gateway/v1/simulator.proto

import type { SenderStats as _relaycast_gateway_v1_SenderStats, SenderStats__Output as _relaycast_gateway_v1_SenderStats__Output } from '../../../relaycast/gateway/v1/SenderStats';
import type { Long } from '@grpc/proto-loader';

export interface ListSendersResponse {
  /**
   * Most recently active last.
   */
  'senders'?: (_relaycast_gateway_v1_SenderStats)[];
  /**
   * Senders forgotten to keep the record within --senders-max.
   */
  'sendersEvicted'?: (number | string | Long);
}

export interface ListSendersResponse__Output {
  /**
   * Most recently active last.
   */
  'senders': (_relaycast_gateway_v1_SenderStats__Output)[];
  /**
   * Senders forgotten to keep the record within --senders-max.
   */
  'sendersEvicted': (number);
}
