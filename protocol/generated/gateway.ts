import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { DeliverRequest as _relaycast_gateway_v1_DeliverRequest, DeliverRequest__Output as _relaycast_gateway_v1_DeliverRequest__Output } from './relaycast/gateway/v1/DeliverRequest';
import type { DeliverResponse as _relaycast_gateway_v1_DeliverResponse, DeliverResponse__Output as _relaycast_gateway_v1_DeliverResponse__Output } from './relaycast/gateway/v1/DeliverResponse';
import type { DeliveryItem as _relaycast_gateway_v1_DeliveryItem, DeliveryItem__Output as _relaycast_gateway_v1_DeliveryItem__Output } from './relaycast/gateway/v1/DeliveryItem';
import type { DeliveryResult as _relaycast_gateway_v1_DeliveryResult, DeliveryResult__Output as _relaycast_gateway_v1_DeliveryResult__Output } from './relaycast/gateway/v1/DeliveryResult';
import type { GatewayClient as _relaycast_gateway_v1_GatewayClient, GatewayDefinition as _relaycast_gateway_v1_GatewayDefinition } from './relaycast/gateway/v1/Gateway';
import type { PresenceRequest as _relaycast_gateway_v1_PresenceRequest, PresenceRequest__Output as _relaycast_gateway_v1_PresenceRequest__Output } from './relaycast/gateway/v1/PresenceRequest';
import type { PresenceResponse as _relaycast_gateway_v1_PresenceResponse, PresenceResponse__Output as _relaycast_gateway_v1_PresenceResponse__Output } from './relaycast/gateway/v1/PresenceResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  relaycast: {
    gateway: {
      v1: {
        DeliverRequest: MessageTypeDefinition<_relaycast_gateway_v1_DeliverRequest, _relaycast_gateway_v1_DeliverRequest__Output>
        DeliverResponse: MessageTypeDefinition<_relaycast_gateway_v1_DeliverResponse, _relaycast_gateway_v1_DeliverResponse__Output>
        DeliveryItem: MessageTypeDefinition<_relaycast_gateway_v1_DeliveryItem, _relaycast_gateway_v1_DeliveryItem__Output>
        DeliveryOutcome: EnumTypeDefinition
        DeliveryResult: MessageTypeDefinition<_relaycast_gateway_v1_DeliveryResult, _relaycast_gateway_v1_DeliveryResult__Output>
        /**
         * The downstream contract: what a deployment puts in front of its connection
         * layer (the part that reaches terminals). relaycast nodes call it.
         * 
         * Implementers must honour idempotency keys: an item whose key was already
         * delivered must be answered DELIVERED without being sent again. relaycast
         * redelivers only what was in flight past its last checkpoint, so with keys
         * honoured a recipient never sees a message twice.
         * 
         * Sender metadata. Every call from a relaycast node carries these gRPC
         * metadata keys (the webhook sends the same names as HTTP headers). They
         * are optional for a gateway: ignoring them is correct.
         * 
         * relaycast-node-key               "<cluster>/<node id>"
         * relaycast-instance-id            the node process's instance id (new on every start)
         * relaycast-lease-epoch            the node's lease epoch (new on every registration)
         * relaycast-lease-expires-unix-ms  when that lease expires by the node's own clock,
         * in ms since the Unix epoch, as of the call
         * relaycast-sent-unix-ms           when the node made the call, same clock
         * 
         * A node calls Deliver only while its lease is valid and stops by itself
         * when it cannot renew it; the coordinator hands its ranges to another node
         * only after that lease has surely expired. What no sender can prevent is a
         * call it began in time reaching the gateway after the expiry: a process
         * paused (GC, SIGSTOP, a VM stall) with a batch half written finishes
         * writing when it wakes. A gateway that wants a strict single owner closes
         * that window by refusing, with FAILED_PRECONDITION (HTTP 409), a Deliver
         * call that arrives after its relaycast-lease-expires-unix-ms, allowing for
         * the clock skew between the machines. Refused items are not final, so the
         * range's new owner delivers them; a gateway that does not refuse such
         * calls but honours idempotency keys only sees a duplicate attempt.
         */
        Gateway: SubtypeConstructor<typeof grpc.Client, _relaycast_gateway_v1_GatewayClient> & { service: _relaycast_gateway_v1_GatewayDefinition }
        PresenceRequest: MessageTypeDefinition<_relaycast_gateway_v1_PresenceRequest, _relaycast_gateway_v1_PresenceRequest__Output>
        PresenceResponse: MessageTypeDefinition<_relaycast_gateway_v1_PresenceResponse, _relaycast_gateway_v1_PresenceResponse__Output>
      }
    }
  }
}

