// Original file: proto/relaycast/gateway/v1/simulator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GatewayStats as _relaycast_gateway_v1_GatewayStats, GatewayStats__Output as _relaycast_gateway_v1_GatewayStats__Output } from '../../../relaycast/gateway/v1/GatewayStats';
import type { GetDeliveredRequest as _relaycast_gateway_v1_GetDeliveredRequest, GetDeliveredRequest__Output as _relaycast_gateway_v1_GetDeliveredRequest__Output } from '../../../relaycast/gateway/v1/GetDeliveredRequest';
import type { GetDeliveredResponse as _relaycast_gateway_v1_GetDeliveredResponse, GetDeliveredResponse__Output as _relaycast_gateway_v1_GetDeliveredResponse__Output } from '../../../relaycast/gateway/v1/GetDeliveredResponse';
import type { GetStatsRequest as _relaycast_gateway_v1_GetStatsRequest, GetStatsRequest__Output as _relaycast_gateway_v1_GetStatsRequest__Output } from '../../../relaycast/gateway/v1/GetStatsRequest';
import type { ListSendersRequest as _relaycast_gateway_v1_ListSendersRequest, ListSendersRequest__Output as _relaycast_gateway_v1_ListSendersRequest__Output } from '../../../relaycast/gateway/v1/ListSendersRequest';
import type { ListSendersResponse as _relaycast_gateway_v1_ListSendersResponse, ListSendersResponse__Output as _relaycast_gateway_v1_ListSendersResponse__Output } from '../../../relaycast/gateway/v1/ListSendersResponse';
import type { ResetRequest as _relaycast_gateway_v1_ResetRequest, ResetRequest__Output as _relaycast_gateway_v1_ResetRequest__Output } from '../../../relaycast/gateway/v1/ResetRequest';
import type { SimulatorSettings as _relaycast_gateway_v1_SimulatorSettings, SimulatorSettings__Output as _relaycast_gateway_v1_SimulatorSettings__Output } from '../../../relaycast/gateway/v1/SimulatorSettings';

/**
 * Control and inspection of `relaycast gateway-sim`, the gateway simulator
 * used by the demo, the tests and the benchmarks.
 */
