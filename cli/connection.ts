/**
 * The client side of the coordinator connection for the CLI: one channel
 * shared by the Broadcasts, Membership and Admin clients, unary calls with a
 * deadline that Ctrl-C can cancel, and gRPC failures turned into messages
 * that say what to do.
 *
 * channelCredentials() is the single place that decides how the channel is
 * secured, and tokenInterceptor() adds the API token to every call:
 *
 *  - --plaintext (or RELAYCAST_PLAINTEXT=true): no TLS, as for the demo and
 *    a cluster started with --plaintext;
 *  - otherwise TLS, like grpcurl: the coordinator's certificate is checked
 *    against --tls-ca-file (the system's roots when absent), and
 *    --tls-cert-file/--tls-key-file are presented as the client certificate
 *    (a coordinator with TLS requires one);
 *  - --token-file, RELAYCAST_TOKEN or --token: `authorization: Bearer <token>`
 *    on every call (an interceptor, so it works over plaintext too).
 */
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { quietIpServerNameWarning } from '../platform/tls';
import { bearerTokenInterceptor } from '../platform/api-auth';
import { adminClient, BROADCASTS_MESSAGE_BYTES_MAX, broadcastsClient, membershipClient } from '../client/client';
import type { AdminClient } from '../protocol/generated/relaycast/v1/Admin';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import { CliError, EXIT } from './exit-codes';

export const DEFAULT_COORDINATOR = '127.0.0.1:7070';
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ConnectionOptions {
  /** HOST:PORT of the coordinator. */
  readonly coordinator: string;
  /** Deadline of each unary call. */
  readonly timeoutMs: number;
  /** No TLS (--plaintext, RELAYCAST_PLAINTEXT). */
  readonly plaintext?: boolean;
  /** PEM files for TLS; '' or absent when not given. */
  readonly tlsCaFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  /** The API token itself (--token, RELAYCAST_TOKEN) ... */
  readonly token?: string;
  /** ... or a file holding it (--token-file, RELAYCAST_TOKEN_FILE). */
  readonly tokenFile?: string;
}

