/**
 * The public API's per-client rate limit as a gRPC server interceptor: a
 * call to one of the limited services takes a token for its peer's address
 * (platform/client-rate-limiter.ts) or is refused with RESOURCE_EXHAUSTED
 * before its handler runs, so a refused call changes nothing. Streams count
 * as one request each. Member traffic (NodeSession, RelayLink, ShardData),
 * health and reflection are never limited.
 */
import * as grpc from '@grpc/grpc-js';
import { systemClock, type Clock } from './clock';
import type { Logger } from './log';
import { ClientRateLimiter, type ClientRateLimits } from './client-rate-limiter';

/** The services other systems and operators call. */
export const PUBLIC_API_SERVICES: readonly string[] = ['relaycast.v1.Admin', 'relaycast.v1.Broadcasts', 'relaycast.v1.Membership'];

/** A flood of refusals is logged as one line per interval, with the count. */
const REFUSALS_LOG_INTERVAL_MS = 10_000;

/** "ipv4:1.2.3.4:5678", "[::1]:5678" or "1.2.3.4:5678" → the host part; the port changes with every connection. */
export function peerHost(call: grpc.ServerInterceptingCallInterface): string {
  const remote = call.getConnectionInfo().remoteAddress;
  if (remote !== undefined && remote !== '') return remote;
  const peer = call.getPeer().replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (bracketed !== null) return bracketed[1]!;
  return peer.replace(/:\d+$/, '');
}

export function apiRateLimitInterceptor(limits: ClientRateLimits, log: Logger, services: readonly string[] = PUBLIC_API_SERVICES, clock: Clock = systemClock): grpc.ServerInterceptor {
  const limiter = new ClientRateLimiter(limits, clock);
  const prefixes = services.map((s) => `/${s}/`);
  let refusedSinceLog = 0;
  let lastLogMs = Number.NEGATIVE_INFINITY;
  return (method, call) => {
    if (!prefixes.some((prefix) => method.path.startsWith(prefix))) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({
        onReceiveMetadata: (metadata, nextMetadata) => {
          const client = peerHost(call);
          const admission = limiter.take(client);
          if (admission.admitted) return nextMetadata(metadata);
          refusedSinceLog += 1;
          const nowMs = clock.monotonicMs();
          if (nowMs - lastLogMs >= REFUSALS_LOG_INTERVAL_MS) {
            log.warn({ client, method: method.path, refused: refusedSinceLog, ratePerS: limits.ratePerS, burst: limits.burst, clientsTracked: limiter.size }, 'public API rate limit: calls refused');
            refusedSinceLog = 0;
            lastLogMs = nowMs;
          }
          call.sendStatus({
            code: grpc.status.RESOURCE_EXHAUSTED,
            details: `rate limit: client ${client} made more than ${limits.ratePerS} requests/s (burst ${limits.burst}) to the public API; retry in ${admission.retryAfterMs} ms`,
            metadata: new grpc.Metadata(),
          });
        },
      }),
    });
  };
}

/** The interceptors for a coordinator's rate-limit settings (none when the rate is 0, unlimited). */
export function apiRateLimitInterceptors(limits: ClientRateLimits, log: Logger): grpc.ServerInterceptor[] {
  return limits.ratePerS === 0 ? [] : [apiRateLimitInterceptor(limits, log)];
}
