// Original file: proto/relaycast/v1/membership.proto


/**
 * A key/value label. Repeated pairs instead of a map field so that reflection
 * clients (grpcurl, buf curl) can use the descriptors.
 */
export interface Label {
  'key'?: (string);
  'value'?: (string);
}

/**
 * A key/value label. Repeated pairs instead of a map field so that reflection
 * clients (grpcurl, buf curl) can use the descriptors.
 */
export interface Label__Output {
  'key': (string);
  'value': (string);
}
