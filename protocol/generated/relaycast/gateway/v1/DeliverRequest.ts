// Original file: proto/relaycast/gateway/v1/gateway.proto

import type { DeliveryItem as _relaycast_gateway_v1_DeliveryItem, DeliveryItem__Output as _relaycast_gateway_v1_DeliveryItem__Output } from '../../../relaycast/gateway/v1/DeliveryItem';

export interface DeliverRequest {
  'items'?: (_relaycast_gateway_v1_DeliveryItem)[];
}

export interface DeliverRequest__Output {
  'items': (_relaycast_gateway_v1_DeliveryItem__Output)[];
}
