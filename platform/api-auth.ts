/**
 * API tokens for the public services (Broadcasts, Membership, Admin) as a
 * gRPC server interceptor: a call carries `authorization: Bearer <token>`;
 * the token's scope must cover the method, or the call is refused before
 * its handler runs (so a refused call changes nothing).
 *
 *   missing or unknown token          → UNAUTHENTICATED
 *   a `read` token on an admin method → PERMISSION_DENIED
 *
 * Member traffic (NodeSession, RelayLink, ShardData) is authenticated by
 * mutual TLS instead (platform/peer-identity.ts); health and reflection stay
 * open. Without a tokens file the interceptor is not installed at all.
 *
 * Tokens file: one `SCOPE TOKEN [NAME]` per line, SCOPE `read` or `admin`,
 * `#` starts a comment. A token is 16-512 characters of letters, digits and
 * `-._~+/=` (what `openssl rand -base64 32` or `-hex 32` prints). Only
 * SHA-256 digests of the tokens are kept in memory.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from './config';
import type { Logger } from './log';

export type TokenScope = 'read' | 'admin';

/** The services tokens protect. */
export const TOKEN_SERVICES: readonly string[] = ['relaycast.v1.Admin', 'relaycast.v1.Broadcasts', 'relaycast.v1.Membership'];

/**
 * Methods a `read` token may call: they only look. Every other method of a
 * protected service — including any added later — needs `admin`.
 */
export const READ_METHODS: ReadonlySet<string> = new Set([
  '/relaycast.v1.Broadcasts/GetBroadcast',
  '/relaycast.v1.Broadcasts/ListBroadcasts',
  '/relaycast.v1.Broadcasts/WatchBroadcast',
  '/relaycast.v1.Broadcasts/ListDeadLetters',
  '/relaycast.v1.Membership/ListNodes',
  '/relaycast.v1.Membership/Watch',
  '/relaycast.v1.Admin/GetStatus',
]);

/** The scope `path` needs, or undefined when tokens do not apply (member services, health, reflection). */
export function requiredScope(path: string): TokenScope | undefined {
  if (!TOKEN_SERVICES.some((s) => path.startsWith(`/${s}/`))) return undefined;
  return READ_METHODS.has(path) ? 'read' : 'admin';
}

export interface TokenEntry {
  readonly scope: TokenScope;
  /** For logs: the NAME column, or "<scope> token on line N". */
  readonly name: string;
}

/** Token digests (SHA-256, hex) → scope and name. */
export type TokenTable = ReadonlyMap<string, TokenEntry>;

const TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/=]{16,512}$/;
const NAME_PATTERN = /^[\x21-\x7e]{1,128}$/;

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parses a tokens file's text; throws ConfigError naming the line. */
export function parseTokens(text: string, where: string): TokenTable {
  const table = new Map<string, TokenEntry>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const at = `${where}:${index + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length < 2 || fields.length > 3) throw new ConfigError(`${at}: expected "SCOPE TOKEN [NAME]" (SCOPE read or admin)`);
    const [scope, token, name] = fields as [string, string, string | undefined];
    if (scope !== 'read' && scope !== 'admin') throw new ConfigError(`${at}: scope must be read or admin, got ${JSON.stringify(scope)}`);
    if (!TOKEN_PATTERN.test(token)) throw new ConfigError(`${at}: a token must be 16-512 characters of letters, digits and -._~+/= (try: openssl rand -hex 32)`);
    if (name !== undefined && !NAME_PATTERN.test(name)) throw new ConfigError(`${at}: the name must be 1-128 printable characters`);
    const key = digest(token);
    if (table.has(key)) throw new ConfigError(`${at}: this token is already listed (${table.get(key)!.name})`);
    table.set(key, { scope, name: name ?? `${scope} token on line ${index + 1}` });
  }
  if (table.size === 0) throw new ConfigError(`${where}: no tokens (leave --tokens-file out to run without tokens)`);
  return table;
}

/** Reads --tokens-file; warns when others may read it. */
export function loadTokens(file: string, log?: Logger): TokenTable {
  let text: string;
  let mode: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mode = fs.statSync(file).mode;
  } catch (err) {
    throw new ConfigError(`--tokens-file: cannot read ${file}: ${(err as Error).message}`);
  }
  const table = parseTokens(text, file);
  if ((mode & 0o077) !== 0) log?.warn({ file, mode: (mode & 0o777).toString(8) }, 'tokens file is readable by group or others; chmod 600 it');
  return table;
}

/** `authorization: Bearer <token>` → the token; undefined when absent or another scheme. */
export function bearerToken(metadata: grpc.Metadata): string | undefined {
  for (const value of metadata.get('authorization')) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(String(value));
    if (match !== null) return match[1];
  }
  return undefined;
}

/** A client interceptor adding `authorization: Bearer <token>` to every call (works over plaintext too). */
export function bearerTokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set('authorization', `Bearer ${token}`);
      next(metadata, listener);
    },
  });
}

/** Refusals are logged at most once per interval, with the count. */
const REFUSALS_LOG_INTERVAL_MS = 10_000;

export function apiAuthInterceptor(tokens: TokenTable, log: Logger): grpc.ServerInterceptor {
  let refusedSinceLog = 0;
  let lastLogMs = Number.NEGATIVE_INFINITY;
  const refuse = (call: grpc.ServerInterceptingCallInterface, path: string, code: grpc.status, details: string) => {
    refusedSinceLog += 1;
    const nowMs = performance.now();
    if (nowMs - lastLogMs >= REFUSALS_LOG_INTERVAL_MS) {
      log.warn({ method: path, peer: call.getPeer(), code: grpc.status[code], reason: details, refused: refusedSinceLog }, 'public API call refused (token)');
      refusedSinceLog = 0;
      lastLogMs = nowMs;
    }
    call.sendStatus({ code, details, metadata: new grpc.Metadata() });
  };
  return (method, call) => {
    const needed = requiredScope(method.path);
    if (needed === undefined) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({
        onReceiveMetadata: (metadata, nextMetadata) => {
          const token = bearerToken(metadata);
          if (token === undefined) {
            return refuse(call, method.path, grpc.status.UNAUTHENTICATED, `${method.path} needs an API token: send the metadata "authorization: Bearer <token>" (relaycast --token-file, grpcurl -H)`);
          }
          const entry = tokens.get(digest(token));
          if (entry === undefined) return refuse(call, method.path, grpc.status.UNAUTHENTICATED, 'the API token is not valid');
          if (needed === 'admin' && entry.scope !== 'admin') {
            return refuse(call, method.path, grpc.status.PERMISSION_DENIED, `${method.path} needs an admin token; ${entry.name} has scope read`);
          }
          nextMetadata(metadata);
        },
      }),
    });
  };
}

/** The interceptors for --tokens-file (none when it is empty: tokens off). */
export function apiAuthInterceptors(tokensFile: string, log: Logger): grpc.ServerInterceptor[] {
  if (tokensFile === '') return [];
  return [apiAuthInterceptor(loadTokens(tokensFile, log), log)];
}
