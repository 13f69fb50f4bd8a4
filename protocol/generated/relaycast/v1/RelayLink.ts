// Original file: proto/relaycast/v1/relay.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RelayDown as _relaycast_v1_RelayDown, RelayDown__Output as _relaycast_v1_RelayDown__Output } from '../../relaycast/v1/RelayDown';
import type { RelayUp as _relaycast_v1_RelayUp, RelayUp__Output as _relaycast_v1_RelayUp__Output } from '../../relaycast/v1/RelayUp';

/**
 * The relay ↔ coordinator link: one long-lived stream per relay carries the
 * liveness of all its leaves up in batches, and acks and orders back down.
 */
export interface RelayLinkClient extends grpc.Client {
  Link(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_RelayUp, _relaycast_v1_RelayDown__Output>;
  Link(options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_RelayUp, _relaycast_v1_RelayDown__Output>;
  link(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_RelayUp, _relaycast_v1_RelayDown__Output>;
  link(options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_RelayUp, _relaycast_v1_RelayDown__Output>;
  
}

/**
 * The relay ↔ coordinator link: one long-lived stream per relay carries the
 * liveness of all its leaves up in batches, and acks and orders back down.
 */
export interface RelayLinkHandlers extends grpc.UntypedServiceImplementation {
  Link: grpc.handleBidiStreamingCall<_relaycast_v1_RelayUp__Output, _relaycast_v1_RelayDown>;
  
}

export interface RelayLinkDefinition extends grpc.ServiceDefinition {
  Link: MethodDefinition<_relaycast_v1_RelayUp, _relaycast_v1_RelayDown, _relaycast_v1_RelayUp__Output, _relaycast_v1_RelayDown__Output>
}
