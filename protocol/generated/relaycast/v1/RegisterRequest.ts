// Original file: proto/relaycast/v1/membership.proto

import type { Label as _relaycast_v1_Label, Label__Output as _relaycast_v1_Label__Output } from '../../relaycast/v1/Label';

export interface RegisterRequest {
  'clusterId'?: (string);
  'nodeId'?: (string);
  /**
   * Where the node can be reached (its own health/reflection port).
   */
  'address'?: (string);
  'labels'?: (_relaycast_v1_Label)[];
  /**
   * Relative share of work; 0 means the default weight of 1.
   */
  'capacityWeight'?: (number);
  /**
   * Unique per process start. Protects a node identity from being taken
   * over by a second process while the first still holds its lease.
   */
  'instanceId'?: (string);
}

export interface RegisterRequest__Output {
  'clusterId': (string);
  'nodeId': (string);
  /**
   * Where the node can be reached (its own health/reflection port).
   */
  'address': (string);
  'labels': (_relaycast_v1_Label__Output)[];
  /**
   * Relative share of work; 0 means the default weight of 1.
   */
  'capacityWeight': (number);
  /**
   * Unique per process start. Protects a node identity from being taken
   * over by a second process while the first still holds its lease.
   */
  'instanceId': (string);
}
