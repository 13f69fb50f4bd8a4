// Original file: proto/relaycast/v1/broadcasts.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadAudienceResponse {
  /**
   * The page's recipients as one JSON array, one element per sequence from
   * first_sequence on: {"id":"…","vars":[["key","value"],…]}. Passed through
   * from storage as is: the page is the hot path, and decoding and
   * re-encoding nested messages per recipient would cost more than the
   * rest of the read.
   */
  'recordsJson'?: (string);
  'firstSequence'?: (number | string | Long);
  'count'?: (number);
  /**
   * The shard's current end (it can shrink when work is split off).
   */
  'shardEnd'?: (number | string | Long);
}

export interface ReadAudienceResponse__Output {
  /**
   * The page's recipients as one JSON array, one element per sequence from
   * first_sequence on: {"id":"…","vars":[["key","value"],…]}. Passed through
   * from storage as is: the page is the hot path, and decoding and
   * re-encoding nested messages per recipient would cost more than the
   * rest of the read.
   */
  'recordsJson': (string);
  'firstSequence': (number);
  'count': (number);
  /**
   * The shard's current end (it can shrink when work is split off).
   */
  'shardEnd': (number);
}
