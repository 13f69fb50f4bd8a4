/** gRPC clients for relaycast's public services, for other services and tools. */
import * as grpc from '@grpc/grpc-js';
import { relaycastV1 } from '../protocol/proto';
import type { AdminClient } from '../protocol/generated/relaycast/v1/Admin';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { NodeSessionClient } from '../protocol/generated/relaycast/v1/NodeSession';

// `options` lets a caller share one channel between clients (`channelOverride`)
// or tune it; the defaults keep the older two-argument calls working.
export function membershipClient(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): MembershipClient {
  return new (relaycastV1().Membership)(address, credentials, options);
}

export function adminClient(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): AdminClient {
  return new (relaycastV1().Admin)(address, credentials, options);
}

export function nodeSessionClient(address: string, credentials = grpc.credentials.createInsecure()): NodeSessionClient {
  return new (relaycastV1().NodeSession)(address, credentials);
}

/** Promise form of a unary call: `unary(client, 'ListNodes', request)`. */
export function unary<C extends grpc.Client, M extends keyof C & string>(
  client: C,
  method: M,
  request: C[M] extends (req: infer Req, cb: grpc.requestCallback<infer _Res>) => unknown ? Req : never,
  deadlineMs = 10_000,
): Promise<C[M] extends (req: never, cb: grpc.requestCallback<infer Res>) => unknown ? Res : never> {
  return new Promise((resolve, reject) => {
    const fn = (client[method] as unknown as (req: unknown, options: grpc.CallOptions, cb: grpc.requestCallback<unknown>) => void).bind(client);
    fn(request, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res as never)));
  });
}

/** Audience chunks and shard lists outgrow gRPC's 4 MiB default. */
export const BROADCASTS_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

export function broadcastsClient(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): BroadcastsClient {
  return new (relaycastV1().Broadcasts)(address, credentials, { 'grpc.max_receive_message_length': BROADCASTS_MESSAGE_BYTES_MAX, 'grpc.max_send_message_length': BROADCASTS_MESSAGE_BYTES_MAX, ...options });
}
