// Original file: proto/relaycast/v1/broadcasts.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AudienceChunk as _relaycast_v1_AudienceChunk, AudienceChunk__Output as _relaycast_v1_AudienceChunk__Output } from '../../relaycast/v1/AudienceChunk';
import type { Broadcast as _relaycast_v1_Broadcast, Broadcast__Output as _relaycast_v1_Broadcast__Output } from '../../relaycast/v1/Broadcast';
import type { BroadcastRef as _relaycast_v1_BroadcastRef, BroadcastRef__Output as _relaycast_v1_BroadcastRef__Output } from '../../relaycast/v1/BroadcastRef';
import type { CreateBroadcastRequest as _relaycast_v1_CreateBroadcastRequest, CreateBroadcastRequest__Output as _relaycast_v1_CreateBroadcastRequest__Output } from '../../relaycast/v1/CreateBroadcastRequest';
import type { GetBroadcastRequest as _relaycast_v1_GetBroadcastRequest, GetBroadcastRequest__Output as _relaycast_v1_GetBroadcastRequest__Output } from '../../relaycast/v1/GetBroadcastRequest';
import type { ListBroadcastsRequest as _relaycast_v1_ListBroadcastsRequest, ListBroadcastsRequest__Output as _relaycast_v1_ListBroadcastsRequest__Output } from '../../relaycast/v1/ListBroadcastsRequest';
import type { ListBroadcastsResponse as _relaycast_v1_ListBroadcastsResponse, ListBroadcastsResponse__Output as _relaycast_v1_ListBroadcastsResponse__Output } from '../../relaycast/v1/ListBroadcastsResponse';
import type { ListDeadLettersRequest as _relaycast_v1_ListDeadLettersRequest, ListDeadLettersRequest__Output as _relaycast_v1_ListDeadLettersRequest__Output } from '../../relaycast/v1/ListDeadLettersRequest';
import type { ListDeadLettersResponse as _relaycast_v1_ListDeadLettersResponse, ListDeadLettersResponse__Output as _relaycast_v1_ListDeadLettersResponse__Output } from '../../relaycast/v1/ListDeadLettersResponse';
import type { RetryDeadLettersRequest as _relaycast_v1_RetryDeadLettersRequest, RetryDeadLettersRequest__Output as _relaycast_v1_RetryDeadLettersRequest__Output } from '../../relaycast/v1/RetryDeadLettersRequest';
import type { RetryDeadLettersResponse as _relaycast_v1_RetryDeadLettersResponse, RetryDeadLettersResponse__Output as _relaycast_v1_RetryDeadLettersResponse__Output } from '../../relaycast/v1/RetryDeadLettersResponse';
import type { UploadAudienceResponse as _relaycast_v1_UploadAudienceResponse, UploadAudienceResponse__Output as _relaycast_v1_UploadAudienceResponse__Output } from '../../relaycast/v1/UploadAudienceResponse';
import type { WatchBroadcastRequest as _relaycast_v1_WatchBroadcastRequest, WatchBroadcastRequest__Output as _relaycast_v1_WatchBroadcastRequest__Output } from '../../relaycast/v1/WatchBroadcastRequest';

/**
 * Broadcasts: hand relaycast a message template and an audience; it reaches
 * every reachable recipient once, personalised, with progress to watch.
 */
