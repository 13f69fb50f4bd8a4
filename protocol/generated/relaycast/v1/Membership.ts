// Original file: proto/relaycast/v1/membership.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeregisterRequest as _relaycast_v1_DeregisterRequest, DeregisterRequest__Output as _relaycast_v1_DeregisterRequest__Output } from '../../relaycast/v1/DeregisterRequest';
import type { DeregisterResponse as _relaycast_v1_DeregisterResponse, DeregisterResponse__Output as _relaycast_v1_DeregisterResponse__Output } from '../../relaycast/v1/DeregisterResponse';
import type { ListNodesRequest as _relaycast_v1_ListNodesRequest, ListNodesRequest__Output as _relaycast_v1_ListNodesRequest__Output } from '../../relaycast/v1/ListNodesRequest';
import type { ListNodesResponse as _relaycast_v1_ListNodesResponse, ListNodesResponse__Output as _relaycast_v1_ListNodesResponse__Output } from '../../relaycast/v1/ListNodesResponse';
import type { RegisterRequest as _relaycast_v1_RegisterRequest, RegisterRequest__Output as _relaycast_v1_RegisterRequest__Output } from '../../relaycast/v1/RegisterRequest';
import type { RegisterResponse as _relaycast_v1_RegisterResponse, RegisterResponse__Output as _relaycast_v1_RegisterResponse__Output } from '../../relaycast/v1/RegisterResponse';
import type { WatchEvent as _relaycast_v1_WatchEvent, WatchEvent__Output as _relaycast_v1_WatchEvent__Output } from '../../relaycast/v1/WatchEvent';
import type { WatchRequest as _relaycast_v1_WatchRequest, WatchRequest__Output as _relaycast_v1_WatchRequest__Output } from '../../relaycast/v1/WatchRequest';

/**
 * Membership is the registry: nodes and relays register, keep a lease alive,
 * and other services list members and watch membership events.
 */
export interface MembershipClient extends grpc.Client {
  /**
   * Graceful leave: the node ends in state LEFT.
   */
  Deregister(argument: _relaycast_v1_DeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _relaycast_v1_DeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _relaycast_v1_DeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _relaycast_v1_DeregisterRequest, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Graceful leave: the node ends in state LEFT.
   */
  deregister(argument: _relaycast_v1_DeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _relaycast_v1_DeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _relaycast_v1_DeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _relaycast_v1_DeregisterRequest, callback: grpc.requestCallback<_relaycast_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A page of members with their state, and the registry revision of the snapshot.
   */
  ListNodes(argument: _relaycast_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _relaycast_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _relaycast_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _relaycast_v1_ListNodesRequest, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A page of members with their state, and the registry revision of the snapshot.
   */
  listNodes(argument: _relaycast_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _relaycast_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _relaycast_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _relaycast_v1_ListNodesRequest, callback: grpc.requestCallback<_relaycast_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Register a node (or re-register after DOWN). Idempotent for the same
   * instance id; refused with ALREADY_EXISTS when another instance holds a
   * live lease on the same key.
   */
  Register(argument: _relaycast_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _relaycast_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _relaycast_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _relaycast_v1_RegisterRequest, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Register a node (or re-register after DOWN). Idempotent for the same
   * instance id; refused with ALREADY_EXISTS when another instance holds a
   * live lease on the same key.
   */
  register(argument: _relaycast_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _relaycast_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _relaycast_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _relaycast_v1_RegisterRequest, callback: grpc.requestCallback<_relaycast_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Membership events after a revision. Resume with the last revision seen;
   * a revision older than the retained history fails with OUT_OF_RANGE
   * (re-list, then watch from the list's revision).
   */
  Watch(argument: _relaycast_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_WatchEvent__Output>;
  Watch(argument: _relaycast_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_WatchEvent__Output>;
  /**
   * Membership events after a revision. Resume with the last revision seen;
   * a revision older than the retained history fails with OUT_OF_RANGE
   * (re-list, then watch from the list's revision).
   */
  watch(argument: _relaycast_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_WatchEvent__Output>;
  watch(argument: _relaycast_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_WatchEvent__Output>;
  
}

/**
 * Membership is the registry: nodes and relays register, keep a lease alive,
 * and other services list members and watch membership events.
 */
export interface MembershipHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Graceful leave: the node ends in state LEFT.
   */
  Deregister: grpc.handleUnaryCall<_relaycast_v1_DeregisterRequest__Output, _relaycast_v1_DeregisterResponse>;
  
  /**
   * A page of members with their state, and the registry revision of the snapshot.
   */
  ListNodes: grpc.handleUnaryCall<_relaycast_v1_ListNodesRequest__Output, _relaycast_v1_ListNodesResponse>;
  
  /**
   * Register a node (or re-register after DOWN). Idempotent for the same
   * instance id; refused with ALREADY_EXISTS when another instance holds a
   * live lease on the same key.
   */
  Register: grpc.handleUnaryCall<_relaycast_v1_RegisterRequest__Output, _relaycast_v1_RegisterResponse>;
  
  /**
   * Membership events after a revision. Resume with the last revision seen;
   * a revision older than the retained history fails with OUT_OF_RANGE
   * (re-list, then watch from the list's revision).
   */
  Watch: grpc.handleServerStreamingCall<_relaycast_v1_WatchRequest__Output, _relaycast_v1_WatchEvent>;
  
}

export interface MembershipDefinition extends grpc.ServiceDefinition {
  Deregister: MethodDefinition<_relaycast_v1_DeregisterRequest, _relaycast_v1_DeregisterResponse, _relaycast_v1_DeregisterRequest__Output, _relaycast_v1_DeregisterResponse__Output>
  ListNodes: MethodDefinition<_relaycast_v1_ListNodesRequest, _relaycast_v1_ListNodesResponse, _relaycast_v1_ListNodesRequest__Output, _relaycast_v1_ListNodesResponse__Output>
  Register: MethodDefinition<_relaycast_v1_RegisterRequest, _relaycast_v1_RegisterResponse, _relaycast_v1_RegisterRequest__Output, _relaycast_v1_RegisterResponse__Output>
  Watch: MethodDefinition<_relaycast_v1_WatchRequest, _relaycast_v1_WatchEvent, _relaycast_v1_WatchRequest__Output, _relaycast_v1_WatchEvent__Output>
}