export interface GatewaySimulatorClient extends grpc.Client {
  /**
   * Change behaviour at run time; unset fields keep their value.
   */
  Configure(argument: _relaycast_gateway_v1_SimulatorSettings, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  Configure(argument: _relaycast_gateway_v1_SimulatorSettings, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  Configure(argument: _relaycast_gateway_v1_SimulatorSettings, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  Configure(argument: _relaycast_gateway_v1_SimulatorSettings, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  /**
   * Change behaviour at run time; unset fields keep their value.
   */
  configure(argument: _relaycast_gateway_v1_SimulatorSettings, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  configure(argument: _relaycast_gateway_v1_SimulatorSettings, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  configure(argument: _relaycast_gateway_v1_SimulatorSettings, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  configure(argument: _relaycast_gateway_v1_SimulatorSettings, callback: grpc.requestCallback<_relaycast_gateway_v1_SimulatorSettings__Output>): grpc.ClientUnaryCall;
  
  /**
   * Texts delivered for the given keys (empty string: never delivered).
   */
  GetDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  GetDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  GetDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  GetDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Texts delivered for the given keys (empty string: never delivered).
   */
  getDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  getDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  getDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  getDelivered(argument: _relaycast_gateway_v1_GetDeliveredRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_GetDeliveredResponse__Output>): grpc.ClientUnaryCall;
  
  GetStats(argument: _relaycast_gateway_v1_GetStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _relaycast_gateway_v1_GetStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _relaycast_gateway_v1_GetStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _relaycast_gateway_v1_GetStatsRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  getStats(argument: _relaycast_gateway_v1_GetStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  getStats(argument: _relaycast_gateway_v1_GetStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  getStats(argument: _relaycast_gateway_v1_GetStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  getStats(argument: _relaycast_gateway_v1_GetStatsRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deliver calls per sender, as named by the optional relaycast-* call
   * metadata (see gateway.proto), against the lease expiry each call names:
   * lets a test check from the outside that a node stopped delivering when
   * its lease expired.
   */
  ListSenders(argument: _relaycast_gateway_v1_ListSendersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  ListSenders(argument: _relaycast_gateway_v1_ListSendersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  ListSenders(argument: _relaycast_gateway_v1_ListSendersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  ListSenders(argument: _relaycast_gateway_v1_ListSendersRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deliver calls per sender, as named by the optional relaycast-* call
   * metadata (see gateway.proto), against the lease expiry each call names:
   * lets a test check from the outside that a node stopped delivering when
   * its lease expired.
   */
  listSenders(argument: _relaycast_gateway_v1_ListSendersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  listSenders(argument: _relaycast_gateway_v1_ListSendersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  listSenders(argument: _relaycast_gateway_v1_ListSendersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  listSenders(argument: _relaycast_gateway_v1_ListSendersRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_ListSendersResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Forget the ledger and counters (the sender records too); returns the
   * counters as they were.
   */
  Reset(argument: _relaycast_gateway_v1_ResetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  Reset(argument: _relaycast_gateway_v1_ResetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  Reset(argument: _relaycast_gateway_v1_ResetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  Reset(argument: _relaycast_gateway_v1_ResetRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  /**
   * Forget the ledger and counters (the sender records too); returns the
   * counters as they were.
   */
  reset(argument: _relaycast_gateway_v1_ResetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  reset(argument: _relaycast_gateway_v1_ResetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  reset(argument: _relaycast_gateway_v1_ResetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  reset(argument: _relaycast_gateway_v1_ResetRequest, callback: grpc.requestCallback<_relaycast_gateway_v1_GatewayStats__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Control and inspection of `relaycast gateway-sim`, the gateway simulator
 * used by the demo, the tests and the benchmarks.
 */
export interface GatewaySimulatorHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Change behaviour at run time; unset fields keep their value.
   */
  Configure: grpc.handleUnaryCall<_relaycast_gateway_v1_SimulatorSettings__Output, _relaycast_gateway_v1_SimulatorSettings>;
  
  /**
   * Texts delivered for the given keys (empty string: never delivered).
   */
  GetDelivered: grpc.handleUnaryCall<_relaycast_gateway_v1_GetDeliveredRequest__Output, _relaycast_gateway_v1_GetDeliveredResponse>;
  
  GetStats: grpc.handleUnaryCall<_relaycast_gateway_v1_GetStatsRequest__Output, _relaycast_gateway_v1_GatewayStats>;
  
  /**
   * Deliver calls per sender, as named by the optional relaycast-* call
   * metadata (see gateway.proto), against the lease expiry each call names:
   * lets a test check from the outside that a node stopped delivering when
   * its lease expired.
   */
  ListSenders: grpc.handleUnaryCall<_relaycast_gateway_v1_ListSendersRequest__Output, _relaycast_gateway_v1_ListSendersResponse>;
  
  /**
   * Forget the ledger and counters (the sender records too); returns the
   * counters as they were.
   */
  Reset: grpc.handleUnaryCall<_relaycast_gateway_v1_ResetRequest__Output, _relaycast_gateway_v1_GatewayStats>;
  
}

export interface GatewaySimulatorDefinition extends grpc.ServiceDefinition {
  Configure: MethodDefinition<_relaycast_gateway_v1_SimulatorSettings, _relaycast_gateway_v1_SimulatorSettings, _relaycast_gateway_v1_SimulatorSettings__Output, _relaycast_gateway_v1_SimulatorSettings__Output>
  GetDelivered: MethodDefinition<_relaycast_gateway_v1_GetDeliveredRequest, _relaycast_gateway_v1_GetDeliveredResponse, _relaycast_gateway_v1_GetDeliveredRequest__Output, _relaycast_gateway_v1_GetDeliveredResponse__Output>
  GetStats: MethodDefinition<_relaycast_gateway_v1_GetStatsRequest, _relaycast_gateway_v1_GatewayStats, _relaycast_gateway_v1_GetStatsRequest__Output, _relaycast_gateway_v1_GatewayStats__Output>
  ListSenders: MethodDefinition<_relaycast_gateway_v1_ListSendersRequest, _relaycast_gateway_v1_ListSendersResponse, _relaycast_gateway_v1_ListSendersRequest__Output, _relaycast_gateway_v1_ListSendersResponse__Output>
  Reset: MethodDefinition<_relaycast_gateway_v1_ResetRequest, _relaycast_gateway_v1_GatewayStats, _relaycast_gateway_v1_ResetRequest__Output, _relaycast_gateway_v1_GatewayStats__Output>
}
