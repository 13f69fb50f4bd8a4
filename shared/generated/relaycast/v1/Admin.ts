// Original file: /work/main/proto/relaycast/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetStatusRequest as _relaycast_v1_GetStatusRequest, GetStatusRequest__Output as _relaycast_v1_GetStatusRequest__Output } from '../../relaycast/v1/GetStatusRequest';
import type { GetStatusResponse as _relaycast_v1_GetStatusResponse, GetStatusResponse__Output as _relaycast_v1_GetStatusResponse__Output } from '../../relaycast/v1/GetStatusResponse';

/**
 * Operator surface of the coordinator.
 */
export interface AdminClient extends grpc.Client {
  /**
   * A cluster overview: members by state, how members are connected, load.
   */
  GetStatus(argument: _relaycast_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _relaycast_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _relaycast_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _relaycast_v1_GetStatusRequest, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A cluster overview: members by state, how members are connected, load.
   */
  getStatus(argument: _relaycast_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _relaycast_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _relaycast_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _relaycast_v1_GetStatusRequest, callback: grpc.requestCallback<_relaycast_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Operator surface of the coordinator.
 */
export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A cluster overview: members by state, how members are connected, load.
   */
  GetStatus: grpc.handleUnaryCall<_relaycast_v1_GetStatusRequest__Output, _relaycast_v1_GetStatusResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  GetStatus: MethodDefinition<_relaycast_v1_GetStatusRequest, _relaycast_v1_GetStatusResponse, _relaycast_v1_GetStatusRequest__Output, _relaycast_v1_GetStatusResponse__Output>
}
