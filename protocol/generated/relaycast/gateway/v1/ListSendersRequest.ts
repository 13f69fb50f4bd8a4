// Original file: proto/relaycast/gateway/v1/simulator.proto

import type { Long } from '@grpc/proto-loader';

export interface ListSendersRequest {
  /**
   * Only senders with this node key ("<cluster>/<node id>"); empty: all.
   */
  'nodeKey'?: (string);
  /**
   * When above 0, also count each sender's attempts that arrived after this
   * time (ms since the Unix epoch, on the simulator's clock).
   */
  'receivedAfterUnixMs'?: (number | string | Long);
}

export interface ListSendersRequest__Output {
  /**
   * Only senders with this node key ("<cluster>/<node id>"); empty: all.
   */
  'nodeKey': (string);
  /**
   * When above 0, also count each sender's attempts that arrived after this
   * time (ms since the Unix epoch, on the simulator's clock).
   */
  'receivedAfterUnixMs': (number);
}
