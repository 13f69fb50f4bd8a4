// Original file: proto/relaycast/gateway/v1/gateway.proto

import type { DeliveryResult as _relaycast_gateway_v1_DeliveryResult, DeliveryResult__Output as _relaycast_gateway_v1_DeliveryResult__Output } from '../../../relaycast/gateway/v1/DeliveryResult';

export interface DeliverResponse {
  'results'?: (_relaycast_gateway_v1_DeliveryResult)[];
}

export interface DeliverResponse__Output {
  'results': (_relaycast_gateway_v1_DeliveryResult__Output)[];
}
