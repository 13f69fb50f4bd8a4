// Original file: proto/relaycast/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DrainNodeRequest as _relaycast_v1_DrainNodeRequest, DrainNodeRequest__Output as _relaycast_v1_DrainNodeRequest__Output } from '../../relaycast/v1/DrainNodeRequest';
import type { DrainNodeResponse as _relaycast_v1_DrainNodeResponse, DrainNodeResponse__Output as _relaycast_v1_DrainNodeResponse__Output } from '../../relaycast/v1/DrainNodeResponse';
import type { GetStatusRequest as _relaycast_v1_GetStatusRequest, GetStatusRequest__Output as _relaycast_v1_GetStatusRequest__Output } from '../../relaycast/v1/GetStatusRequest';
import type { GetStatusResponse as _relaycast_v1_GetStatusResponse, GetStatusResponse__Output as _relaycast_v1_GetStatusResponse__Output } from '../../relaycast/v1/GetStatusResponse';

/**
 * Operator surface of the coordinator.
 */
export interface AdminClient extends grpc.Client {
  /**
   * Stop a node cleanly: it takes no new work, finishes the batches in
   * flight, reports where each shard stopped, and its remainders are handed
   * on at once (no timeout wait); then it is LEFT and the node process exits.
   * SIGTERM on a node does the same.
   */
  DrainNode(argument: _relaycast_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _relaycast_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _relaycast_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _relaycast_v1_DrainNodeRequest, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stop a node cleanly: it takes no new work, finishes the batches in
   * flight, reports where each shard stopped, and its remainders are handed
   * on at once (no timeout wait); then it is LEFT and the node process exits.
   * SIGTERM on a node does the same.
   */
  drainNode(argument: _relaycast_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _relaycast_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _relaycast_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _relaycast_v1_DrainNodeRequest, callback: grpc.requestCallback<_relaycast_v1_DrainNodeResponse__Output>): grpc.ClientUnaryCall;
  
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
   * Stop a node cleanly: it takes no new work, finishes the batches in
   * flight, reports where each shard stopped, and its remainders are handed
   * on at once (no timeout wait); then it is LEFT and the node process exits.
   * SIGTERM on a node does the same.
   */
  DrainNode: grpc.handleUnaryCall<_relaycast_v1_DrainNodeRequest__Output, _relaycast_v1_DrainNodeResponse>;
  
  /**
   * A cluster overview: members by state, how members are connected, load.
   */
  GetStatus: grpc.handleUnaryCall<_relaycast_v1_GetStatusRequest__Output, _relaycast_v1_GetStatusResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  DrainNode: MethodDefinition<_relaycast_v1_DrainNodeRequest, _relaycast_v1_DrainNodeResponse, _relaycast_v1_DrainNodeRequest__Output, _relaycast_v1_DrainNodeResponse__Output>
  GetStatus: MethodDefinition<_relaycast_v1_GetStatusRequest, _relaycast_v1_GetStatusResponse, _relaycast_v1_GetStatusRequest__Output, _relaycast_v1_GetStatusResponse__Output>
}