export interface BroadcastsClient extends grpc.Client {
  CancelBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  CancelBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  CancelBroadcast(argument: _relaycast_v1_BroadcastRef, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  CancelBroadcast(argument: _relaycast_v1_BroadcastRef, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  cancelBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  cancelBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  cancelBroadcast(argument: _relaycast_v1_BroadcastRef, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  cancelBroadcast(argument: _relaycast_v1_BroadcastRef, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  
  CreateBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  CreateBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  CreateBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  CreateBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  createBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  createBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  createBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  createBroadcast(argument: _relaycast_v1_CreateBroadcastRequest, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  
  GetBroadcast(argument: _relaycast_v1_GetBroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  GetBroadcast(argument: _relaycast_v1_GetBroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  GetBroadcast(argument: _relaycast_v1_GetBroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  GetBroadcast(argument: _relaycast_v1_GetBroadcastRequest, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  getBroadcast(argument: _relaycast_v1_GetBroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  getBroadcast(argument: _relaycast_v1_GetBroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  getBroadcast(argument: _relaycast_v1_GetBroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  getBroadcast(argument: _relaycast_v1_GetBroadcastRequest, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  
  ListBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  ListBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  ListBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  ListBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  listBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  listBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  listBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  listBroadcasts(argument: _relaycast_v1_ListBroadcastsRequest, callback: grpc.requestCallback<_relaycast_v1_ListBroadcastsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The failed-message queue: recipients dead-lettered with their reason.
   */
  ListDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The failed-message queue: recipients dead-lettered with their reason.
   */
  listDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _relaycast_v1_ListDeadLettersRequest, callback: grpc.requestCallback<_relaycast_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  
  PauseBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  PauseBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  PauseBroadcast(argument: _relaycast_v1_BroadcastRef, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  PauseBroadcast(argument: _relaycast_v1_BroadcastRef, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  pauseBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  pauseBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  pauseBroadcast(argument: _relaycast_v1_BroadcastRef, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  pauseBroadcast(argument: _relaycast_v1_BroadcastRef, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  
  ResumeBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  ResumeBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  ResumeBroadcast(argument: _relaycast_v1_BroadcastRef, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  ResumeBroadcast(argument: _relaycast_v1_BroadcastRef, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  resumeBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  resumeBroadcast(argument: _relaycast_v1_BroadcastRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  resumeBroadcast(argument: _relaycast_v1_BroadcastRef, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  resumeBroadcast(argument: _relaycast_v1_BroadcastRef, callback: grpc.requestCallback<_relaycast_v1_Broadcast__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deliver dead letters again (all of them, or those listed).
   */
  RetryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  RetryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  RetryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  RetryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deliver dead letters again (all of them, or those listed).
   */
  retryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  retryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  retryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  retryDeadLetters(argument: _relaycast_v1_RetryDeadLettersRequest, callback: grpc.requestCallback<_relaycast_v1_RetryDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Upload a large audience in chunks; use the returned upload id in CreateBroadcast.
   */
  UploadAudience(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  UploadAudience(metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  UploadAudience(options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  UploadAudience(callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  /**
   * Upload a large audience in chunks; use the returned upload id in CreateBroadcast.
   */
  uploadAudience(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  uploadAudience(metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  uploadAudience(options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  uploadAudience(callback: grpc.requestCallback<_relaycast_v1_UploadAudienceResponse__Output>): grpc.ClientWritableStream<_relaycast_v1_AudienceChunk>;
  
  /**
   * Progress snapshots, then the final state, then the stream ends.
   */
  WatchBroadcast(argument: _relaycast_v1_WatchBroadcastRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_Broadcast__Output>;
  WatchBroadcast(argument: _relaycast_v1_WatchBroadcastRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_Broadcast__Output>;
  /**
   * Progress snapshots, then the final state, then the stream ends.
   */
  watchBroadcast(argument: _relaycast_v1_WatchBroadcastRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_Broadcast__Output>;
  watchBroadcast(argument: _relaycast_v1_WatchBroadcastRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_relaycast_v1_Broadcast__Output>;
  
}

/**
 * Broadcasts: hand relaycast a message template and an audience; it reaches
 * every reachable recipient once, personalised, with progress to watch.
 */
export interface BroadcastsHandlers extends grpc.UntypedServiceImplementation {
  CancelBroadcast: grpc.handleUnaryCall<_relaycast_v1_BroadcastRef__Output, _relaycast_v1_Broadcast>;
  
  CreateBroadcast: grpc.handleUnaryCall<_relaycast_v1_CreateBroadcastRequest__Output, _relaycast_v1_Broadcast>;
  
  GetBroadcast: grpc.handleUnaryCall<_relaycast_v1_GetBroadcastRequest__Output, _relaycast_v1_Broadcast>;
  
  ListBroadcasts: grpc.handleUnaryCall<_relaycast_v1_ListBroadcastsRequest__Output, _relaycast_v1_ListBroadcastsResponse>;
  
  /**
   * The failed-message queue: recipients dead-lettered with their reason.
   */
  ListDeadLetters: grpc.handleUnaryCall<_relaycast_v1_ListDeadLettersRequest__Output, _relaycast_v1_ListDeadLettersResponse>;
  
  PauseBroadcast: grpc.handleUnaryCall<_relaycast_v1_BroadcastRef__Output, _relaycast_v1_Broadcast>;
  
  ResumeBroadcast: grpc.handleUnaryCall<_relaycast_v1_BroadcastRef__Output, _relaycast_v1_Broadcast>;
  
  /**
   * Deliver dead letters again (all of them, or those listed).
   */
  RetryDeadLetters: grpc.handleUnaryCall<_relaycast_v1_RetryDeadLettersRequest__Output, _relaycast_v1_RetryDeadLettersResponse>;
  
  /**
   * Upload a large audience in chunks; use the returned upload id in CreateBroadcast.
   */
  UploadAudience: grpc.handleClientStreamingCall<_relaycast_v1_AudienceChunk__Output, _relaycast_v1_UploadAudienceResponse>;
  
  /**
   * Progress snapshots, then the final state, then the stream ends.
   */
  WatchBroadcast: grpc.handleServerStreamingCall<_relaycast_v1_WatchBroadcastRequest__Output, _relaycast_v1_Broadcast>;
  
}

export interface BroadcastsDefinition extends grpc.ServiceDefinition {
  CancelBroadcast: MethodDefinition<_relaycast_v1_BroadcastRef, _relaycast_v1_Broadcast, _relaycast_v1_BroadcastRef__Output, _relaycast_v1_Broadcast__Output>
  CreateBroadcast: MethodDefinition<_relaycast_v1_CreateBroadcastRequest, _relaycast_v1_Broadcast, _relaycast_v1_CreateBroadcastRequest__Output, _relaycast_v1_Broadcast__Output>
  GetBroadcast: MethodDefinition<_relaycast_v1_GetBroadcastRequest, _relaycast_v1_Broadcast, _relaycast_v1_GetBroadcastRequest__Output, _relaycast_v1_Broadcast__Output>
  ListBroadcasts: MethodDefinition<_relaycast_v1_ListBroadcastsRequest, _relaycast_v1_ListBroadcastsResponse, _relaycast_v1_ListBroadcastsRequest__Output, _relaycast_v1_ListBroadcastsResponse__Output>
  ListDeadLetters: MethodDefinition<_relaycast_v1_ListDeadLettersRequest, _relaycast_v1_ListDeadLettersResponse, _relaycast_v1_ListDeadLettersRequest__Output, _relaycast_v1_ListDeadLettersResponse__Output>
  PauseBroadcast: MethodDefinition<_relaycast_v1_BroadcastRef, _relaycast_v1_Broadcast, _relaycast_v1_BroadcastRef__Output, _relaycast_v1_Broadcast__Output>
  ResumeBroadcast: MethodDefinition<_relaycast_v1_BroadcastRef, _relaycast_v1_Broadcast, _relaycast_v1_BroadcastRef__Output, _relaycast_v1_Broadcast__Output>
  RetryDeadLetters: MethodDefinition<_relaycast_v1_RetryDeadLettersRequest, _relaycast_v1_RetryDeadLettersResponse, _relaycast_v1_RetryDeadLettersRequest__Output, _relaycast_v1_RetryDeadLettersResponse__Output>
  UploadAudience: MethodDefinition<_relaycast_v1_AudienceChunk, _relaycast_v1_UploadAudienceResponse, _relaycast_v1_AudienceChunk__Output, _relaycast_v1_UploadAudienceResponse__Output>
  WatchBroadcast: MethodDefinition<_relaycast_v1_WatchBroadcastRequest, _relaycast_v1_Broadcast, _relaycast_v1_WatchBroadcastRequest__Output, _relaycast_v1_Broadcast__Output>
}
