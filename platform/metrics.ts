/**
 * Prometheus metrics for one relaycast process (see docs/metrics.md): a
 * prom-client Registry of its own — never the global one, so that several
 * processes' metrics in one test process do not collide — with the default
 * Node.js process metrics, a gRPC server interceptor counting calls, helpers
 * that read the shells' plain counters at scrape time, and the HTTP
 * endpoint (GET /metrics).
 *
 * Cores and shells keep plain numbers; only this file and each role's
 * metrics.ts wiring import prom-client.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from './log';

export const METRICS_PATH = '/metrics';

/** Scrapes are small; anything slower than this is a stuck or hostile client. */
const HTTP_REQUEST_TIMEOUT_MS = 10_000;
const HTTP_HEADERS_TIMEOUT_MS = 5_000;
const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Concurrent scrape connections; Prometheus needs one per target. */
const HTTP_CONNECTIONS_MAX = 64;
const CLOSE_GRACE_MS = 1_000;

/** Call durations from sub-millisecond unary calls to long-lived streams. */
const GRPC_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

type LabelValues = Record<string, string>;

function grpcType(method: grpc.ServerMethodDefinition<unknown, unknown>): string {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

/** "/relaycast.v1.Membership/ListNodes" → ["relaycast.v1.Membership", "ListNodes"] */
function splitPath(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  return [path.slice(1, slash), path.slice(slash + 1)];
}

export class ProcessMetrics {
  readonly registry = new Registry();
  private server: http.Server | undefined;
  private readonly grpcStarted: Counter<string>;
  private readonly grpcHandled: Counter<string>;
  private readonly grpcSeconds: Histogram<string>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const labelNames = ['grpc_service', 'grpc_method', 'grpc_type'];
    this.grpcStarted = new Counter({ name: 'relaycast_grpc_server_started_total', help: 'gRPC calls started on this process\'s gRPC port, by service, method and type.', labelNames, registers: [this.registry] });
    this.grpcHandled = new Counter({ name: 'relaycast_grpc_server_handled_total', help: 'gRPC calls completed, by service, method, type and status code.', labelNames: [...labelNames, 'grpc_code'], registers: [this.registry] });
    this.grpcSeconds = new Histogram({ name: 'relaycast_grpc_server_handling_seconds', help: 'Time from a gRPC call\'s start to its status, by service, method and type (streams: their lifetime).', labelNames, buckets: GRPC_SECONDS_BUCKETS, registers: [this.registry] });
  }

  /**
   * Counts every call by the status it ended with. Put it first in the
   * server's interceptor list so that it also sees refusals by the
   * interceptors after it (rate limit, authentication).
   *
   * A call that ends without a status passing through the interceptors —
   * cancelled by the client, past its deadline, or refused by gRPC itself
   * (a message it cannot decode or over the size limit) — is counted as
   * DEADLINE_EXCEEDED when its deadline has passed and CANCELLED otherwise.
   */
  grpcInterceptor(): grpc.ServerInterceptor {
    return (method, call) => {
      const [service, name] = splitPath(method.path);
      const labels: LabelValues = { grpc_service: service, grpc_method: name, grpc_type: grpcType(method) };
      this.grpcStarted.inc(labels);
      const startedMs = performance.now();
      let finished = false;
      const finish = (code: grpc.status) => {
        if (finished) return;
        finished = true;
        this.grpcHandled.inc({ ...labels, grpc_code: grpc.status[code] ?? String(code) });
        this.grpcSeconds.observe(labels, (performance.now() - startedMs) / 1000);
      };
      return new grpc.ServerInterceptingCall(call, {
        start: (next) => next({
          onCancel: () => {
            const deadline = call.getDeadline();
            const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
            finish(Number.isFinite(deadlineMs) && Date.now() >= deadlineMs ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
          },
        }),
        sendStatus: (status, next) => {
          finish(status.code);
          next(status);
        },
      });
    };
  }

  /**
   * A counter that mirrors a number the process keeps (a plain field that
   * only grows), read at scrape time. With `labelName`, `read` returns one
   * number per label value.
   */
  counterFrom(name: string, help: string, read: () => number): void;
  counterFrom(name: string, help: string, read: () => Record<string, number>, labelName: string): void;
  counterFrom(name: string, help: string, read: () => number | Record<string, number>, labelName?: string): void {
    const seen = new Map<string, number>();
    new Counter({
      name, help, labelNames: labelName === undefined ? [] : [labelName], registers: [this.registry],
      collect() {
        const value = read();
        const entries: Array<[string, number]> = typeof value === 'number' ? [['', value]] : Object.entries(value);
        for (const [label, current] of entries) {
          const previous = seen.get(label) ?? 0;
          // A source that went backwards was reset; a counter never does. inc(0) makes the series appear.
          const delta = Math.max(0, current - previous);
          if (labelName === undefined) this.inc(delta);
          else this.inc({ [labelName]: label }, delta);
          seen.set(label, Math.max(previous, current));
        }
      },
    });
  }

  /** A gauge read at scrape time; with labels, `read` returns every series (the others are dropped). */
  gaugeFrom(name: string, help: string, read: () => number): void;
  gaugeFrom(name: string, help: string, read: () => Iterable<[LabelValues, number]>, labelNames: string[]): void;
  gaugeFrom(name: string, help: string, read: () => number | Iterable<[LabelValues, number]>, labelNames?: string[]): void {
    new Gauge({
      name, help, labelNames: labelNames ?? [], registers: [this.registry],
      collect() {
        const value = read();
        if (typeof value === 'number') return void this.set(value);
        this.reset();
        for (const [labels, v] of value) this.set(labels, v);
      },
    });
  }

  histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram<string> {
    return new Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }

  /** Serves GET /metrics on `listen` (HOST:PORT, port 0 picks one); resolves with the bound address. */
  listen(listen: string, log: Logger): Promise<string> {
    const match = /^(.*):(\d+)$/.exec(listen);
    if (match === null) return Promise.reject(new Error(`cannot serve metrics on ${listen}: expected HOST:PORT`));
    const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      // Nothing here reads a body: drop any that comes.
      req.resume();
      if (path !== METRICS_PATH) return plain(res, 404, `not found; metrics are at ${METRICS_PATH}\n`);
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'use GET\n', { allow: 'GET, HEAD' });
      this.registry.metrics().then(
        (text) => {
          if (res.destroyed) return;
          res.writeHead(200, { 'content-type': this.registry.contentType, 'content-length': Buffer.byteLength(text) });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed');
          plain(res, 500, 'metrics collection failed\n');
        },
      );
    });
    server.requestTimeout = HTTP_REQUEST_TIMEOUT_MS;
    server.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
    server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
    server.maxConnections = HTTP_CONNECTIONS_MAX;
    // Junk on the socket gets a 400 and a close from Node; it must never throw.
    server.on('clientError', (_err, socket) => socket.destroy());
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot serve metrics on ${listen}: ${err.message}`)));
      server.listen(Number(match[2]), host, () => {
        const address = listen.replace(/:\d+$/, `:${(server.address() as AddressInfo).port}`);
        log.info({ metricsAddress: address }, `metrics at http://${address}${METRICS_PATH}`);
        resolve(address);
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
  }
}

function plain(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The metrics of a process whose --metrics-listen is set; undefined when it is '' (off). */
export function metricsFor(metricsListen: string): ProcessMetrics | undefined {
  return metricsListen === '' ? undefined : new ProcessMetrics();
}

/** The interceptors a server gets for `metrics` (none when metrics are off). */
export function metricsInterceptors(metrics: ProcessMetrics | undefined): grpc.ServerInterceptor[] {
  return metrics === undefined ? [] : [metrics.grpcInterceptor()];
}
