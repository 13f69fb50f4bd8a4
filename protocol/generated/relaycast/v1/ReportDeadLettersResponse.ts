// Original file: proto/relaycast/v1/broadcasts.proto


export interface ReportDeadLettersResponse {
}

export interface ReportDeadLettersResponse__Output {
}
