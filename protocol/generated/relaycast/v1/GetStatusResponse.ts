// Original file: proto/relaycast/v1/admin.proto

import type { StateCount as _relaycast_v1_StateCount, StateCount__Output as _relaycast_v1_StateCount__Output } from '../../relaycast/v1/StateCount';
import type { Long } from '@grpc/proto-loader';

export interface GetStatusResponse {
  'version'?: (string);
  'revision'?: (number | string | Long);
  'oldestRetainedRevision'?: (number | string | Long);
  'members'?: (_relaycast_v1_StateCount)[];
  /**
   * Streams the coordinator holds: nodes attached directly, and relay links
   * (each carrying many nodes).
   */
  'directSessions'?: (number);
  'relayLinks'?: (number);
  'watchers'?: (number);
  /**
   * Liveness packets accepted since start (direct and relayed), and relay batches.
   */
  'livenessPacketsTotal'?: (number | string | Long);
  'relayBatchesTotal'?: (number | string | Long);
  'uptimeMs'?: (number | string | Long);
  /**
   * Time from a node's DOWN to the orders for its remainder, recent takeovers.
   */
  'reassignP50Ms'?: (number | string);
  'reassignP99Ms'?: (number | string);
  'reassignments'?: (number);
}

export interface GetStatusResponse__Output {
  'version': (string);
  'revision': (number);
  'oldestRetainedRevision': (number);
  'members': (_relaycast_v1_StateCount__Output)[];
  /**
   * Streams the coordinator holds: nodes attached directly, and relay links
   * (each carrying many nodes).
   */
  'directSessions': (number);
  'relayLinks': (number);
  'watchers': (number);
  /**
   * Liveness packets accepted since start (direct and relayed), and relay batches.
   */
  'livenessPacketsTotal': (number);
  'relayBatchesTotal': (number);
  'uptimeMs': (number);
  /**
   * Time from a node's DOWN to the orders for its remainder, recent takeovers.
   */
  'reassignP50Ms': (number);
  'reassignP99Ms': (number);
  'reassignments': (number);
}
