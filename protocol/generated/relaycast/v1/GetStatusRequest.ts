// Original file: proto/relaycast/v1/admin.proto


export interface GetStatusRequest {
  /**
   * Empty: every cluster.
   */
  'clusterId'?: (string);
}

export interface GetStatusRequest__Output {
  /**
   * Empty: every cluster.
   */
  'clusterId': (string);
}
