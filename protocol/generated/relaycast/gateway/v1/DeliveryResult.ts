// Original file: proto/relaycast/gateway/v1/gateway.proto

import type { DeliveryOutcome as _relaycast_gateway_v1_DeliveryOutcome, DeliveryOutcome__Output as _relaycast_gateway_v1_DeliveryOutcome__Output } from '../../../relaycast/gateway/v1/DeliveryOutcome';

export interface DeliveryResult {
  'idempotencyKey'?: (string);
  'outcome'?: (_relaycast_gateway_v1_DeliveryOutcome);
  'reason'?: (string);
}

export interface DeliveryResult__Output {
  'idempotencyKey': (string);
  'outcome': (_relaycast_gateway_v1_DeliveryOutcome__Output);
  'reason': (string);
}