function readFile(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CliError(EXIT.USAGE, `${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
}

export function channelCredentials(options: ConnectionOptions): grpc.ChannelCredentials {
  const files = { '--tls-ca-file': options.tlsCaFile ?? '', '--tls-cert-file': options.tlsCertFile ?? '', '--tls-key-file': options.tlsKeyFile ?? '' };
  const given = Object.entries(files).filter(([, file]) => file !== '').map(([flag]) => flag);
  if (options.plaintext === true) {
    if (given.length > 0) throw new CliError(EXIT.USAGE, `--plaintext (RELAYCAST_PLAINTEXT) and ${given.join(', ')} exclude each other: choose TLS or plaintext`);
    return grpc.credentials.createInsecure();
  }
  if ((files['--tls-cert-file'] === '') !== (files['--tls-key-file'] === '')) throw new CliError(EXIT.USAGE, '--tls-cert-file and --tls-key-file go together (the client certificate and its key)');
  quietIpServerNameWarning();
  const read = (flag: keyof typeof files) => (files[flag] === '' ? null : readFile(flag, files[flag]));
  try {
    return grpc.credentials.createSsl(read('--tls-ca-file'), read('--tls-key-file'), read('--tls-cert-file'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(EXIT.USAGE, `TLS files: ${(err as Error).message}`);
  }
}

/** The API token from --token-file (its first non-empty line) or --token/RELAYCAST_TOKEN; undefined when none. */
export function resolveToken(options: ConnectionOptions): string | undefined {
  const inline = options.token ?? '';
  const file = options.tokenFile ?? '';
  if (inline !== '' && file !== '') throw new CliError(EXIT.USAGE, 'give the API token once: --token-file, or --token/RELAYCAST_TOKEN');
  const token = file !== '' ? (readFile('--token-file', file).toString('utf8').split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? '') : inline.trim();
  if (file !== '' && token === '') throw new CliError(EXIT.USAGE, `--token-file: ${file} is empty`);
  if (/\s/.test(token)) throw new CliError(EXIT.USAGE, 'the API token must not contain spaces');
  return token === '' ? undefined : token;
}


/**
 * A unary method's request and response types. The generated methods are
 * overloaded and `infer` sees the last overload, (request, callback).
 */
type UnaryMethod<C, M extends keyof C> = C[M] extends (req: infer Req, cb: grpc.requestCallback<infer Res>) => grpc.ClientUnaryCall ? { req: Req; res: Res } : never;

export class Connection {
  private channel: grpc.Channel | undefined;
  private broadcastsClient: BroadcastsClient | undefined;
  private membershipClient: MembershipClient | undefined;
  private adminClient: AdminClient | undefined;
  private credentials: grpc.ChannelCredentials | undefined;
  private interceptors: grpc.Interceptor[] | undefined;

  constructor(
    readonly options: ConnectionOptions,
    readonly signal: AbortSignal,
  ) {}

  get broadcasts(): BroadcastsClient {
    return (this.broadcastsClient ??= broadcastsClient(this.options.coordinator, this.channelCredentials(), this.clientOptions()));
  }

  get membership(): MembershipClient {
    return (this.membershipClient ??= membershipClient(this.options.coordinator, this.channelCredentials(), this.clientOptions()));
  }

  get admin(): AdminClient {
    return (this.adminClient ??= adminClient(this.options.coordinator, this.channelCredentials(), this.clientOptions()));
  }

  /** A unary call bounded by --timeout-ms; Ctrl-C cancels it. */
  unary<C extends grpc.Client, M extends keyof C & string>(client: C, method: M, request: UnaryMethod<C, M>['req']): Promise<UnaryMethod<C, M>['res']> {
    this.signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const fn = (client[method] as unknown as (req: unknown, options: grpc.CallOptions, cb: grpc.requestCallback<unknown>) => grpc.ClientUnaryCall).bind(client);
      const onAbort = () => call.cancel();
      const call = fn(request, { deadline: Date.now() + this.options.timeoutMs }, (err, res) => {
        this.signal.removeEventListener('abort', onAbort);
        if (err) reject(this.describe(err, method));
        else resolve(res as UnaryMethod<C, M>['res']);
      });
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A gRPC failure as a CliError whose message says what went wrong and, where it helps, what to do. */
  describe(err: unknown, method: string): CliError {
    if (err instanceof CliError) return err;
    if (this.signal.aborted) return new CliError(EXIT.INTERRUPTED, 'interrupted');
    const e = err as Partial<grpc.ServiceError>;
    if (typeof e.code !== 'number') return new CliError(EXIT.FAILURE, `${method}: ${(err as Error)?.message ?? String(err)}`);
    const name = grpc.status[e.code] ?? `code ${e.code}`;
    const details = e.details ?? '';
    switch (e.code) {
      case grpc.status.UNAVAILABLE: {
        const hint = transportHint(details, this.options.plaintext === true);
        if (hint !== undefined) return new CliError(EXIT.FAILURE, `cannot talk to the coordinator at ${this.options.coordinator} (${connectionCause(details).replace(/\s+/g, ' ')}): ${hint}`, name);
        return new CliError(EXIT.FAILURE, `cannot reach the coordinator at ${this.options.coordinator} (${connectionCause(details)}); is it running? Point --coordinator or RELAYCAST_COORDINATOR at it`, name);
      }
      case grpc.status.UNAUTHENTICATED:
        return new CliError(EXIT.FAILURE, `${method}: ${name}: ${details} (give the API token with --token-file or RELAYCAST_TOKEN)`, name);
      case grpc.status.DEADLINE_EXCEEDED:
        return new CliError(EXIT.FAILURE, `the coordinator at ${this.options.coordinator} did not answer ${method} within ${this.options.timeoutMs} ms (raise --timeout-ms)`, name);
      default:
        return new CliError(EXIT.FAILURE, `${method}: ${name}: ${details}`, name);
    }
  }

  close(): void {
    for (const client of [this.broadcastsClient, this.membershipClient, this.adminClient]) client?.close();
    this.channel?.close();
  }

  private channelCredentials(): grpc.ChannelCredentials {
    return (this.credentials ??= channelCredentials(this.options));
  }

  /** The shared channel, and the token on every call. */
  private clientOptions(): grpc.ClientOptions {
    if (this.interceptors === undefined) {
      const token = resolveToken(this.options);
      this.interceptors = token === undefined ? [] : [bearerTokenInterceptor(token)];
    }
    return { channelOverride: this.sharedChannel(), interceptors: this.interceptors };
  }

  private sharedChannel(): grpc.Channel {
    return (this.channel ??= new grpc.Channel(this.options.coordinator, this.channelCredentials(), {
      'grpc.max_receive_message_length': BROADCASTS_MESSAGE_BYTES_MAX,
      'grpc.max_send_message_length': BROADCASTS_MESSAGE_BYTES_MAX,
    }));
  }
}

/** grpc-js wraps the socket error ("No connection established. Last error: Error: connect ECONNREFUSED ..."): keep the socket error. */
export function connectionCause(details: string): string {
  const match = /Last error: (?:Error: )?(.+?)\.?(?: Resolution note:.*)?$/s.exec(details);
  return (match?.[1] ?? details).trim();
}

/**
 * What a failed connection says about TLS, as advice; undefined when it
 * looks like an ordinary connection failure. A plaintext client against a
 * TLS port sees the connection dropped; a TLS client against a plaintext
 * port a "wrong version number"; a missing or untrusted certificate its alert.
 */
export function transportHint(details: string, plaintext: boolean): string | undefined {
  if (plaintext) {
    if (/Failed to connect|Connection dropped|Protocol error|ECONNRESET|socket hang up/i.test(details) && !/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(details)) {
      return 'the connection was dropped; the coordinator probably requires TLS. Give --tls-ca-file, --tls-cert-file and --tls-key-file instead of --plaintext (RELAYCAST_PLAINTEXT)';
    }
    return undefined;
  }
  if (/wrong version number|packet length too long|http request/i.test(details)) return 'it does not speak TLS on this port (started with --plaintext?); pass --plaintext or set RELAYCAST_PLAINTEXT=true';
  if (/certificate required|handshake failure|bad certificate|unknown ca|certificate unknown/i.test(details)) return 'it did not accept this client: it requires a client certificate signed by its CA; give --tls-cert-file and --tls-key-file';
  if (/self[- ]signed|unable to (get|verify)|certificate has expired|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID|certificate/i.test(details)) return 'its certificate is not trusted here; give --tls-ca-file with the CA that signed it (and connect by a name or IP its certificate lists)';
  return undefined;
}

/** Status codes worth retrying or waiting out: the coordinator restarting or a connection dropped. */
export function isTransient(err: unknown): boolean {
  if (err instanceof CliError) return err.code === grpc.status[grpc.status.UNAVAILABLE];
  const code = (err as Partial<grpc.ServiceError> | undefined)?.code;
  return code === grpc.status.UNAVAILABLE;
}
