// Original file: proto/relaycast/gateway/v1/gateway.proto


export interface PresenceRequest {
  'recipientIds'?: (string)[];
}

export interface PresenceRequest__Output {
  'recipientIds': (string)[];
}
