// Original file: proto/relaycast/v1/relay.proto


export interface RelayWelcome {
  'flushIntervalMs'?: (number);
  'heartbeatIntervalMs'?: (number);
}

export interface RelayWelcome__Output {
  'flushIntervalMs': (number);
  'heartbeatIntervalMs': (number);
}
