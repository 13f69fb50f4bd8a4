// Original file: proto/relaycast/gateway/v1/simulator.proto


export interface GetDeliveredResponse {
  'texts'?: (string)[];
}

export interface GetDeliveredResponse__Output {
  'texts': (string)[];
}
