/**
 * The client side of the coordinator connection for the CLI: one channel
 * shared by the Broadcasts, Membership and Admin clients, unary calls with a
 * deadline that Ctrl-C can cancel, and gRPC failures turned into messages
 * that say what to do.
 *
 * channelCredentials() is the single place that decides how the channel is
 * secured: TLS (--tls-ca, ...) and a bearer token (--token, as call
 * credentials composed onto the channel credentials) go there, and into
 * ConnectionOptions, without touching the commands.
 */
import * as grpc from '@grpc/grpc-js';
import { adminClient, BROADCASTS_MESSAGE_BYTES_MAX, broadcastsClient, membershipClient } from '../shared/client';
import type { AdminClient } from '../shared/generated/relaycast/v1/Admin';
import type { BroadcastsClient } from '../shared/generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from '../shared/generated/relaycast/v1/Membership';
import { CliError, EXIT } from './exit-codes';

export const DEFAULT_COORDINATOR = '127.0.0.1:7070';
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ConnectionOptions {
  /** HOST:PORT of the coordinator. */
  readonly coordinator: string;
  /** Deadline of each unary call. */
  readonly timeoutMs: number;
}

export function channelCredentials(_options: ConnectionOptions): grpc.ChannelCredentials {
  return grpc.credentials.createInsecure();
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

  constructor(
    readonly options: ConnectionOptions,
    readonly signal: AbortSignal,
  ) {}

  get broadcasts(): BroadcastsClient {
    return (this.broadcastsClient ??= broadcastsClient(this.options.coordinator, channelCredentials(this.options), { channelOverride: this.sharedChannel() }));
  }

  get membership(): MembershipClient {
    return (this.membershipClient ??= membershipClient(this.options.coordinator, channelCredentials(this.options), { channelOverride: this.sharedChannel() }));
  }

  get admin(): AdminClient {
    return (this.adminClient ??= adminClient(this.options.coordinator, channelCredentials(this.options), { channelOverride: this.sharedChannel() }));
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
      case grpc.status.UNAVAILABLE:
        return new CliError(EXIT.FAILURE, `cannot reach the coordinator at ${this.options.coordinator} (${connectionCause(details)}); is it running? Point --coordinator or RELAYCAST_COORDINATOR at it`, name);
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

  private sharedChannel(): grpc.Channel {
    return (this.channel ??= new grpc.Channel(this.options.coordinator, channelCredentials(this.options), {
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

/** Status codes worth retrying or waiting out: the coordinator restarting or a connection dropped. */
export function isTransient(err: unknown): boolean {
  if (err instanceof CliError) return err.code === grpc.status[grpc.status.UNAVAILABLE];
  const code = (err as Partial<grpc.ServiceError> | undefined)?.code;
  return code === grpc.status.UNAVAILABLE;
}
