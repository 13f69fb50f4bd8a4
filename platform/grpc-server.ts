/**
 * Every relaycast gRPC port serves reflection and grpc.health.v1, so
 * operators can use grpcurl (or buf curl) without local .proto files.
 */
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { loadProtos } from '../protocol/proto';
import { boundStatusDetails } from '../protocol/status-details';

export interface ServerWithOps {
  server: grpc.Server;
  health: HealthImplementation;
  /** Sets the overall ('') status and every named service to the same status. */
  setServing(status: ServingStatus): void;
  /** Binds, resolving the actual port (useful with port 0). */
  listen(address: string): Promise<number>;
  /** Graceful shutdown with a bound, then forced. */
  stop(graceMs: number): Promise<void>;
}

export { GRPC_MESSAGE_BYTES_MAX } from '../protocol/limits';
import { GRPC_MESSAGE_BYTES_MAX } from '../protocol/limits';

export interface ServerOptions {
  /** Run on every call, first to last (metrics, authentication, rate limits). */
  interceptors?: grpc.ServerInterceptor[];
  /** How the port is secured; plaintext when absent. */
  credentials?: grpc.ServerCredentials;
}

const HEALTH_SERVICE = 'grpc.health.v1.Health';

export function createServer(serviceNames: readonly string[], options: ServerOptions = {}): ServerWithOps {
  const server = new grpc.Server({
    // First, so that it sees the final status of every call, refusals by other interceptors included.
    interceptors: [boundStatusDetails, ...(options.interceptors ?? [])],
    'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
    'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
  });
  const initial: Record<string, ServingStatus> = { '': 'NOT_SERVING' };
  for (const name of serviceNames) initial[name] = 'NOT_SERVING';
  const health = new HealthImplementation(initial);
  health.addToServer(server);
  // Reflection lists what this port serves, not every service the protos define:
  // grpcurl users would otherwise try the gateway's services on the coordinator.
  new ReflectionService(loadProtos().definition, { services: [...serviceNames, HEALTH_SERVICE] }).addToServer(server);
  return {
    server,
    health,
    setServing(status) {
      health.setStatus('', status);
      for (const name of serviceNames) health.setStatus(name, status);
    },
    listen(address) {
      return new Promise((resolve, reject) => {
        server.bindAsync(address, options.credentials ?? grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(new Error(`cannot listen on ${address}: ${err.message}`)) : resolve(port)));
      });
    },
    stop(graceMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/** host:port with the real port after binding port 0. */
export function boundAddress(listen: string, port: number): string {
  return listen.replace(/:\d+$/, `:${port}`);
}

/**
 * Handlers for `definition` that exist only once the process has loaded its
 * state: until `current()` returns them, every call fails with UNAVAILABLE
 * (and health says NOT_SERVING) instead of touching half-loaded state.
 */
export function deferredHandlers<T extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, current: () => T | undefined, why: string): T {
  const deferred: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(definition)) {
    deferred[name] = ((call: { emit(event: string, err: unknown): void }, callback?: grpc.sendUnaryData<unknown>) => {
      const handlers = current();
      if (handlers !== undefined) return (handlers[name] as (...args: unknown[]) => void)(call, callback);
      const err = { code: grpc.status.UNAVAILABLE, details: why, metadata: new grpc.Metadata() };
      if (typeof callback === 'function') callback(err);
      else call.emit('error', err);
    }) as grpc.UntypedHandleCall;
  }
  return deferred as T;
}
