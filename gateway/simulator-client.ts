/** gRPC clients for the gateway simulator's control service (tests, demo, benchmarks). */
import * as grpc from '@grpc/grpc-js';
import { gatewayV1 } from './proto';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';

export function gatewaySimulatorClient(address: string, credentials = grpc.credentials.createInsecure()): GatewaySimulatorClient {
  return new (gatewayV1().GatewaySimulator)(address, credentials);
}
