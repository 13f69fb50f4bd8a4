// Original file: proto/relaycast/v1/membership.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchRequest {
  'clusterId'?: (string);
  /**
   * Events with a revision greater than this. Absent: only events from now on.
   */
  'afterRevision'?: (number | string | Long);
  '_afterRevision'?: "afterRevision";
}

export interface WatchRequest__Output {
  'clusterId': (string);
  /**
   * Events with a revision greater than this. Absent: only events from now on.
   */
  'afterRevision'?: (number);
  '_afterRevision'?: "afterRevision";
}
