/**
 * relaycast as a library, for the services that call it: typed gRPC
 * clients and the MembershipCache (a live, healthy-node list).
 */
export { MembershipCache, isHealthyMember, MEMBERSHIP_CACHE_DEFAULTS } from './membership-cache';
export { adminClient, membershipClient, nodeSessionClient, unary } from './client';
export { loadProtos, relaycastV1, PROTO_DIR } from '../protocol/proto';
export { bearerTokenInterceptor } from '../platform/api-auth';
export type { Member__Output as Member } from '../protocol/generated/relaycast/v1/Member';
export type { WatchEvent__Output as WatchEvent } from '../protocol/generated/relaycast/v1/WatchEvent';
