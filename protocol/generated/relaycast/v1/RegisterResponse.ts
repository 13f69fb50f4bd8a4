// Original file: proto/relaycast/v1/membership.proto

import type { Long } from '@grpc/proto-loader';

export interface RegisterResponse {
  /**
   * "<cluster>/<node>".
   */
  'nodeKey'?: (string);
  'leaseEpoch'?: (number | string | Long);
  'heartbeatIntervalMs'?: (number);
  'downAfterMs'?: (number);
  /**
   * The node must stop delivering when it has had no renewal for this long,
   * measured from the send time of the last acknowledged liveness packet.
   */
  'leaseTtlMs'?: (number);
  'revision'?: (number | string | Long);
}

export interface RegisterResponse__Output {
  /**
   * "<cluster>/<node>".
   */
  'nodeKey': (string);
  'leaseEpoch': (number);
  'heartbeatIntervalMs': (number);
  'downAfterMs': (number);
  /**
   * The node must stop delivering when it has had no renewal for this long,
   * measured from the send time of the last acknowledged liveness packet.
   */
  'leaseTtlMs': (number);
  'revision': (number);
}
