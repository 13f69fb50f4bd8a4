import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AudienceChunk as _relaycast_v1_AudienceChunk, AudienceChunk__Output as _relaycast_v1_AudienceChunk__Output } from './relaycast/v1/AudienceChunk';
import type { Broadcast as _relaycast_v1_Broadcast, Broadcast__Output as _relaycast_v1_Broadcast__Output } from './relaycast/v1/Broadcast';
import type { BroadcastCounts as _relaycast_v1_BroadcastCounts, BroadcastCounts__Output as _relaycast_v1_BroadcastCounts__Output } from './relaycast/v1/BroadcastCounts';
import type { BroadcastOptions as _relaycast_v1_BroadcastOptions, BroadcastOptions__Output as _relaycast_v1_BroadcastOptions__Output } from './relaycast/v1/BroadcastOptions';
import type { BroadcastRef as _relaycast_v1_BroadcastRef, BroadcastRef__Output as _relaycast_v1_BroadcastRef__Output } from './relaycast/v1/BroadcastRef';
import type { BroadcastsClient as _relaycast_v1_BroadcastsClient, BroadcastsDefinition as _relaycast_v1_BroadcastsDefinition } from './relaycast/v1/Broadcasts';
import type { CreateBroadcastRequest as _relaycast_v1_CreateBroadcastRequest, CreateBroadcastRequest__Output as _relaycast_v1_CreateBroadcastRequest__Output } from './relaycast/v1/CreateBroadcastRequest';
import type { DeadLetter as _relaycast_v1_DeadLetter, DeadLetter__Output as _relaycast_v1_DeadLetter__Output } from './relaycast/v1/DeadLetter';
import type { DeregisterRequest as _relaycast_v1_DeregisterRequest, DeregisterRequest__Output as _relaycast_v1_DeregisterRequest__Output } from './relaycast/v1/DeregisterRequest';
import type { DeregisterResponse as _relaycast_v1_DeregisterResponse, DeregisterResponse__Output as _relaycast_v1_DeregisterResponse__Output } from './relaycast/v1/DeregisterResponse';
import type { GetBroadcastRequest as _relaycast_v1_GetBroadcastRequest, GetBroadcastRequest__Output as _relaycast_v1_GetBroadcastRequest__Output } from './relaycast/v1/GetBroadcastRequest';
import type { Label as _relaycast_v1_Label, Label__Output as _relaycast_v1_Label__Output } from './relaycast/v1/Label';
import type { ListBroadcastsRequest as _relaycast_v1_ListBroadcastsRequest, ListBroadcastsRequest__Output as _relaycast_v1_ListBroadcastsRequest__Output } from './relaycast/v1/ListBroadcastsRequest';
import type { ListBroadcastsResponse as _relaycast_v1_ListBroadcastsResponse, ListBroadcastsResponse__Output as _relaycast_v1_ListBroadcastsResponse__Output } from './relaycast/v1/ListBroadcastsResponse';
import type { ListDeadLettersRequest as _relaycast_v1_ListDeadLettersRequest, ListDeadLettersRequest__Output as _relaycast_v1_ListDeadLettersRequest__Output } from './relaycast/v1/ListDeadLettersRequest';
import type { ListDeadLettersResponse as _relaycast_v1_ListDeadLettersResponse, ListDeadLettersResponse__Output as _relaycast_v1_ListDeadLettersResponse__Output } from './relaycast/v1/ListDeadLettersResponse';
import type { ListNodesRequest as _relaycast_v1_ListNodesRequest, ListNodesRequest__Output as _relaycast_v1_ListNodesRequest__Output } from './relaycast/v1/ListNodesRequest';
import type { ListNodesResponse as _relaycast_v1_ListNodesResponse, ListNodesResponse__Output as _relaycast_v1_ListNodesResponse__Output } from './relaycast/v1/ListNodesResponse';
import type { Member as _relaycast_v1_Member, Member__Output as _relaycast_v1_Member__Output } from './relaycast/v1/Member';
import type { MembershipClient as _relaycast_v1_MembershipClient, MembershipDefinition as _relaycast_v1_MembershipDefinition } from './relaycast/v1/Membership';
import type { ReadAudienceRequest as _relaycast_v1_ReadAudienceRequest, ReadAudienceRequest__Output as _relaycast_v1_ReadAudienceRequest__Output } from './relaycast/v1/ReadAudienceRequest';
import type { ReadAudienceResponse as _relaycast_v1_ReadAudienceResponse, ReadAudienceResponse__Output as _relaycast_v1_ReadAudienceResponse__Output } from './relaycast/v1/ReadAudienceResponse';
import type { Recipient as _relaycast_v1_Recipient, Recipient__Output as _relaycast_v1_Recipient__Output } from './relaycast/v1/Recipient';
import type { RegisterRequest as _relaycast_v1_RegisterRequest, RegisterRequest__Output as _relaycast_v1_RegisterRequest__Output } from './relaycast/v1/RegisterRequest';
import type { RegisterResponse as _relaycast_v1_RegisterResponse, RegisterResponse__Output as _relaycast_v1_RegisterResponse__Output } from './relaycast/v1/RegisterResponse';
import type { ReportDeadLettersRequest as _relaycast_v1_ReportDeadLettersRequest, ReportDeadLettersRequest__Output as _relaycast_v1_ReportDeadLettersRequest__Output } from './relaycast/v1/ReportDeadLettersRequest';
import type { ReportDeadLettersResponse as _relaycast_v1_ReportDeadLettersResponse, ReportDeadLettersResponse__Output as _relaycast_v1_ReportDeadLettersResponse__Output } from './relaycast/v1/ReportDeadLettersResponse';
import type { RetryDeadLettersRequest as _relaycast_v1_RetryDeadLettersRequest, RetryDeadLettersRequest__Output as _relaycast_v1_RetryDeadLettersRequest__Output } from './relaycast/v1/RetryDeadLettersRequest';
import type { RetryDeadLettersResponse as _relaycast_v1_RetryDeadLettersResponse, RetryDeadLettersResponse__Output as _relaycast_v1_RetryDeadLettersResponse__Output } from './relaycast/v1/RetryDeadLettersResponse';
import type { ShardDataClient as _relaycast_v1_ShardDataClient, ShardDataDefinition as _relaycast_v1_ShardDataDefinition } from './relaycast/v1/ShardData';
import type { ShardStatus as _relaycast_v1_ShardStatus, ShardStatus__Output as _relaycast_v1_ShardStatus__Output } from './relaycast/v1/ShardStatus';
import type { UploadAudienceResponse as _relaycast_v1_UploadAudienceResponse, UploadAudienceResponse__Output as _relaycast_v1_UploadAudienceResponse__Output } from './relaycast/v1/UploadAudienceResponse';
import type { WatchBroadcastRequest as _relaycast_v1_WatchBroadcastRequest, WatchBroadcastRequest__Output as _relaycast_v1_WatchBroadcastRequest__Output } from './relaycast/v1/WatchBroadcastRequest';
import type { WatchEvent as _relaycast_v1_WatchEvent, WatchEvent__Output as _relaycast_v1_WatchEvent__Output } from './relaycast/v1/WatchEvent';
import type { WatchRequest as _relaycast_v1_WatchRequest, WatchRequest__Output as _relaycast_v1_WatchRequest__Output } from './relaycast/v1/WatchRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  relaycast: {
    v1: {
      AudienceChunk: MessageTypeDefinition<_relaycast_v1_AudienceChunk, _relaycast_v1_AudienceChunk__Output>
      Broadcast: MessageTypeDefinition<_relaycast_v1_Broadcast, _relaycast_v1_Broadcast__Output>
      BroadcastCounts: MessageTypeDefinition<_relaycast_v1_BroadcastCounts, _relaycast_v1_BroadcastCounts__Output>
      BroadcastOptions: MessageTypeDefinition<_relaycast_v1_BroadcastOptions, _relaycast_v1_BroadcastOptions__Output>
      BroadcastRef: MessageTypeDefinition<_relaycast_v1_BroadcastRef, _relaycast_v1_BroadcastRef__Output>
      BroadcastState: EnumTypeDefinition
      /**
       * Broadcasts: hand relaycast a message template and an audience; it reaches
       * every reachable recipient once, personalised, with progress to watch.
       */
      Broadcasts: SubtypeConstructor<typeof grpc.Client, _relaycast_v1_BroadcastsClient> & { service: _relaycast_v1_BroadcastsDefinition }
      CreateBroadcastRequest: MessageTypeDefinition<_relaycast_v1_CreateBroadcastRequest, _relaycast_v1_CreateBroadcastRequest__Output>
      DeadLetter: MessageTypeDefinition<_relaycast_v1_DeadLetter, _relaycast_v1_DeadLetter__Output>
      DeregisterRequest: MessageTypeDefinition<_relaycast_v1_DeregisterRequest, _relaycast_v1_DeregisterRequest__Output>
      DeregisterResponse: MessageTypeDefinition<_relaycast_v1_DeregisterResponse, _relaycast_v1_DeregisterResponse__Output>
      EventType: EnumTypeDefinition
      GetBroadcastRequest: MessageTypeDefinition<_relaycast_v1_GetBroadcastRequest, _relaycast_v1_GetBroadcastRequest__Output>
      Label: MessageTypeDefinition<_relaycast_v1_Label, _relaycast_v1_Label__Output>
      ListBroadcastsRequest: MessageTypeDefinition<_relaycast_v1_ListBroadcastsRequest, _relaycast_v1_ListBroadcastsRequest__Output>
      ListBroadcastsResponse: MessageTypeDefinition<_relaycast_v1_ListBroadcastsResponse, _relaycast_v1_ListBroadcastsResponse__Output>
      ListDeadLettersRequest: MessageTypeDefinition<_relaycast_v1_ListDeadLettersRequest, _relaycast_v1_ListDeadLettersRequest__Output>
      ListDeadLettersResponse: MessageTypeDefinition<_relaycast_v1_ListDeadLettersResponse, _relaycast_v1_ListDeadLettersResponse__Output>
      ListNodesRequest: MessageTypeDefinition<_relaycast_v1_ListNodesRequest, _relaycast_v1_ListNodesRequest__Output>
      ListNodesResponse: MessageTypeDefinition<_relaycast_v1_ListNodesResponse, _relaycast_v1_ListNodesResponse__Output>
      Member: MessageTypeDefinition<_relaycast_v1_Member, _relaycast_v1_Member__Output>
      MemberKind: EnumTypeDefinition
      /**
       * Membership is the registry: nodes and relays register, keep a lease alive,
       * and other services list members and watch membership events.
       */
      Membership: SubtypeConstructor<typeof grpc.Client, _relaycast_v1_MembershipClient> & { service: _relaycast_v1_MembershipDefinition }
      NodeState: EnumTypeDefinition
      ReadAudienceRequest: MessageTypeDefinition<_relaycast_v1_ReadAudienceRequest, _relaycast_v1_ReadAudienceRequest__Output>
      ReadAudienceResponse: MessageTypeDefinition<_relaycast_v1_ReadAudienceResponse, _relaycast_v1_ReadAudienceResponse__Output>
      Recipient: MessageTypeDefinition<_relaycast_v1_Recipient, _relaycast_v1_Recipient__Output>
      RegisterRequest: MessageTypeDefinition<_relaycast_v1_RegisterRequest, _relaycast_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_relaycast_v1_RegisterResponse, _relaycast_v1_RegisterResponse__Output>
      ReportDeadLettersRequest: MessageTypeDefinition<_relaycast_v1_ReportDeadLettersRequest, _relaycast_v1_ReportDeadLettersRequest__Output>
      ReportDeadLettersResponse: MessageTypeDefinition<_relaycast_v1_ReportDeadLettersResponse, _relaycast_v1_ReportDeadLettersResponse__Output>
      RetryDeadLettersRequest: MessageTypeDefinition<_relaycast_v1_RetryDeadLettersRequest, _relaycast_v1_RetryDeadLettersRequest__Output>
      RetryDeadLettersResponse: MessageTypeDefinition<_relaycast_v1_RetryDeadLettersResponse, _relaycast_v1_RetryDeadLettersResponse__Output>
      /**
       * The node-facing data plane of broadcasts.
       */
      ShardData: SubtypeConstructor<typeof grpc.Client, _relaycast_v1_ShardDataClient> & { service: _relaycast_v1_ShardDataDefinition }
      ShardState: EnumTypeDefinition
      ShardStatus: MessageTypeDefinition<_relaycast_v1_ShardStatus, _relaycast_v1_ShardStatus__Output>
      UploadAudienceResponse: MessageTypeDefinition<_relaycast_v1_UploadAudienceResponse, _relaycast_v1_UploadAudienceResponse__Output>
      WatchBroadcastRequest: MessageTypeDefinition<_relaycast_v1_WatchBroadcastRequest, _relaycast_v1_WatchBroadcastRequest__Output>
      WatchEvent: MessageTypeDefinition<_relaycast_v1_WatchEvent, _relaycast_v1_WatchEvent__Output>
      WatchRequest: MessageTypeDefinition<_relaycast_v1_WatchRequest, _relaycast_v1_WatchRequest__Output>
    }
  }
}

