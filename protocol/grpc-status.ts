/** The gRPC edge: typed operating errors become statuses here and only here. */
import * as grpc from '@grpc/grpc-js';
import type { ErrorCode, OpError } from './errors';

const CODES: Record<ErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  ABORTED: grpc.status.ABORTED,
  OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
};

/**
 * Statuses that mean the call may not have happened and is worth another
 * try: the peer is restarting or overloaded, or the call was lost.
 */
export const TRANSIENT_STATUS_CODES: ReadonlySet<number> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.CANCELLED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
]);

export function toStatus(error: OpError): Partial<grpc.StatusObject> {
  return { code: CODES[error.code], details: error.message };
}

export function codeNumber(code: ErrorCode): number {
  return CODES[code];
}

export function codeName(code: number): string {
  return grpc.status[code] ?? `code ${code}`;
}

/** A ServiceError with the given status, for callbacks and stream.destroy(). */
export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  const error = new Error(`${code} ${grpc.status[code]}: ${details}`) as grpc.ServiceError;
  error.code = code;
  error.details = details;
  error.metadata = new grpc.Metadata();
  return error;
}

/**
 * The status for a failed promise at the edge: an operating error (anything
 * carrying one of our error codes, such as a refused command) keeps its code
 * and message; anything else is INTERNAL.
 */
export function errorStatus(err: unknown): Partial<grpc.StatusObject> {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && code in CODES) return { code: CODES[code as ErrorCode], details: message };
  return { code: grpc.status.INTERNAL, details: message };
}
