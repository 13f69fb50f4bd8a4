/**
 * Status messages often name what the caller sent ("broadcast \"…\" does
 * not exist"). Sent back as an HTTP/2 trailer, a message built from a huge
 * input exceeds the peer's header list limit (64 KiB in Node): the trailer
 * cannot be delivered and the client's whole connection stalls — every
 * call on it, not just the one that failed. Every server therefore cuts
 * status details to a bound before they leave.
 */
import * as grpc from '@grpc/grpc-js';
import { truncate } from './validate';

/** Characters; percent-encoded UTF-8 makes at most 9 bytes of each, well under 64 KiB. */
export const STATUS_DETAILS_LENGTH_MAX = 1024;

export const boundStatusDetails: grpc.ServerInterceptor = (_method, call) => new grpc.ServerInterceptingCall(call, {
  sendStatus: (status, next) => {
    if (status.details === undefined || status.details.length <= STATUS_DETAILS_LENGTH_MAX) return next(status);
    next({ ...status, details: truncate(status.details, STATUS_DETAILS_LENGTH_MAX) });
  },
});
