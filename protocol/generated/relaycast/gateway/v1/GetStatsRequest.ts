// Original file: proto/relaycast/gateway/v1/simulator.proto


export interface GetStatsRequest {
}

export interface GetStatsRequest__Output {
}
