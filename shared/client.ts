/** gRPC clients for relaycast's public services, for other services and tools. */
import * as grpc from '@grpc/grpc-js';
import { relaycastV1 } from './proto';
import type { AdminClient } from './generated/relaycast/v1/Admin';
import type { BroadcastsClient } from './generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from './generated/relaycast/v1/Membership';
import type { NodeSessionClient } from './generated/relaycast/v1/NodeSession';

export function membershipClient(address: string, credentials = grpc.credentials.createInsecure()): MembershipClient {
  return new (relaycastV1().Membership)(address, credentials);
}

export function adminClient(address: string, credentials = grpc.credentials.createInsecure()): AdminClient {
  return new (relaycastV1().Admin)(address, credentials);
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

export function broadcastsClient(address: string, credentials = grpc.credentials.createInsecure()): BroadcastsClient {
  return new (relaycastV1().Broadcasts)(address, credentials, { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
}
