// Original file: proto/relaycast/gateway/v1/simulator.proto


export interface ResetRequest {
}

export interface ResetRequest__Output {
}
