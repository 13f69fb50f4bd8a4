/**
 * Loads the relaycast protos once, with the options the generated types in
 * protocol/generated assume (scripts/gen-types.js uses the same ones).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminProto } from './generated/admin';
import type { ProtoGrpcType as BroadcastsProto } from './generated/broadcasts';
import type { ProtoGrpcType as MembershipProto } from './generated/membership';
import type { ProtoGrpcType as RelayProto } from './generated/relay';
import type { ProtoGrpcType as SessionProto } from './generated/session';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

function findProtoDir(): string {
  // protocol/proto.ts in the source tree, dist/protocol/proto.js when built.
  for (const candidate of [path.join(__dirname, '..', 'proto'), path.join(__dirname, '..', '..', 'proto')]) {
    if (fs.existsSync(path.join(candidate, 'relaycast'))) return candidate;
  }
  throw new Error(`relaycast: cannot find the proto directory near ${__dirname}`);
}

export const PROTO_DIR = findProtoDir();

function listProtos(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listProtos(full);
    return entry.name.endsWith('.proto') ? [path.relative(PROTO_DIR, full)] : [];
  }).sort();
}

type AllProtos = AdminProto & BroadcastsProto & MembershipProto & RelayProto & SessionProto;

let cached: { definition: protoLoader.PackageDefinition; proto: AllProtos } | undefined;

/** The package definition (also fed to server reflection) and the typed service constructors. */
export function loadProtos(): { definition: protoLoader.PackageDefinition; proto: AllProtos } {
  if (cached === undefined) {
    // grpc.health.v1 comes from proto/grpc (see the note in that file).
    const definition = protoLoader.loadSync(listProtos(PROTO_DIR), { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
    cached = { definition, proto: grpc.loadPackageDefinition(definition) as unknown as AllProtos };
  }
  return cached;
}

export function relaycastV1(): AllProtos['relaycast']['v1'] {
  return loadProtos().proto.relaycast.v1;
}
