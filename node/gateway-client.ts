/**
 * How a node talks to the downstream gateway: the relaycast.gateway.v1
 * Gateway service over gRPC, or the same contract as an HTTP webhook.
 * Callers see plain domain types and two kinds of failure:
 *
 *  - GatewayUnavailableError: the call as a whole did not happen or cannot
 *    be trusted (transport errors, timeouts, UNAVAILABLE and the other
 *    transient statuses, HTTP 5xx, 408 and 429, a malformed answer). Keep
 *    the items and try again when the gateway is back.
 *  - GatewayRejectedError: the gateway understood and refused the request
 *    (INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, ..., any other
 *    HTTP 4xx), with its reason. The same request may well be refused
 *    again: the node counts an attempt per item, and dead-letters them.
 *
 * Every call names its sender — node key, process instance, lease epoch,
 * when the lease expires and when the call was made — in relaycast-* gRPC
 * metadata or HTTP headers (see proto/relaycast/gateway/v1/gateway.proto).
 * Gateways may ignore them; the simulator records them, so that
 * self-fencing can be checked from the outside, and refuses calls that
 * arrive after their lease expired.
 */
import { TRANSIENT_STATUS_CODES } from '../protocol/grpc-status';
import { GRPC_MESSAGE_BYTES_MAX } from '../protocol/limits';
import * as https from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { decodeDeliverResponse, encodeDeliverRequest } from '../protocol/gateway-codec';
import { loadProtos } from '../protocol/proto';
import type { ProtoGrpcType as GatewayProto } from '../protocol/generated/gateway';
import type { GatewayClient as GatewayGrpcClient, GatewayDefinition } from '../protocol/generated/relaycast/gateway/v1/Gateway';
import type { DeliveryResult__Output } from '../protocol/generated/relaycast/gateway/v1/DeliveryResult';
import { senderMetadata, type LeaseIdentity } from '../protocol/sender-metadata';
import type { DeliveryItem, DeliveryOutcome, DeliveryResult } from './core/work';

/** Who is calling: one lease of one node process. */
export type GatewaySender = LeaseIdentity;

/** The domain types of a delivery live with the work core, which decides on them. */
export type { DeliveryItem, DeliveryOutcome, DeliveryResult } from './core/work';

export interface GatewayClient {
  /** One result per item, in order. Throws GatewayUnavailableError or GatewayRejectedError for the call as a whole. */
  deliver(items: DeliveryItem[]): Promise<DeliveryResult[]>;
  /** Reachability per recipient, in order. */
  lookupPresence(recipientIds: string[]): Promise<boolean[]>;
  close(): void;
}

export interface GatewayClientOptions {
  /** Bound on one call, connection set-up included (gRPC deadline / HTTP timeout). */
  timeoutMs: number;
  /**
   * Read at every call, so that the lease epoch and expiry are those of the
   * moment the call is made. Without it calls carry no sender metadata.
   * A Deliver whose lease has expired is not sent (LeaseExpiredError): the
   * caller checked its lease before, but a pause in between (GC, SIGSTOP)
   * can outlast it.
   */
  sender?: () => GatewaySender;
  /**
   * TLS towards the gateway. gRPC targets use TLS exactly when this is
   * given; https:// webhooks always do, verified against `ca` when given
   * (the system's roots otherwise). `cert`/`key` are presented when the
   * gateway asks for a client certificate.
   */
  tls?: GatewayTls;
}

