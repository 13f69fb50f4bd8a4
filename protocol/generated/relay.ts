import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Attach as _relaycast_v1_Attach, Attach__Output as _relaycast_v1_Attach__Output } from './relaycast/v1/Attach';
import type { BatchAck as _relaycast_v1_BatchAck, BatchAck__Output as _relaycast_v1_BatchAck__Output } from './relaycast/v1/BatchAck';
import type { DeregisterRequest as _relaycast_v1_DeregisterRequest, DeregisterRequest__Output as _relaycast_v1_DeregisterRequest__Output } from './relaycast/v1/DeregisterRequest';
import type { DeregisterResponse as _relaycast_v1_DeregisterResponse, DeregisterResponse__Output as _relaycast_v1_DeregisterResponse__Output } from './relaycast/v1/DeregisterResponse';
import type { Label as _relaycast_v1_Label, Label__Output as _relaycast_v1_Label__Output } from './relaycast/v1/Label';
import type { LeafBatch as _relaycast_v1_LeafBatch, LeafBatch__Output as _relaycast_v1_LeafBatch__Output } from './relaycast/v1/LeafBatch';
import type { LeafDelivery as _relaycast_v1_LeafDelivery, LeafDelivery__Output as _relaycast_v1_LeafDelivery__Output } from './relaycast/v1/LeafDelivery';
import type { LeafLiveness as _relaycast_v1_LeafLiveness, LeafLiveness__Output as _relaycast_v1_LeafLiveness__Output } from './relaycast/v1/LeafLiveness';
import type { LeafMessage as _relaycast_v1_LeafMessage, LeafMessage__Output as _relaycast_v1_LeafMessage__Output } from './relaycast/v1/LeafMessage';
import type { LeafRejection as _relaycast_v1_LeafRejection, LeafRejection__Output as _relaycast_v1_LeafRejection__Output } from './relaycast/v1/LeafRejection';
import type { LeaseLost as _relaycast_v1_LeaseLost, LeaseLost__Output as _relaycast_v1_LeaseLost__Output } from './relaycast/v1/LeaseLost';
import type { LeaseRenewed as _relaycast_v1_LeaseRenewed, LeaseRenewed__Output as _relaycast_v1_LeaseRenewed__Output } from './relaycast/v1/LeaseRenewed';
import type { Leave as _relaycast_v1_Leave, Leave__Output as _relaycast_v1_Leave__Output } from './relaycast/v1/Leave';
import type { ListNodesRequest as _relaycast_v1_ListNodesRequest, ListNodesRequest__Output as _relaycast_v1_ListNodesRequest__Output } from './relaycast/v1/ListNodesRequest';
import type { ListNodesResponse as _relaycast_v1_ListNodesResponse, ListNodesResponse__Output as _relaycast_v1_ListNodesResponse__Output } from './relaycast/v1/ListNodesResponse';
import type { Liveness as _relaycast_v1_Liveness, Liveness__Output as _relaycast_v1_Liveness__Output } from './relaycast/v1/Liveness';
import type { Member as _relaycast_v1_Member, Member__Output as _relaycast_v1_Member__Output } from './relaycast/v1/Member';
import type { MembershipClient as _relaycast_v1_MembershipClient, MembershipDefinition as _relaycast_v1_MembershipDefinition } from './relaycast/v1/Membership';
import type { NodeMessage as _relaycast_v1_NodeMessage, NodeMessage__Output as _relaycast_v1_NodeMessage__Output } from './relaycast/v1/NodeMessage';
import type { NodeSessionClient as _relaycast_v1_NodeSessionClient, NodeSessionDefinition as _relaycast_v1_NodeSessionDefinition } from './relaycast/v1/NodeSession';
import type { RegisterRequest as _relaycast_v1_RegisterRequest, RegisterRequest__Output as _relaycast_v1_RegisterRequest__Output } from './relaycast/v1/RegisterRequest';
import type { RegisterResponse as _relaycast_v1_RegisterResponse, RegisterResponse__Output as _relaycast_v1_RegisterResponse__Output } from './relaycast/v1/RegisterResponse';
import type { RelayDown as _relaycast_v1_RelayDown, RelayDown__Output as _relaycast_v1_RelayDown__Output } from './relaycast/v1/RelayDown';
import type { RelayHello as _relaycast_v1_RelayHello, RelayHello__Output as _relaycast_v1_RelayHello__Output } from './relaycast/v1/RelayHello';
import type { RelayLinkClient as _relaycast_v1_RelayLinkClient, RelayLinkDefinition as _relaycast_v1_RelayLinkDefinition } from './relaycast/v1/RelayLink';
import type { RelayUp as _relaycast_v1_RelayUp, RelayUp__Output as _relaycast_v1_RelayUp__Output } from './relaycast/v1/RelayUp';
import type { RelayWelcome as _relaycast_v1_RelayWelcome, RelayWelcome__Output as _relaycast_v1_RelayWelcome__Output } from './relaycast/v1/RelayWelcome';
import type { SessionMessage as _relaycast_v1_SessionMessage, SessionMessage__Output as _relaycast_v1_SessionMessage__Output } from './relaycast/v1/SessionMessage';
import type { ShardOrder as _relaycast_v1_ShardOrder, ShardOrder__Output as _relaycast_v1_ShardOrder__Output } from './relaycast/v1/ShardOrder';
import type { ShardProgress as _relaycast_v1_ShardProgress, ShardProgress__Output as _relaycast_v1_ShardProgress__Output } from './relaycast/v1/ShardProgress';
import type { ShardRevoke as _relaycast_v1_ShardRevoke, ShardRevoke__Output as _relaycast_v1_ShardRevoke__Output } from './relaycast/v1/ShardRevoke';
import type { WatchEvent as _relaycast_v1_WatchEvent, WatchEvent__Output as _relaycast_v1_WatchEvent__Output } from './relaycast/v1/WatchEvent';
import type { WatchRequest as _relaycast_v1_WatchRequest, WatchRequest__Output as _relaycast_v1_WatchRequest__Output } from './relaycast/v1/WatchRequest';
import type { Welcome as _relaycast_v1_Welcome, Welcome__Output as _relaycast_v1_Welcome__Output } from './relaycast/v1/Welcome';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  relaycast: {
    v1: {
      Attach: MessageTypeDefinition<_relaycast_v1_Attach, _relaycast_v1_Attach__Output>
      BatchAck: MessageTypeDefinition<_relaycast_v1_BatchAck, _relaycast_v1_BatchAck__Output>
      DeregisterRequest: MessageTypeDefinition<_relaycast_v1_DeregisterRequest, _relaycast_v1_DeregisterRequest__Output>
      DeregisterResponse: MessageTypeDefinition<_relaycast_v1_DeregisterResponse, _relaycast_v1_DeregisterResponse__Output>
      EventType: EnumTypeDefinition
      Label: MessageTypeDefinition<_relaycast_v1_Label, _relaycast_v1_Label__Output>
      LeafBatch: MessageTypeDefinition<_relaycast_v1_LeafBatch, _relaycast_v1_LeafBatch__Output>
      LeafDelivery: MessageTypeDefinition<_relaycast_v1_LeafDelivery, _relaycast_v1_LeafDelivery__Output>
      LeafLiveness: MessageTypeDefinition<_relaycast_v1_LeafLiveness, _relaycast_v1_LeafLiveness__Output>
      LeafMessage: MessageTypeDefinition<_relaycast_v1_LeafMessage, _relaycast_v1_LeafMessage__Output>
      LeafRejection: MessageTypeDefinition<_relaycast_v1_LeafRejection, _relaycast_v1_LeafRejection__Output>
      LeaseLost: MessageTypeDefinition<_relaycast_v1_LeaseLost, _relaycast_v1_LeaseLost__Output>
      LeaseRenewed: MessageTypeDefinition<_relaycast_v1_LeaseRenewed, _relaycast_v1_LeaseRenewed__Output>
      Leave: MessageTypeDefinition<_relaycast_v1_Leave, _relaycast_v1_Leave__Output>
      ListNodesRequest: MessageTypeDefinition<_relaycast_v1_ListNodesRequest, _relaycast_v1_ListNodesRequest__Output>
      ListNodesResponse: MessageTypeDefinition<_relaycast_v1_ListNodesResponse, _relaycast_v1_ListNodesResponse__Output>
      Liveness: MessageTypeDefinition<_relaycast_v1_Liveness, _relaycast_v1_Liveness__Output>
      Member: MessageTypeDefinition<_relaycast_v1_Member, _relaycast_v1_Member__Output>
      MemberKind: EnumTypeDefinition
      /**
       * Membership is the registry: nodes and relays register, keep a lease alive,
       * and other services list members and watch membership events.
       */
      Membership: SubtypeConstructor<typeof grpc.Client, _relaycast_v1_MembershipClient> & { service: _relaycast_v1_MembershipDefinition }
      NodeMessage: MessageTypeDefinition<_relaycast_v1_NodeMessage, _relaycast_v1_NodeMessage__Output>
      /**
       * The node-facing protocol. A node opens one Session with a relay or with the
       * coordinator; both speak it the same way.
       */
      NodeSession: SubtypeConstructor<typeof grpc.Client, _relaycast_v1_NodeSessionClient> & { service: _relaycast_v1_NodeSessionDefinition }
      NodeState: EnumTypeDefinition
      RegisterRequest: MessageTypeDefinition<_relaycast_v1_RegisterRequest, _relaycast_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_relaycast_v1_RegisterResponse, _relaycast_v1_RegisterResponse__Output>
      RelayDown: MessageTypeDefinition<_relaycast_v1_RelayDown, _relaycast_v1_RelayDown__Output>
      RelayHello: MessageTypeDefinition<_relaycast_v1_RelayHello, _relaycast_v1_RelayHello__Output>
      /**
       * The relay ↔ coordinator link: one long-lived stream per relay carries the
       * liveness of all its leaves up in batches, and acks and orders back down.
       */
      RelayLink: SubtypeConstructor<typeof grpc.Client, _relaycast_v1_RelayLinkClient> & { service: _relaycast_v1_RelayLinkDefinition }
      RelayUp: MessageTypeDefinition<_relaycast_v1_RelayUp, _relaycast_v1_RelayUp__Output>
      RelayWelcome: MessageTypeDefinition<_relaycast_v1_RelayWelcome, _relaycast_v1_RelayWelcome__Output>
      SessionMessage: MessageTypeDefinition<_relaycast_v1_SessionMessage, _relaycast_v1_SessionMessage__Output>
      ShardOrder: MessageTypeDefinition<_relaycast_v1_ShardOrder, _relaycast_v1_ShardOrder__Output>
      ShardProgress: MessageTypeDefinition<_relaycast_v1_ShardProgress, _relaycast_v1_ShardProgress__Output>
      ShardRevoke: MessageTypeDefinition<_relaycast_v1_ShardRevoke, _relaycast_v1_ShardRevoke__Output>
      WatchEvent: MessageTypeDefinition<_relaycast_v1_WatchEvent, _relaycast_v1_WatchEvent__Output>
      WatchRequest: MessageTypeDefinition<_relaycast_v1_WatchRequest, _relaycast_v1_WatchRequest__Output>
      Welcome: MessageTypeDefinition<_relaycast_v1_Welcome, _relaycast_v1_Welcome__Output>
    }
  }
}

