import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _relaycast_v1_AdminClient, AdminDefinition as _relaycast_v1_AdminDefinition } from './relaycast/v1/Admin';
import type { DeregisterRequest as _relaycast_v1_DeregisterRequest, DeregisterRequest__Output as _relaycast_v1_DeregisterRequest__Output } from './relaycast/v1/DeregisterRequest';
import type { DeregisterResponse as _relaycast_v1_DeregisterResponse, DeregisterResponse__Output as _relaycast_v1_DeregisterResponse__Output } from './relaycast/v1/DeregisterResponse';
import type { DrainNodeRequest as _relaycast_v1_DrainNodeRequest, DrainNodeRequest__Output as _relaycast_v1_DrainNodeRequest__Output } from './relaycast/v1/DrainNodeRequest';
import type { DrainNodeResponse as _relaycast_v1_DrainNodeResponse, DrainNodeResponse__Output as _relaycast_v1_DrainNodeResponse__Output } from './relaycast/v1/DrainNodeResponse';
import type { GetStatusRequest as _relaycast_v1_GetStatusRequest, GetStatusRequest__Output as _relaycast_v1_GetStatusRequest__Output } from './relaycast/v1/GetStatusRequest';
import type { GetStatusResponse as _relaycast_v1_GetStatusResponse, GetStatusResponse__Output as _relaycast_v1_GetStatusResponse__Output } from './relaycast/v1/GetStatusResponse';
import type { Label as _relaycast_v1_Label, Label__Output as _relaycast_v1_Label__Output } from './relaycast/v1/Label';
import type { ListNodesRequest as _relaycast_v1_ListNodesRequest, ListNodesRequest__Output as _relaycast_v1_ListNodesRequest__Output } from './relaycast/v1/ListNodesRequest';
import type { ListNodesResponse as _relaycast_v1_ListNodesResponse, ListNodesResponse__Output as _relaycast_v1_ListNodesResponse__Output } from './relaycast/v1/ListNodesResponse';
import type { Member as _relaycast_v1_Member, Member__Output as _relaycast_v1_Member__Output } from './relaycast/v1/Member';
import type { MembershipClient as _relaycast_v1_MembershipClient, MembershipDefinition as _relaycast_v1_MembershipDefinition } from './relaycast/v1/Membership';
import type { RegisterRequest as _relaycast_v1_RegisterRequest, RegisterRequest__Output as _relaycast_v1_RegisterRequest__Output } from './relaycast/v1/RegisterRequest';
import type { RegisterResponse as _relaycast_v1_RegisterResponse, RegisterResponse__Output as _relaycast_v1_RegisterResponse__Output } from './relaycast/v1/RegisterResponse';
import type { StateCount as _relaycast_v1_StateCount, StateCount__Output as _relaycast_v1_StateCount__Output } from './relaycast/v1/StateCount';
import type { WatchEvent as _relaycast_v1_WatchEvent, WatchEvent__Output as _relaycast_v1_WatchEvent__Output } from './relaycast/v1/WatchEvent';
import type { WatchRequest as _relaycast_v1_WatchRequest, WatchRequest__Output as _relaycast_v1_WatchRequest__Output } from './relaycast/v1/WatchRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  relaycast: {
    v1: {
      /**
       * Operator surface of the coordinator.
       */
      Admin: SubtypeConstructor<typeof grpc.Client, _relaycast_v1_AdminClient> & { service: _relaycast_v1_AdminDefinition }
      DeregisterRequest: MessageTypeDefinition<_relaycast_v1_DeregisterRequest, _relaycast_v1_DeregisterRequest__Output>
      DeregisterResponse: MessageTypeDefinition<_relaycast_v1_DeregisterResponse, _relaycast_v1_DeregisterResponse__Output>
      DrainNodeRequest: MessageTypeDefinition<_relaycast_v1_DrainNodeRequest, _relaycast_v1_DrainNodeRequest__Output>
      DrainNodeResponse: MessageTypeDefinition<_relaycast_v1_DrainNodeResponse, _relaycast_v1_DrainNodeResponse__Output>
      EventType: EnumTypeDefinition
      GetStatusRequest: MessageTypeDefinition<_relaycast_v1_GetStatusRequest, _relaycast_v1_GetStatusRequest__Output>
      GetStatusResponse: MessageTypeDefinition<_relaycast_v1_GetStatusResponse, _relaycast_v1_GetStatusResponse__Output>
      Label: MessageTypeDefinition<_relaycast_v1_Label, _relaycast_v1_Label__Output>
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
      RegisterRequest: MessageTypeDefinition<_relaycast_v1_RegisterRequest, _relaycast_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_relaycast_v1_RegisterResponse, _relaycast_v1_RegisterResponse__Output>
      StateCount: MessageTypeDefinition<_relaycast_v1_StateCount, _relaycast_v1_StateCount__Output>
      WatchEvent: MessageTypeDefinition<_relaycast_v1_WatchEvent, _relaycast_v1_WatchEvent__Output>
      WatchRequest: MessageTypeDefinition<_relaycast_v1_WatchRequest, _relaycast_v1_WatchRequest__Output>
    }
  }
}

