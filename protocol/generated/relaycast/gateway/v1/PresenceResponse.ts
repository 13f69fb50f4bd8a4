// Original file: proto/relaycast/gateway/v1/gateway.proto


export interface PresenceResponse {
  'reachable'?: (boolean)[];
}

export interface PresenceResponse__Output {
  'reachable': (boolean)[];
}