export interface GatewayTls {
  /** PEM roots the gateway's certificate must chain to. */
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The gateway cannot be reached or refused the call as a whole; nothing in it can be assumed done. */
export class GatewayUnavailableError extends Error {
  override readonly name: string = 'GatewayUnavailableError';
}

/**
 * Nothing was sent because the caller's lease had expired when the call was
 * about to be made: the last self-fencing check, as late as a sender can
 * make it. The items are kept like for an unavailable gateway.
 */
export class LeaseExpiredError extends GatewayUnavailableError {
  override readonly name = 'LeaseExpiredError';
}

/**
 * The gateway refused the request itself (a 4xx other than 408 and 429, or a
 * non-transient gRPC status). Sending the same request again will not help
 * unless the gateway changes its mind: the node counts an attempt for every
 * item in it and, after --delivery-attempts-max, dead-letters them with
 * `reason`.
 */
export class GatewayRejectedError extends Error {
  override readonly name = 'GatewayRejectedError';
  constructor(
    message: string,
    /** gRPC status name (INVALID_ARGUMENT) or HTTP status (HTTP 400). */
    readonly status: string,
    /** The gateway's own words, with the status: "PERMISSION_DENIED: token expired", "HTTP 403: forbidden". */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type GatewayTarget = { kind: 'grpc'; address: string } | { kind: 'http'; url: string };

const OUTCOMES: ReadonlySet<string> = new Set<DeliveryOutcome>(['DELIVERED', 'RETRY', 'PERMANENT_FAILURE', 'UNREACHABLE']);
const FROM_PROTO_OUTCOME: ReadonlyMap<string, DeliveryOutcome> = new Map([...OUTCOMES].map((o) => [`DELIVERY_OUTCOME_${o}`, o as DeliveryOutcome]));
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const TARGET_FORMS = 'expected HOST:PORT, grpc://HOST:PORT, or an http:// or https:// URL';
/** gRPC statuses that mean "this call did not happen; the gateway may take it later". */
const TRANSIENT_GRPC_CODES = TRANSIENT_STATUS_CODES;
const MESSAGE_BYTES_MAX = GRPC_MESSAGE_BYTES_MAX;
const ERROR_BODY_CHARS_MAX = 500;

/** Validates a --gateway value; throws an Error saying what is wrong. */
export function parseGatewayTarget(target: string): GatewayTarget {
  const text = target.trim();
  if (text === '') throw new Error(`gateway target is empty; ${TARGET_FORMS}`);
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`gateway target ${JSON.stringify(target)} is not a valid URL; ${TARGET_FORMS}`);
    }
    if (url.search !== '' || url.hash !== '') throw new Error(`gateway target ${JSON.stringify(target)}: the URL must not have a query or fragment (the client appends /deliver and /presence)`);
    if (url.username !== '' || url.password !== '') throw new Error(`gateway target ${JSON.stringify(target)}: credentials in the URL are not supported`);
    return { kind: 'http', url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
  }
  const address = text.replace(/^grpc:\/\//i, '');
  const match = HOST_PORT.exec(address);
  if (match === null) throw new Error(`invalid gateway target ${JSON.stringify(target)}; ${TARGET_FORMS}`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new Error(`gateway target ${JSON.stringify(target)}: port must be 1-65535`);
  return { kind: 'grpc', address };
}

export function createGatewayClient(target: string, options: GatewayClientOptions): GatewayClient {
  if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) throw new Error(`gateway timeoutMs must be positive, got ${options.timeoutMs}`);
  const parsed = parseGatewayTarget(target);
  const sender = options.sender ?? (() => undefined);
  return parsed.kind === 'grpc' ? new GrpcGatewayClient(parsed.address, options.timeoutMs, sender, options.tls) : new WebhookGatewayClient(parsed.url, options.timeoutMs, sender, options.tls);
}

// ------------------------------------------------------------- validation

function malformed(target: string, what: string): GatewayUnavailableError {
  return new GatewayUnavailableError(`gateway ${target} sent a malformed answer: ${what}`);
}

function checkResults(target: string, items: readonly DeliveryItem[], results: ReadonlyArray<{ idempotencyKey?: unknown; outcome?: unknown; reason?: unknown }>, outcomeOf: (raw: unknown) => string | undefined): DeliveryResult[] {
  if (results.length !== items.length) throw malformed(target, `${results.length} results for ${items.length} items`);
  return results.map((r, i) => {
    const key = items[i]!.idempotencyKey;
    if (r.idempotencyKey !== key) throw malformed(target, `results[${i}] is for key ${JSON.stringify(r.idempotencyKey)}, expected ${JSON.stringify(key)} (results must follow the request order)`);
    const outcome = outcomeOf(r.outcome);
    if (outcome === undefined || !OUTCOMES.has(outcome)) throw malformed(target, `results[${i}].outcome ${JSON.stringify(r.outcome)} is not one of ${[...OUTCOMES].join(', ')}`);
    if (r.reason !== undefined && typeof r.reason !== 'string') throw malformed(target, `results[${i}].reason must be a string`);
    return { idempotencyKey: key, outcome: outcome as DeliveryOutcome, reason: (r.reason as string | undefined) ?? '' };
  });
}

function checkReachable(target: string, recipientIds: readonly string[], reachable: unknown): boolean[] {
  if (!Array.isArray(reachable)) throw malformed(target, 'no "reachable" array');
  if (reachable.length !== recipientIds.length) throw malformed(target, `${reachable.length} presence answers for ${recipientIds.length} recipients`);
  for (const [i, value] of reachable.entries()) if (typeof value !== 'boolean') throw malformed(target, `reachable[${i}] is not a boolean`);
  return reachable as boolean[];
}

function leaseExpired(target: string, sender: GatewaySender, nowUnixMs: number): LeaseExpiredError | undefined {
  if (nowUnixMs <= sender.leaseExpiresUnixMs) return undefined;
  return new LeaseExpiredError(`gateway ${target}: not sent: lease ${sender.leaseEpoch} of ${sender.nodeKey} expired ${nowUnixMs - sender.leaseExpiresUnixMs} ms ago (self-fenced)`);
}

// ------------------------------------------------------------------- gRPC

type GatewayClientClass = new (...args: ConstructorParameters<typeof grpc.Client>) => GatewayGrpcClient;

let gatewayClientClass: GatewayClientClass | undefined;

/**
 * The Gateway client class as grpc.loadPackageDefinition would make it, but
 * with Deliver's request encoding and response decoding done by
 * protocol/gateway-codec.ts (the hot path: see there why); LookupPresence and
 * everything else stay with proto-loader.
 */
function gatewayClient(): GatewayClientClass {
  if (gatewayClientClass === undefined) {
    const service = (loadProtos().proto as unknown as GatewayProto).relaycast.gateway.v1.Gateway.service;
    const definition: GatewayDefinition = {
      ...service,
      Deliver: { ...service.Deliver, requestSerialize: encodeDeliverRequest, responseDeserialize: decodeDeliverResponse },
    };
    // Its instances have the methods of GatewayClient, which the generic type cannot say.
    gatewayClientClass = grpc.makeGenericClientConstructor(definition, 'Gateway') as unknown as GatewayClientClass;
  }
  return gatewayClientClass;
}

class GrpcGatewayClient implements GatewayClient {
  private readonly client: GatewayGrpcClient;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly timeoutMs: number,
    private readonly sender: () => GatewaySender | undefined,
    tls?: GatewayTls,
  ) {
    const credentials = tls === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
    const Client = gatewayClient();
    this.client = new Client(address, credentials, {
      'grpc.max_receive_message_length': MESSAGE_BYTES_MAX,
      'grpc.max_send_message_length': MESSAGE_BYTES_MAX,
    });
  }

