/**
 * etcd's v3 gRPC API for benchmarks, loaded from the proto files that the
 * `etcd3` dev dependency ships (node_modules/etcd3/proto), with plain
 * grpc-js so the benchmark controls every stream itself. Only the few
 * messages the benchmarks use are typed here.
 */
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface LeaseGrantResponse { ID: string; TTL: string; error: string }
export interface LeaseKeepAliveRequest { ID: string }
export interface LeaseKeepAliveResponse { ID: string; TTL: string }
export interface PutRequest { key: Buffer; value: Buffer; lease: string }
/** The etcd3 package's kv.proto spells the event types Put and Delete (etcd's own: PUT, DELETE). */
export interface WatchEventMessage { type: string; kv: { key: Buffer } | null }
export interface WatchResponse { header: { revision: string } | null; watch_id: string; created: boolean; canceled: boolean; cancel_reason: string; events: WatchEventMessage[] }

type Unary<Req, Res> = (request: Req, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response: Res) => void) => grpc.ClientUnaryCall;

export interface LeaseClient extends grpc.Client {
  LeaseGrant: Unary<{ TTL: number; ID: number }, LeaseGrantResponse>;
  LeaseKeepAlive(options?: grpc.CallOptions): grpc.ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;
}
export interface KVClient extends grpc.Client {
  Put: Unary<PutRequest, unknown>;
  Range: Unary<{ key: Buffer; range_end?: Buffer; count_only?: boolean }, { count: string }>;
}
export interface WatchClient extends grpc.Client {
  Watch(options?: grpc.CallOptions): grpc.ClientDuplexStream<unknown, WatchResponse>;
}

type Ctor<T> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => T;

export interface EtcdServices {
  KV: Ctor<KVClient>;
  Lease: Ctor<LeaseClient>;
  Watch: Ctor<WatchClient>;
}

let loaded: EtcdServices | undefined;

export function etcdProtoDir(): string {
  return path.join(path.dirname(require.resolve('etcd3/package.json')), 'proto');
}

export function etcdServices(): EtcdServices {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync(path.join(etcdProtoDir(), 'rpc.proto'), {
      keepCase: true,
      // Lease ids are random 63-bit numbers: keep them exact as strings.
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = (grpc.loadPackageDefinition(definition) as unknown as { etcdserverpb: EtcdServices }).etcdserverpb;
    loaded = { KV: pkg.KV, Lease: pkg.Lease, Watch: pkg.Watch };
  }
  return loaded;
}

/** The end of the key range that holds every key starting with `prefix`. */
export function prefixRangeEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
