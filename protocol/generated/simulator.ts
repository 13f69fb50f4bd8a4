import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GatewaySimulatorClient as _relaycast_gateway_v1_GatewaySimulatorClient, GatewaySimulatorDefinition as _relaycast_gateway_v1_GatewaySimulatorDefinition } from './relaycast/gateway/v1/GatewaySimulator';
import type { GatewayStats as _relaycast_gateway_v1_GatewayStats, GatewayStats__Output as _relaycast_gateway_v1_GatewayStats__Output } from './relaycast/gateway/v1/GatewayStats';
import type { GetDeliveredRequest as _relaycast_gateway_v1_GetDeliveredRequest, GetDeliveredRequest__Output as _relaycast_gateway_v1_GetDeliveredRequest__Output } from './relaycast/gateway/v1/GetDeliveredRequest';
import type { GetDeliveredResponse as _relaycast_gateway_v1_GetDeliveredResponse, GetDeliveredResponse__Output as _relaycast_gateway_v1_GetDeliveredResponse__Output } from './relaycast/gateway/v1/GetDeliveredResponse';
import type { GetStatsRequest as _relaycast_gateway_v1_GetStatsRequest, GetStatsRequest__Output as _relaycast_gateway_v1_GetStatsRequest__Output } from './relaycast/gateway/v1/GetStatsRequest';
import type { ListSendersRequest as _relaycast_gateway_v1_ListSendersRequest, ListSendersRequest__Output as _relaycast_gateway_v1_ListSendersRequest__Output } from './relaycast/gateway/v1/ListSendersRequest';
import type { ListSendersResponse as _relaycast_gateway_v1_ListSendersResponse, ListSendersResponse__Output as _relaycast_gateway_v1_ListSendersResponse__Output } from './relaycast/gateway/v1/ListSendersResponse';
import type { ResetRequest as _relaycast_gateway_v1_ResetRequest, ResetRequest__Output as _relaycast_gateway_v1_ResetRequest__Output } from './relaycast/gateway/v1/ResetRequest';
import type { SenderStats as _relaycast_gateway_v1_SenderStats, SenderStats__Output as _relaycast_gateway_v1_SenderStats__Output } from './relaycast/gateway/v1/SenderStats';
import type { SimulatorSettings as _relaycast_gateway_v1_SimulatorSettings, SimulatorSettings__Output as _relaycast_gateway_v1_SimulatorSettings__Output } from './relaycast/gateway/v1/SimulatorSettings';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  relaycast: {
    gateway: {
      v1: {
        /**
         * Control and inspection of `relaycast gateway-sim`, the gateway simulator
         * used by the demo, the tests and the benchmarks.
         */
        GatewaySimulator: SubtypeConstructor<typeof grpc.Client, _relaycast_gateway_v1_GatewaySimulatorClient> & { service: _relaycast_gateway_v1_GatewaySimulatorDefinition }
        GatewayStats: MessageTypeDefinition<_relaycast_gateway_v1_GatewayStats, _relaycast_gateway_v1_GatewayStats__Output>
        GetDeliveredRequest: MessageTypeDefinition<_relaycast_gateway_v1_GetDeliveredRequest, _relaycast_gateway_v1_GetDeliveredRequest__Output>
        GetDeliveredResponse: MessageTypeDefinition<_relaycast_gateway_v1_GetDeliveredResponse, _relaycast_gateway_v1_GetDeliveredResponse__Output>
        GetStatsRequest: MessageTypeDefinition<_relaycast_gateway_v1_GetStatsRequest, _relaycast_gateway_v1_GetStatsRequest__Output>
        ListSendersRequest: MessageTypeDefinition<_relaycast_gateway_v1_ListSendersRequest, _relaycast_gateway_v1_ListSendersRequest__Output>
        ListSendersResponse: MessageTypeDefinition<_relaycast_gateway_v1_ListSendersResponse, _relaycast_gateway_v1_ListSendersResponse__Output>
        ResetRequest: MessageTypeDefinition<_relaycast_gateway_v1_ResetRequest, _relaycast_gateway_v1_ResetRequest__Output>
        SenderStats: MessageTypeDefinition<_relaycast_gateway_v1_SenderStats, _relaycast_gateway_v1_SenderStats__Output>
        SimulatorSettings: MessageTypeDefinition<_relaycast_gateway_v1_SimulatorSettings, _relaycast_gateway_v1_SimulatorSettings__Output>
      }
    }
  }
}