  async deliver(items: DeliveryItem[]): Promise<DeliveryResult[]> {
    this.checkOpen();
    if (items.length === 0) return [];
    const response = await this.call<{ results: DeliveryResult__Output[] }>('Deliver', { items }, true);
    return checkResults(this.address, items, response.results, (raw) => (typeof raw === 'string' ? FROM_PROTO_OUTCOME.get(raw) ?? raw : undefined));
  }

  async lookupPresence(recipientIds: string[]): Promise<boolean[]> {
    this.checkOpen();
    if (recipientIds.length === 0) return [];
    const response = await this.call<{ reachable: boolean[] }>('LookupPresence', { recipientIds });
    return checkReachable(this.address, recipientIds, response.reachable);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`gateway client for ${this.address} is closed`);
  }

  private call<Res>(method: 'Deliver' | 'LookupPresence', request: unknown, fenced = false): Promise<Res> {
    return new Promise((resolve, reject) => {
      const fn = (this.client[method] as unknown as (req: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void).bind(this.client);
      const metadata = new grpc.Metadata();
      const sentUnixMs = Date.now();
      const sender = this.sender();
      if (sender !== undefined) {
        if (fenced) {
          const expired = leaseExpired(this.address, sender, sentUnixMs);
          if (expired !== undefined) return reject(expired);
        }
        for (const [key, value] of senderMetadata(sender, sentUnixMs)) metadata.set(key, value);
      }
      fn(request, metadata, { deadline: sentUnixMs + this.timeoutMs }, (err, response) => {
        if (err !== null) return reject(this.failure(method, err));
        if (response === undefined) return reject(malformed(this.address, 'empty response'));
        resolve(response);
      });
    });
  }

  private failure(method: string, err: grpc.ServiceError): Error {
    const name = grpc.status[err.code] ?? `code ${err.code}`;
    const reason = `${name}: ${err.details || err.message}`;
    const message = `gateway ${this.address} ${method}: ${reason}`;
    return TRANSIENT_GRPC_CODES.has(err.code) ? new GatewayUnavailableError(message, { cause: err }) : new GatewayRejectedError(message, name, reason, { cause: err });
  }
}

// ---------------------------------------------------------------- webhook

class WebhookGatewayClient implements GatewayClient {
  private closed = false;
  /** For https:// with our own roots or client certificate; fetch (system roots) otherwise. */
  private readonly agent: https.Agent | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly sender: () => GatewaySender | undefined,
    tls?: GatewayTls,
  ) {
    if (tls !== undefined && /^https:/i.test(baseUrl)) this.agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  async deliver(items: DeliveryItem[]): Promise<DeliveryResult[]> {
    this.checkOpen();
    if (items.length === 0) return [];
    const body = await this.post('deliver', { items }, true);
    const results = (body as { results?: unknown }).results;
    if (!Array.isArray(results)) throw malformed(this.baseUrl, 'no "results" array');
    for (const [i, r] of results.entries()) if (typeof r !== 'object' || r === null) throw malformed(this.baseUrl, `results[${i}] is not an object`);
    return checkResults(this.baseUrl, items, results as Array<Record<string, unknown>>, (raw) => (typeof raw === 'string' ? raw : undefined));
  }

  async lookupPresence(recipientIds: string[]): Promise<boolean[]> {
    this.checkOpen();
    if (recipientIds.length === 0) return [];
    const body = await this.post('presence', { recipientIds });
    return checkReachable(this.baseUrl, recipientIds, (body as { reachable?: unknown }).reachable);
  }

  close(): void {
    // fetch pools connections globally; only our own agent is ours to release.
    this.closed = true;
    this.agent?.destroy();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`gateway client for ${this.baseUrl} is closed`);
  }

