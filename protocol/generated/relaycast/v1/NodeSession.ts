// Original file: proto/relaycast/v1/session.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { NodeMessage as _relaycast_v1_NodeMessage, NodeMessage__Output as _relaycast_v1_NodeMessage__Output } from '../../relaycast/v1/NodeMessage';
import type { SessionMessage as _relaycast_v1_SessionMessage, SessionMessage__Output as _relaycast_v1_SessionMessage__Output } from '../../relaycast/v1/SessionMessage';

/**
 * The node-facing protocol. A node opens one Session with a relay or with the
 * coordinator; both speak it the same way.
 */
export interface NodeSessionClient extends grpc.Client {
  Session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_NodeMessage, _relaycast_v1_SessionMessage__Output>;
  Session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_NodeMessage, _relaycast_v1_SessionMessage__Output>;
  session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_NodeMessage, _relaycast_v1_SessionMessage__Output>;
  session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_relaycast_v1_NodeMessage, _relaycast_v1_SessionMessage__Output>;
  
}

/**
 * The node-facing protocol. A node opens one Session with a relay or with the
 * coordinator; both speak it the same way.
 */
export interface NodeSessionHandlers extends grpc.UntypedServiceImplementation {
  Session: grpc.handleBidiStreamingCall<_relaycast_v1_NodeMessage__Output, _relaycast_v1_SessionMessage>;
  
}

export interface NodeSessionDefinition extends grpc.ServiceDefinition {
  Session: MethodDefinition<_relaycast_v1_NodeMessage, _relaycast_v1_SessionMessage, _relaycast_v1_NodeMessage__Output, _relaycast_v1_SessionMessage__Output>
}
