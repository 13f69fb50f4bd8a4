// Original file: proto/relaycast/v1/relay.proto


export interface RelayHello {
  'clusterId'?: (string);
  'relayId'?: (string);
  'instanceId'?: (string);
  'address'?: (string);
}

export interface RelayHello__Output {
  'clusterId': (string);
  'relayId': (string);
  'instanceId': (string);
  'address': (string);
}
