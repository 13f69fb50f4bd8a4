/** Typed access to relaycast.gateway.v1 from the shared proto loader. */
import { loadProtos } from '../protocol/proto';
import type { ProtoGrpcType as GatewayProto } from '../protocol/generated/gateway';
import type { ProtoGrpcType as SimulatorProto } from '../protocol/generated/simulator';

export type GatewayV1 = GatewayProto['relaycast']['gateway']['v1'] & SimulatorProto['relaycast']['gateway']['v1'];

export function gatewayV1(): GatewayV1 {
  return (loadProtos().proto as unknown as GatewayProto & SimulatorProto).relaycast.gateway.v1;
}
