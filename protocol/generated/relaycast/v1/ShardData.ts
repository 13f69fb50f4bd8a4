// Original file: proto/relaycast/v1/broadcasts.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ReadAudienceRequest as _relaycast_v1_ReadAudienceRequest, ReadAudienceRequest__Output as _relaycast_v1_ReadAudienceRequest__Output } from '../../relaycast/v1/ReadAudienceRequest';
import type { ReadAudienceResponse as _relaycast_v1_ReadAudienceResponse, ReadAudienceResponse__Output as _relaycast_v1_ReadAudienceResponse__Output } from '../../relaycast/v1/ReadAudienceResponse';
import type { ReportDeadLettersRequest as _relaycast_v1_ReportDeadLettersRequest, ReportDeadLettersRequest__Output as _relaycast_v1_ReportDeadLettersRequest__Output } from '../../relaycast/v1/ReportDeadLettersRequest';
import type { ReportDeadLettersResponse as _relaycast_v1_ReportDeadLettersResponse, ReportDeadLettersResponse__Output as _relaycast_v1_ReportDeadLettersResponse__Output } from '../../relaycast/v1/ReportDeadLettersResponse';

/**
 * The node-facing data plane of broadcasts.
 */
export interface ShardDataClient extends grpc.Client {
  /**
   * A page of a shard's recipients, by sequence. Only the order's current
   * epoch may read (stale epochs get FAILED_PRECONDITION).
   */
  ReadAudience(argument: _relaycast_v1_ReadAudienceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  ReadAudience(argument: _relaycast_v1_ReadAudienceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  ReadAudience(argument: _relaycast_v1_ReadAudienceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  ReadAudience(argument: _relaycast_v1_ReadAudienceRequest, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A page of a shard's recipients, by sequence. Only the order's current
   * epoch may read (stale epochs get FAILED_PRECONDITION).
   */
  readAudience(argument: _relaycast_v1_ReadAudienceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  readAudience(argument: _relaycast_v1_ReadAudienceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  readAudience(argument: _relaycast_v1_ReadAudienceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  readAudience(argument: _relaycast_v1_ReadAudienceRequest, callback: grpc.requestCallback<_relaycast_v1_ReadAudienceResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Record permanent failures durably before the node moves past them.
   */
  ReportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ReportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ReportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ReportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Record permanent failures durably before the node moves past them.
   */
  reportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  reportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  reportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  reportDeadLetters(argument: _relaycast_v1_ReportDeadLettersRequest, callback: grpc.requestCallback<_relaycast_v1_ReportDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * The node-facing data plane of broadcasts.
 */
export interface ShardDataHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A page of a shard's recipients, by sequence. Only the order's current
   * epoch may read (stale epochs get FAILED_PRECONDITION).
   */
  ReadAudience: grpc.handleUnaryCall<_relaycast_v1_ReadAudienceRequest__Output, _relaycast_v1_ReadAudienceResponse>;
  
  /**
   * Record permanent failures durably before the node moves past them.
   */
  ReportDeadLetters: grpc.handleUnaryCall<_relaycast_v1_ReportDeadLettersRequest__Output, _relaycast_v1_ReportDeadLettersResponse>;
  
}

export interface ShardDataDefinition extends grpc.ServiceDefinition {
  ReadAudience: MethodDefinition<_relaycast_v1_ReadAudienceRequest, _relaycast_v1_ReadAudienceResponse, _relaycast_v1_ReadAudienceRequest__Output, _relaycast_v1_ReadAudienceResponse__Output>
  ReportDeadLetters: MethodDefinition<_relaycast_v1_ReportDeadLettersRequest, _relaycast_v1_ReportDeadLettersResponse, _relaycast_v1_ReportDeadLettersRequest__Output, _relaycast_v1_ReportDeadLettersResponse__Output>
}
