/** gRPC clients for relaycast's public services, for other services and tools. */
import * as grpc from '@grpc/grpc-js';
import { relaycastV1 } from './proto';
import type { MembershipClient } from './generated/relaycast/v1/Membership';

export function membershipClient(address: string, credentials = grpc.credentials.createInsecure()): MembershipClient {
  return new (relaycastV1().Membership)(address, credentials);
}
