// Original file: proto/relaycast/gateway/v1/simulator.proto


export interface GetDeliveredRequest {
  'idempotencyKeys'?: (string)[];
}

export interface GetDeliveredRequest__Output {
  'idempotencyKeys': (string)[];
}
