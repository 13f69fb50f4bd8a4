// Original file: proto/relaycast/gateway/v1/gateway.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeliverRequest as _relaycast_gateway_v1_DeliverRequest, DeliverRequest__Output as _relaycast_gateway_v1_DeliverRequest__Output } from '../../../relaycast/gateway/v1/DeliverRequest';
import type { DeliverResponse as _relaycast_gateway_v1_DeliverResponse, DeliverResponse__Output as _relaycast_gateway_v1_DeliverResponse__Output } from '../../../relaycast/gateway/v1/DeliverResponse';
import type { PresenceRequest as _relaycast_gateway_v1_PresenceRequest, PresenceRequest__Output as _relaycast_gateway_v1_PresenceRequest__Output } from '../../../relaycast/gateway/v1/PresenceRequest';
import type { PresenceResponse as _relaycast_gateway_v1_PresenceResponse, PresenceResponse__Output as _relaycast_gateway_v1_PresenceResponse__Output } from '../../../relaycast/gateway/v1/PresenceResponse';

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
export interface GatewayClient extends grpc.Client {
  /**
   * Deliver a batch. Each item gets exactly one result, in request order.
   */
  Deliver(argument: _relaycast_gateway_v1_DeliverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  Deliver(argument: _relaycast_gateway_v1_DeliverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  Deliver(argument: _relaycast_gateway_v1_DeliverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  Deliver(argument: _relaycast_gateway_v1_DeliverRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deliver a batch. Each item gets exactly one result, in request order.
   */
  deliver(argument: _relaycast_gateway_v1_DeliverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  deliver(argument: _relaycast_gateway_v1_DeliverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  deliver(argument: _relaycast_gateway_v1_DeliverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  deliver(argument: _relaycast_gateway_v1_DeliverRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_DeliverResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Which recipients are reachable now (presence/login state), in request order.
   */
  LookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  LookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  LookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  LookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Which recipients are reachable now (presence/login state), in request order.
   */
  lookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  lookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  lookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  lookupPresence(argument: _relaycast_gateway_v1_PresenceRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  
}

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
export interface GatewayHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Deliver a batch. Each item gets exactly one result, in request order.
   */
  Deliver: grpc.handleUnaryCall<_relaycast_gateway_v1_DeliverRequest__Output, _relaycast_gateway_v1_DeliverResponse>;
  
  /**
   * Which recipients are reachable now (presence/login state), in request order.
   */
  LookupPresence: grpc.handleUnaryCall<_relaycast_gateway_v1_PresenceRequest__Output, _relaycast_gateway_v1_PresenceResponse>;
  
}

export interface GatewayDefinition extends grpc.ServiceDefinition {
  Deliver: MethodDefinition<_relaycast_gateway_v1_DeliverRequest, _relaycast_gateway_v1_DeliverResponse, _relaycast_gateway_v1_DeliverRequest__Output, _relaycast_gateway_v1_DeliverResponse__Output>
  LookupPresence: MethodDefinition<_relaycast_gateway_v1_PresenceRequest, _relaycast_gateway_v1_PresenceResponse, _relaycast_gateway_v1_PresenceRequest__Output, _relaycast_gateway_v1_PresenceResponse__Output>
}
