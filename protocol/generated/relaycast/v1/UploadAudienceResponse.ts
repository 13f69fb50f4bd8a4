// Original file: proto/relaycast/v1/broadcasts.proto

import type { Long } from '@grpc/proto-loader';

export interface UploadAudienceResponse {
  'uploadId'?: (string);
  'recipients'?: (number | string | Long);
}

export interface UploadAudienceResponse__Output {
  'uploadId': (string);
  'recipients': (number);
}
