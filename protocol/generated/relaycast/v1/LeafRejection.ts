// Original file: proto/relaycast/v1/relay.proto


export interface LeafRejection {
  'nodeKey'?: (string);
  /**
   * A google.rpc.Code, e.g. FAILED_PRECONDITION for a lost lease.
   */
  'code'?: (number);
  'message'?: (string);
}

export interface LeafRejection__Output {
  'nodeKey': (string);
  /**
   * A google.rpc.Code, e.g. FAILED_PRECONDITION for a lost lease.
   */
  'code': (number);
  'message': (string);
}
