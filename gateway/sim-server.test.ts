/**
 * The simulator's shell: gRPC control service, health, and the HTTP
 * webhook's edges (status codes, limits). The delivery rules themselves are
 * covered in core/ledger.test.ts, the clients in node/gateway-client.test.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unary } from '../client/client';
import { ConfigError, parseConfig } from '../platform/config';
import { createLogger } from '../platform/log';
import { loadProtos } from '../protocol/proto';
import { GATEWAY_SIM_SCHEMA, checkGatewaySimConfig, ledgerConfigOf, parseOutageWindows, parseSuffixList, type GatewaySimConfig } from './config';
import { GATEWAY_SERVICE, GATEWAY_SIMULATOR_SERVICE, startGatewaySim, type GatewaySim } from './sim-server';
import { gatewayV1 } from './proto';
import { gatewaySimulatorClient } from './simulator-client';
import { WEBHOOK_BODY_BYTES_MAX } from './webhook';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';

function testSimConfig(overrides: Partial<GatewaySimConfig> = {}): GatewaySimConfig {
  const { config } = parseConfig<GatewaySimConfig>(GATEWAY_SIM_SCHEMA, [], {});
  return checkGatewaySimConfig({
    ...config,
    listen: '127.0.0.1:0',
    httpListen: '127.0.0.1:0',
    unreachableSuffixes: '-off',
    permanentFailureSuffixes: '-bad',
    logLevel: 'silent',
    ...overrides,
  });
}

interface HealthClient extends grpc.Client {
  Check(req: { service: string }, cb: grpc.requestCallback<{ status: string }>): void;
}

describe('gateway-sim config', () => {
  it('has defaults that pass its own checks', () => {
    const { config } = parseConfig<GatewaySimConfig>(GATEWAY_SIM_SCHEMA, [], {});
    expect(checkGatewaySimConfig(config)).toMatchObject({ listen: '127.0.0.1:7090', httpListen: '', latencyMs: 0, retryPerMille: 0, seed: 1, expiredLeaseCalls: 'record', expiredLeaseGraceMs: 0, sendersMax: 10_000 });
    expect(ledgerConfigOf(config)).toMatchObject({ refuseExpiredLeases: false, expiredLeaseGraceMs: 0, sendersMax: 10_000 });
    expect(ledgerConfigOf({ ...config, expiredLeaseCalls: 'refuse', expiredLeaseGraceMs: 500 })).toMatchObject({ refuseExpiredLeases: true, expiredLeaseGraceMs: 500 });
    expect(() => parseConfig(GATEWAY_SIM_SCHEMA, ['--expired-lease-calls', 'ignore'], {})).toThrow(/--expired-lease-calls/);
  });

  it('parses flags and the environment', () => {
    const { config } = parseConfig<GatewaySimConfig>(GATEWAY_SIM_SCHEMA, ['--retry-per-mille', '250', '--outage-windows-ms', '5000-8000, 20000-21000'], { RELAYCAST_UNREACHABLE_SUFFIXES: '-off,-away' });
    expect(config).toMatchObject({ retryPerMille: 250, outageWindowsMs: '5000-8000, 20000-21000', unreachableSuffixes: '-off,-away' });
    expect(checkGatewaySimConfig(config)).toBe(config);
  });

  it('parses suffix lists and outage windows, and names the flag on junk', () => {
    expect(parseSuffixList('--x', ' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseSuffixList('--x', '')).toEqual([]);
    expect(parseOutageWindows('--w', '5000-8000,20000-21000')).toEqual([{ fromMs: 5000, toMs: 8000 }, { fromMs: 20000, toMs: 21000 }]);
    expect(parseOutageWindows('--w', '')).toEqual([]);
    expect(() => parseOutageWindows('--w', '5000')).toThrow(/--w: expected START-END/);
    expect(() => parseOutageWindows('--w', '8000-5000')).toThrow(/must end after it starts/);
    expect(() => parseOutageWindows('--w', 'a-b')).toThrow(ConfigError);
    expect(() => checkGatewaySimConfig({ ...testSimConfig(), outageWindowsMs: '1-1' })).toThrow(/--outage-windows-ms/);
    expect(() => parseConfig(GATEWAY_SIM_SCHEMA, ['--log-level', 'loud'], {})).toThrow(/--log-level: expected one of/);
    expect(() => parseConfig(GATEWAY_SIM_SCHEMA, ['--retry-per-mille', '1001'], {})).toThrow(/above the maximum 1000/);
  });
});

describe('gateway-sim servers', () => {
  let sim: GatewaySim;
  let control: GatewaySimulatorClient;
  let base: string;

  const post = (path: string, body: string | object, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    sim = await startGatewaySim(testSimConfig(), { log: createLogger('gateway-sim', 'silent') });
    control = gatewaySimulatorClient(sim.address);
    base = `http://${sim.httpAddress}`;
  });

  afterAll(async () => {
    control?.close();
    await sim?.stop();
  });

  beforeEach(async () => {
    await unary(control, 'reset', {});
    await unary(control, 'configure', { outage: false, latencyMs: 0, retryRate: 0 });
  });

  it('reports SERVING for both services on the gRPC port', async () => {
    const Health = (loadProtos().proto as unknown as { grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => HealthClient } } } }).grpc.health.v1.Health;
    const health = new Health(sim.address, grpc.credentials.createInsecure());
    try {
      for (const service of ['', GATEWAY_SERVICE, GATEWAY_SIMULATOR_SERVICE]) {
        const reply = await new Promise<{ status: string }>((resolve, reject) => health.Check({ service }, (err, res) => (err ? reject(err) : resolve(res!))));
        expect(reply.status).toBe('SERVING');
      }
    } finally {
      health.close();
    }
  });

  it('Configure answers the settings after the change and refuses bad values with INVALID_ARGUMENT', async () => {
    const settings = await unary(control, 'configure', { retryRate: 0.25, unreachableSuffixes: ['-z'] });
    expect(settings).toMatchObject({ retryRate: 0.25, latencyMs: 0, outage: false, unreachableSuffixes: ['-z'], permanentFailureSuffixes: ['-bad'] });
    await expect(unary(control, 'configure', { retryRate: 2 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const restored = await unary(control, 'configure', { retryRate: 0, unreachableSuffixes: ['-off'], permanentFailureSuffixes: ['-bad'], replaceLists: true });
    expect(restored).toMatchObject({ retryRate: 0, unreachableSuffixes: ['-off'] });
  });

  it('webhook: answers outcomes as short names and presence in order', async () => {
    const res = await post('/deliver', { items: [
      { idempotencyKey: 'w/1', recipientId: 'ann', text: 'hi ann', broadcastId: 'w', sequence: 1 },
      { idempotencyKey: 'w/2', recipientId: 'bob-off', text: 'hi bob', broadcastId: 'w', sequence: 2 },
      { idempotencyKey: 'w/1', recipientId: 'ann', text: 'hi ann', broadcastId: 'w', sequence: 1 },
    ] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await res.json() as { results: Array<{ outcome: string }> };
    expect(body.results.map((r) => r.outcome)).toEqual(['DELIVERED', 'UNREACHABLE', 'DELIVERED']);
    const presence = await post('/presence', { recipientIds: ['ann', 'bob-off'] });
    expect(await presence.json()).toEqual({ reachable: [true, false] });
    expect(await unary(control, 'getStats', {})).toMatchObject({ uniqueDelivered: 1, attempts: 3, duplicates: 1, unreachableReturned: 1, deliverCalls: 1, presenceLookups: 1 });
  });

  it('webhook: 400 with a message for malformed JSON or a bad shape, changing nothing', async () => {
    const malformed = await post('/deliver', '{"items": [');
    expect(malformed.status).toBe(400);
    expect((await malformed.json() as { error: string }).error).toMatch(/^malformed JSON/);
    const badShape = await post('/deliver', { items: [{ idempotencyKey: 'x/1', recipientId: 'a', text: 7 }] });
    expect(badShape.status).toBe(400);
    expect(await badShape.json()).toEqual({ error: 'items[0].text must be a string' });
    const emptyKey = await post('/deliver', { items: [{ idempotencyKey: '', recipientId: 'a', text: 't' }] });
    expect(emptyKey.status).toBe(400);
    expect(await emptyKey.json()).toEqual({ error: 'items[0].idempotencyKey is empty' });
    expect((await post('/presence', { recipientIds: 'a' })).status).toBe(400);
    expect(await unary(control, 'getStats', {})).toMatchObject({ attempts: 0, deliverCalls: 0, presenceLookups: 0 });
  });

  it('records each sender\'s Deliver calls on arrival, those an outage refuses included; 400 for malformed sender headers', async () => {
    const sender = { 'relaycast-node-key': 'default/w1', 'relaycast-instance-id': 'i-1', 'relaycast-lease-epoch': '2', 'relaycast-lease-expires-unix-ms': String(Date.now() + 60_000), 'relaycast-sent-unix-ms': String(Date.now()) };
    const body = { items: [{ idempotencyKey: 's/1', recipientId: 'a', text: 't' }, { idempotencyKey: 's/2', recipientId: 'b', text: 't' }] };
    expect((await post('/deliver', body, sender)).status).toBe(200);
    await unary(control, 'configure', { outage: true });
    expect((await post('/deliver', body, sender)).status).toBe(503);
    await unary(control, 'configure', { outage: false });
    const partial = await post('/deliver', body, { 'relaycast-node-key': 'default/w1' });
    expect(partial.status).toBe(400);
    expect((await partial.json() as { error: string }).error).toMatch(/relaycast-instance-id/);
    const { senders, sendersEvicted } = await unary(control, 'listSenders', { nodeKey: '', receivedAfterUnixMs: 0 });
    expect(senders).toEqual([expect.objectContaining({ nodeKey: 'default/w1', instanceId: 'i-1', leaseEpoch: 2, deliverCalls: 2, attempts: 4, attemptsArrivedAfterLeaseExpiry: 0 })]);
    expect(sendersEvicted).toBe(0);
    expect(await unary(control, 'getStats', {})).toMatchObject({ uniqueDelivered: 2, attempts: 2, outageRejections: 1 });
  });

  it('with --expired-lease-calls refuse, refuses a Deliver that arrives after the lease it names expired, over gRPC and the webhook, delivering nothing', async () => {
    const fencing = await startGatewaySim(testSimConfig({ expiredLeaseCalls: 'refuse' }), { log: createLogger('gateway-sim', 'silent') });
    const fencingControl = gatewaySimulatorClient(fencing.address);
    const fencingPost = (body: object, headers: Record<string, string>) =>
      fetch(`http://${fencing.httpAddress}/deliver`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    try {
      await refusesExpired(fencing.address, fencingControl, fencingPost);
    } finally {
      fencingControl.close();
      await fencing.stop();
    }
    // The shared simulator, on the default (record), accepts the same call.
    const recorded = await post('/deliver', { items: [{ idempotencyKey: 'f/9', recipientId: 'a', text: 't' }] }, expiredSender());
    expect(recorded.status).toBe(200);
  });

  const expiredSender = () => ({ 'relaycast-node-key': 'default/w2', 'relaycast-instance-id': 'i-2', 'relaycast-lease-epoch': '7', 'relaycast-lease-expires-unix-ms': String(Date.now() - 10), 'relaycast-sent-unix-ms': String(Date.now() - 20) });

  async function refusesExpired(address: string, control: GatewaySimulatorClient, post: (body: object, headers: Record<string, string>) => Promise<Response>): Promise<void> {
    const expired = expiredSender();
    const late = await post({ items: [{ idempotencyKey: 'f/1', recipientId: 'a', text: 't' }] }, expired);
    expect(late.status).toBe(409);
    expect((await late.json() as { error: string }).error).toMatch(/lease 7 of default\/w2 \(instance i-2\) expired at \d+ and this call arrived \d+ ms later: refused/);
    const gateway = new (gatewayV1().Gateway)(address, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(expired)) metadata.set(key, value);
      const error = await new Promise<grpc.ServiceError | null>((resolve) => gateway.Deliver({ items: [{ idempotencyKey: 'f/2', recipientId: 'b', text: 't' }] }, metadata, (err) => resolve(err)));
      expect(error?.code).toBe(grpc.status.FAILED_PRECONDITION);
    } finally {
      gateway.close();
    }
    expect((await unary(control, 'getStats', {})).uniqueDelivered).toBe(0);
    const { senders } = await unary(control, 'listSenders', { nodeKey: 'default/w2', receivedAfterUnixMs: 0 });
    expect(senders).toEqual([expect.objectContaining({ deliverCalls: 2, attempts: 2, attemptsSentAfterLeaseExpiry: 0, attemptsArrivedAfterLeaseExpiry: 2, attemptsRefusedLeaseExpired: 2 })]);
  }

  it('webhook: 404 for other paths, 405 for other methods', async () => {
    const missing = await post('/send', {});
    expect(missing.status).toBe(404);
    const get = await fetch(`${base}/deliver`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('webhook: 413 for a body over 16 MiB, and keeps serving', async () => {
    const huge = JSON.stringify({ items: [{ idempotencyKey: 'h/1', recipientId: 'a', text: 'x'.repeat(WEBHOOK_BODY_BYTES_MAX) }] });
    const res = await post('/deliver', huge);
    expect(res.status).toBe(413);
    expect((await res.json() as { error: string }).error).toContain('16777216');
    expect((await post('/deliver', { items: [{ idempotencyKey: 'h/2', recipientId: 'a', text: 't' }] })).status).toBe(200);
  });

  it('webhook: 503 during an outage, counted as an outage rejection', async () => {
    await unary(control, 'configure', { outage: true });
    const res = await post('/deliver', { items: [{ idempotencyKey: 'o/1', recipientId: 'a', text: 't' }] });
    expect(res.status).toBe(503);
    expect((await res.json() as { error: string }).error).toMatch(/outage/);
    expect((await post('/presence', { recipientIds: ['a'] })).status).toBe(503);
    expect(await unary(control, 'getStats', {})).toMatchObject({ outageRejections: 2, attempts: 0 });
  });

  it('answers calls waiting out the latency with UNAVAILABLE when stopped, and stops within the grace', async () => {
    const own = await startGatewaySim(testSimConfig({ latencyMs: 30_000 }), { log: createLogger('gateway-sim', 'silent') });
    const Gateway = gatewayV1().Gateway;
    const client = new Gateway(own.address, grpc.credentials.createInsecure());
    try {
      const waitingHttp = fetch(`http://${own.httpAddress}/presence`, { method: 'POST', body: JSON.stringify({ recipientIds: ['a'] }) });
      const waitingGrpc = new Promise<grpc.ServiceError | null>((resolve) => client.LookupPresence({ recipientIds: ['a'] }, (err) => resolve(err)));
      await waitUntil(() => own.waitingCalls() === 2, 'two calls waiting out the latency');
      const started = Date.now();
      await own.stop();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await waitingHttp).status).toBe(503);
      expect((await waitingGrpc)?.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      client.close();
      await own.stop();
    }
  });
});

async function waitUntil(test: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
