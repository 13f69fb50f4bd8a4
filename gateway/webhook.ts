/**
 * The gateway simulator's HTTP face, for deployments whose downstream is a
 * webhook rather than gRPC. Same ledger, same rules:
 *
 *   POST /deliver  {"items":[{"idempotencyKey","recipientId","text","broadcastId","sequence"}]}
 *                → 200 {"results":[{"idempotencyKey","outcome","reason"}]}
 *   POST /presence {"recipientIds":[...]} → 200 {"reachable":[...]}
 *
 * Deliver requests may name their sender in relaycast-* headers (see
 * core/senders.ts); a partial or malformed set is a 400, a call that
 * arrives after the lease expiry it names a 409.
 *
 * Errors are {"error": message}: 400 malformed or invalid body, 404, 405, 409,
 * 413 body over WEBHOOK_BODY_BYTES_MAX, 503 outage or shutting down,
 * 507 ledger full.
 */
import { WEBHOOK_BODY_BYTES_MAX } from '../protocol/limits';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ErrorCode } from '../protocol/errors';
import type { Logger } from '../platform/log';
import type { Delays } from './delays';
import type { GatewayLedger, LedgerItem } from './core/ledger';
import { parseSender, type SenderIdentity } from '../protocol/sender-metadata';
import type { TlsMaterial } from '../platform/tls';

export { WEBHOOK_BODY_BYTES_MAX } from '../protocol/limits';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 409,
  UNAVAILABLE: 503,
  RESOURCE_EXHAUSTED: 507,
};

export interface Webhook {
  address: string;
  close(graceMs: number): Promise<void>;
}

class BadRequest extends Error {}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message }, headers);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseDeliverBody(body: unknown): LedgerItem[] {
  if (!isObject(body) || !Array.isArray(body.items)) throw new BadRequest('body must be an object with an "items" array');
  return body.items.map((item: unknown, i: number) => {
    if (!isObject(item)) throw new BadRequest(`items[${i}] must be an object`);
    for (const field of ['idempotencyKey', 'recipientId', 'text'] as const) {
      if (typeof item[field] !== 'string') throw new BadRequest(`items[${i}].${field} must be a string`);
    }
    if (item.broadcastId !== undefined && typeof item.broadcastId !== 'string') throw new BadRequest(`items[${i}].broadcastId must be a string`);
    if (item.sequence !== undefined && !(Number.isSafeInteger(item.sequence) && (item.sequence as number) >= 0)) {
      throw new BadRequest(`items[${i}].sequence must be a non-negative whole number`);
    }
    return { idempotencyKey: item.idempotencyKey as string, recipientId: item.recipientId as string, text: item.text as string };
  });
}

function parsePresenceBody(body: unknown): string[] {
  if (!isObject(body) || !Array.isArray(body.recipientIds)) throw new BadRequest('body must be an object with a "recipientIds" array');
  return body.recipientIds.map((id: unknown, i: number) => {
    if (typeof id !== 'string') throw new BadRequest(`recipientIds[${i}] must be a string`);
    return id;
  });
}

type Route = 'deliver' | 'presence';

/** With `tls`, HTTPS (and client certificates required when it has a CA); otherwise HTTP. */
export function startWebhook(listen: string, ledger: GatewayLedger, delays: Delays, log: Logger, tls?: TlsMaterial): Promise<Webhook> {
  const answer = (route: Route, headers: http.IncomingHttpHeaders, rawBody: Buffer, res: http.ServerResponse): void => {
    let sender: SenderIdentity | undefined;
    if (route === 'deliver') {
      const parsed = parseSender((name) => {
        const value = headers[name];
        return Array.isArray(value) ? value[0] : value;
      });
      if (!parsed.ok) return sendError(res, 400, parsed.error.message);
      sender = parsed.value;
    }
    let request: LedgerItem[] | string[];
    try {
      const body: unknown = JSON.parse(rawBody.toString('utf8'));
      request = route === 'deliver' ? parseDeliverBody(body) : parsePresenceBody(body);
    } catch (err) {
      const message = err instanceof BadRequest ? err.message : `malformed JSON: ${(err as Error).message}`;
      return sendError(res, 400, message);
    }
    // Like the gRPC face: recorded on arrival, before an outage refusal
    // (the body is parsed first because the record needs its item count).
    if (sender !== undefined) {
      const received = ledger.receive(sender, (request as LedgerItem[]).length);
      if (!received.ok) return sendError(res, HTTP_STATUS[received.error.code] ?? 500, received.error.message);
    }
    const admitted = ledger.admitCall();
    if (!admitted.ok) return sendError(res, 503, admitted.error.message);
    if (!delays.accepting) return sendError(res, 503, 'gateway simulator is busy or shutting down');
    delays.run(ledger.latencyMs, () => {
      const result = route === 'deliver' ? ledger.deliver(request as LedgerItem[]) : ledger.lookupPresence(request as string[]);
      if (!result.ok) return sendError(res, HTTP_STATUS[result.error.code] ?? 500, result.error.message);
      sendJson(res, 200, route === 'deliver' ? { results: result.value } : { reachable: result.value });
    }, () => sendError(res, 503, 'gateway simulator is shutting down'));
  };

  const requireClientCert = tls !== undefined && tls.ca.length > 0;
  const serverOptions: https.ServerOptions = tls === undefined ? {} : { cert: tls.cert, key: tls.key, ...(requireClientCert ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) };
  const handler: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route: Route | undefined = path === '/deliver' ? 'deliver' : path === '/presence' ? 'presence' : undefined;
    if (route === undefined) {
      req.resume();
      return sendError(res, 404, `no such endpoint ${JSON.stringify(path)}; use POST /deliver or POST /presence`);
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendError(res, 405, `${req.method ?? '?'} not allowed; use POST`, { allow: 'POST' });
    }
    const tooLarge = (): void => {
      // Answer now and drop the connection rather than read what we refuse.
      sendError(res, 413, `request body over ${WEBHOOK_BODY_BYTES_MAX} bytes`, { connection: 'close' });
      req.resume();
    };
    if (Number(req.headers['content-length'] ?? 0) > WEBHOOK_BODY_BYTES_MAX) return tooLarge();
    const chunks: Buffer[] = [];
    let bytes = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      bytes += chunk.length;
      if (bytes > WEBHOOK_BODY_BYTES_MAX) {
        refused = true;
        chunks.length = 0;
        return tooLarge();
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) answer(route, req.headers, Buffer.concat(chunks, bytes), res);
    });
    req.on('error', (err) => log.debug({ err }, 'webhook request failed'));
  };
  const server: http.Server = tls === undefined ? http.createServer(handler) : https.createServer(serverOptions, handler);

  const match = /^(.*):(\d+)$/.exec(listen);
  if (match === null) return Promise.reject(new Error(`cannot listen on ${listen}: expected HOST:PORT`));
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${listen}: ${err.message}`)));
    server.listen(Number(match[2]), host, () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        address: listen.replace(/:\d+$/, `:${port}`),
        close: (graceMs) => new Promise<void>((done) => {
          const timer = setTimeout(() => server.closeAllConnections(), graceMs);
          server.close(() => {
            clearTimeout(timer);
            done();
          });
          server.closeIdleConnections();
        }),
      });
    });
  });
}