  private async post(path: 'deliver' | 'presence', payload: unknown, fenced = false): Promise<object> {
    const url = `${this.baseUrl}/${path}`;
    let status: number;
    let text: string;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    const sentUnixMs = Date.now();
    const sender = this.sender();
    if (sender !== undefined) {
      if (fenced) {
        const expired = leaseExpired(url, sender, sentUnixMs);
        if (expired !== undefined) throw expired;
      }
      for (const [key, value] of senderMetadata(sender, sentUnixMs)) headers[key] = value;
    }
    try {
      // One signal bounds the whole exchange, reading the body included.
      const signal = AbortSignal.timeout(this.timeoutMs);
      if (this.agent !== undefined) {
        ({ status, text } = await httpsPost(this.agent, url, headers, JSON.stringify(payload), signal));
      } else {
        const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(payload), signal });
        status = response.status;
        text = await response.text();
      }
    } catch (err) {
      const why = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        ? `no answer within ${this.timeoutMs} ms`
        : describeFetchError(err);
      throw new GatewayUnavailableError(`gateway ${url}: ${why}`, { cause: err });
    }
    if (status < 200 || status > 299) {
      const reason = `HTTP ${status}: ${errorText(text)}`;
      const message = `gateway ${url}: ${reason}`;
      // 408 and 429 are the gateway asking us to come back later.
      if (status >= 500 || status === 408 || status === 429) throw new GatewayUnavailableError(message);
      throw new GatewayRejectedError(message, `HTTP ${status}`, reason);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw malformed(url, `body is not JSON (${(err as Error).message})`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed(url, 'body is not a JSON object');
    return body;
  }
}

/** POST over node:https (fetch cannot take our own roots or client certificate without undici). */
function httpsPost(agent: https.Agent, url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici hides the socket error (ECONNREFUSED, ...) in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: show the text itself
  }
  return body.length > ERROR_BODY_CHARS_MAX ? `${body.slice(0, ERROR_BODY_CHARS_MAX)}…` : body || '(empty body)';
}
