/**
 * The node's gateway client against the real simulator (in-process), over
 * gRPC and over the webhook, plus fake gateways that answer badly.
 */
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unary } from '../client/client';
import { parseConfig } from '../platform/config';
import { createLogger } from '../platform/log';
import { GATEWAY_SIM_SCHEMA, checkGatewaySimConfig, type GatewaySimConfig } from '../gateway/config';
import { gatewayV1 } from '../gateway/proto';
import { startGatewaySim, type GatewaySim } from '../gateway/sim-server';
import { emptyLedgerStats } from '../gateway/core/ledger';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import type { GatewayHandlers } from '../protocol/generated/relaycast/gateway/v1/Gateway';
import {
  createGatewayClient,
  GatewayRejectedError,
  GatewayUnavailableError,
  LeaseExpiredError,
  parseGatewayTarget,
  type DeliveryItem,
  type GatewayClient,
  type GatewaySender,
} from './gateway-client';

const TIMEOUT_MS = 2_000;

function simConfig(): GatewaySimConfig {
  const { config } = parseConfig<GatewaySimConfig>(GATEWAY_SIM_SCHEMA, [], {});
  return checkGatewaySimConfig({
    ...config,
    listen: '127.0.0.1:0',
    httpListen: '127.0.0.1:0',
    unreachableSuffixes: '-off',
    permanentFailureSuffixes: '-bad',
    logLevel: 'silent',
  });
}

function item(broadcastId: string, sequence: number, recipientId = `user-${sequence}`): DeliveryItem {
  return { idempotencyKey: `${broadcastId}/${sequence}`, recipientId, text: `hello ${recipientId} (${broadcastId})`, broadcastId, sequence };
}

const zeroStats = emptyLedgerStats();

/** A port with nothing listening on it (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntil(test: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('parseGatewayTarget', () => {
  it.each([
    ['127.0.0.1:7090', { kind: 'grpc', address: '127.0.0.1:7090' }],
    ['gateway.internal:443', { kind: 'grpc', address: 'gateway.internal:443' }],
    ['grpc://gw:7090', { kind: 'grpc', address: 'gw:7090' }],
    ['[::1]:7090', { kind: 'grpc', address: '[::1]:7090' }],
    ['http://127.0.0.1:7091', { kind: 'http', url: 'http://127.0.0.1:7091' }],
    ['https://gw.example.com/hooks/relaycast/', { kind: 'http', url: 'https://gw.example.com/hooks/relaycast' }],
  ])('accepts %s', (target, expected) => {
    expect(parseGatewayTarget(target)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['gateway', /invalid gateway target "gateway"; expected HOST:PORT/],
    ['gw:0', /port must be 1-65535/],
    ['gw:70000', /port must be 1-65535/],
    ['ftp://gw:21', /invalid gateway target/],
    ['grpc://gw', /invalid gateway target/],
    ['http://', /not a valid URL/],
    ['http://gw/hook?token=1', /query or fragment/],
    ['http://user:pw@gw/', /credentials/],
  ])('refuses %j', (target, message) => {
    expect(() => parseGatewayTarget(target)).toThrow(message);
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => createGatewayClient('127.0.0.1:7090', { timeoutMs: 0 })).toThrow(/timeoutMs must be positive/);
  });
});

describe('against the simulator', () => {
  let sim: GatewaySim;
  let control: GatewaySimulatorClient;

  beforeAll(async () => {
    sim = await startGatewaySim(simConfig(), { log: createLogger('gateway-sim', 'silent') });
    control = gatewaySimulatorClient(sim.address);
  });

  afterAll(async () => {
    control?.close();
    await sim?.stop();
  });

  beforeEach(async () => {
    await unary(control, 'configure', { outage: false, latencyMs: 0, retryRate: 0, unreachableSuffixes: ['-off'], permanentFailureSuffixes: ['-bad'], replaceLists: true });
    await unary(control, 'reset', {});
  });

  describe.each([
    ['gRPC', () => sim.address],
    ['gRPC (grpc:// target)', () => `grpc://${sim.address}`],
    ['webhook', () => `http://${sim.httpAddress}`],
  ])('%s client', (_name, target) => {
    let client: GatewayClient;
    beforeEach(() => {
      client = createGatewayClient(target(), { timeoutMs: TIMEOUT_MS });
      return () => client.close();
    });

    it('delivers a batch in order, stores the texts, and counts a redelivery as duplicates', async () => {
      const first = [item('b1', 1), item('b1', 2), item('b1', 3)];
      expect(await client.deliver(first)).toEqual(first.map((i) => ({ idempotencyKey: i.idempotencyKey, outcome: 'DELIVERED', reason: '' })));
      // A node that crashed past its checkpoint redelivers 2 and 3, then goes on with 4.
      const again = await client.deliver([item('b1', 2), item('b1', 3), item('b1', 4)]);
      expect(again.map((r) => r.outcome)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
      expect(again.map((r) => r.reason)).toEqual(['already delivered', 'already delivered', '']);
      expect(await unary(control, 'getStats', {})).toEqual({ ...zeroStats, uniqueDelivered: 4, attempts: 6, duplicates: 2, deliverCalls: 2 });
      expect((await unary(control, 'getDelivered', { idempotencyKeys: ['b1/1', 'b1/4', 'b1/5'] })).texts).toEqual(['hello user-1 (b1)', 'hello user-4 (b1)', '']);
    });

    it('passes on UNREACHABLE, PERMANENT_FAILURE and RETRY with their reasons', async () => {
      const results = await client.deliver([item('b2', 1, 'ann-off'), item('b2', 2, 'bob-bad'), item('b2', 3, 'cy')]);
      expect(results.map((r) => r.outcome)).toEqual(['UNREACHABLE', 'PERMANENT_FAILURE', 'DELIVERED']);
      expect(results[0]!.reason).toContain('ann-off');
      expect(results[1]!.reason).toContain('bob-bad');
      await unary(control, 'configure', { retryRate: 1 });
      expect(await client.deliver([item('b2', 4)])).toEqual([{ idempotencyKey: 'b2/4', outcome: 'RETRY', reason: 'simulated temporary failure' }]);
      expect(await unary(control, 'getStats', {})).toEqual({ ...zeroStats, uniqueDelivered: 1, attempts: 4, unreachableReturned: 1, permanentFailuresReturned: 1, retriesReturned: 1, deliverCalls: 2 });
    });

    it('looks up presence in order', async () => {
      expect(await client.lookupPresence(['ann', 'bob-off', 'cy-bad'])).toEqual([true, false, true]);
      expect(await client.lookupPresence([])).toEqual([]);
      expect(await client.deliver([])).toEqual([]);
      expect(await unary(control, 'getStats', {})).toEqual({ ...zeroStats, presenceLookups: 1 });
    });

    it('throws GatewayUnavailableError during an outage, delivering nothing, and works again after', async () => {
      await unary(control, 'configure', { outage: true });
      const error = await client.deliver([item('b3', 1)]).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GatewayUnavailableError);
      expect((error as Error).message).toMatch(/outage/);
      await expect(client.lookupPresence(['ann'])).rejects.toBeInstanceOf(GatewayUnavailableError);
      await unary(control, 'configure', { outage: false });
      expect((await client.deliver([item('b3', 1)]))[0]!.outcome).toBe('DELIVERED');
      expect(await unary(control, 'getStats', {})).toEqual({ ...zeroStats, uniqueDelivered: 1, attempts: 1, deliverCalls: 1, outageRejections: 2 });
    });

    it('throws GatewayUnavailableError when the gateway is slower than the timeout; the key makes the retry harmless', async () => {
      await unary(control, 'configure', { latencyMs: 500 });
      const impatient = createGatewayClient(target(), { timeoutMs: 100 });
      try {
        const started = Date.now();
        await expect(impatient.deliver([item('b4', 1)])).rejects.toBeInstanceOf(GatewayUnavailableError);
        expect(Date.now() - started).toBeLessThan(450);
      } finally {
        impatient.close();
      }
      // Like a real gateway, the simulator still delivers what the caller gave up on...
      await waitUntil(async () => (await unary(control, 'getStats', {})).uniqueDelivered === 1, 'the late delivery');
      // ...so the caller's retry is answered as a duplicate, not sent twice.
      await unary(control, 'configure', { latencyMs: 0 });
      expect(await client.deliver([item('b4', 1)])).toEqual([{ idempotencyKey: 'b4/1', outcome: 'DELIVERED', reason: 'already delivered' }]);
      expect(await unary(control, 'getStats', {})).toMatchObject({ uniqueDelivered: 1, attempts: 2, duplicates: 1 });
    });

    it('throws GatewayRejectedError when the gateway refuses the request itself', async () => {
      const error = await client.deliver([{ ...item('b5', 1), idempotencyKey: '' }]).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GatewayRejectedError);
      expect((error as GatewayRejectedError).status).toMatch(/^(INVALID_ARGUMENT|HTTP 400)$/);
      expect((error as Error).message).toContain('items[0].idempotencyKey is empty');
    });
  });

  it('sees an outage started with outageForMs end by itself', async () => {
    const client = createGatewayClient(sim.address, { timeoutMs: TIMEOUT_MS });
    try {
      await unary(control, 'configure', { outageForMs: 300 });
      await expect(client.deliver([item('b6', 1)])).rejects.toBeInstanceOf(GatewayUnavailableError);
      await waitUntil(() => client.deliver([item('b6', 1)]).then(() => true, (err: unknown) => {
        if (!(err instanceof GatewayUnavailableError)) throw err;
        return false;
      }), 'the timed outage to end');
      const stats = await unary(control, 'getStats', {});
      expect(stats).toMatchObject({ uniqueDelivered: 1, attempts: 1, deliverCalls: 1 });
      expect(stats.outageRejections).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
    }
  });

  it.each([
    ['gRPC metadata', () => sim.address],
    ['webhook headers', () => `http://${sim.httpAddress}`],
  ])('names its lease in %s, read at every call, and sends nothing once that lease has expired', async (_name, target) => {
    let sender: GatewaySender = { nodeKey: 'default/w1', instanceId: 'inst-a', leaseEpoch: 4, leaseExpiresUnixMs: Date.now() + 60_000 };
    const client = createGatewayClient(target(), { timeoutMs: TIMEOUT_MS, sender: () => sender });
    try {
      expect((await client.deliver([item('b8', 1), item('b8', 2)])).map((r) => r.outcome)).toEqual(['DELIVERED', 'DELIVERED']);
      // The same lease past its expiry, as after a pause between the caller's check and the call.
      sender = { ...sender, leaseExpiresUnixMs: Date.now() - 1 };
      const error = await client.deliver([item('b8', 3)]).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(LeaseExpiredError);
      expect(error).toBeInstanceOf(GatewayUnavailableError);
      expect((error as Error).message).toMatch(/not sent: lease 4 of default\/w1 expired \d+ ms ago/);
      // Presence lookups deliver nothing, so they are not fenced.
      expect(await client.lookupPresence(['ann'])).toEqual([true]);
      // Registered again: a new lease, a new sender.
      sender = { ...sender, leaseEpoch: 5, leaseExpiresUnixMs: Date.now() + 60_000 };
      await client.deliver([item('b8', 4)]);
      const { senders } = await unary(control, 'listSenders', { nodeKey: 'default/w1', receivedAfterUnixMs: 0 });
      expect(senders).toEqual([
        expect.objectContaining({ nodeKey: 'default/w1', instanceId: 'inst-a', leaseEpoch: 4, deliverCalls: 1, attempts: 2, attemptsSentAfterLeaseExpiry: 0, attemptsArrivedAfterLeaseExpiry: 0 }),
        expect.objectContaining({ leaseEpoch: 5, deliverCalls: 1, attempts: 1 }),
      ]);
      expect(await unary(control, 'getStats', {})).toMatchObject({ uniqueDelivered: 3, attempts: 3 });
    } finally {
      client.close();
    }
  });

  it('refuses a sender with malformed metadata, and records a client without a sender as anonymous', async () => {
    const bad = createGatewayClient(sim.address, { timeoutMs: TIMEOUT_MS, sender: () => ({ nodeKey: '', instanceId: 'i', leaseEpoch: 1, leaseExpiresUnixMs: Date.now() + 60_000 }) });
    const anonymous = createGatewayClient(sim.address, { timeoutMs: TIMEOUT_MS });
    try {
      await expect(bad.deliver([item('b9', 1)])).rejects.toThrow(/relaycast-node-key/);
      await anonymous.deliver([item('b9', 1)]);
      const { senders } = await unary(control, 'listSenders', { nodeKey: '', receivedAfterUnixMs: 0 });
      expect(senders).toEqual([expect.objectContaining({ nodeKey: '', instanceId: '', attempts: 1 })]);
    } finally {
      bad.close();
      anonymous.close();
    }
  });

  it('shares one ledger between gRPC and the webhook', async () => {
    const viaGrpc = createGatewayClient(sim.address, { timeoutMs: TIMEOUT_MS });
    const viaHttp = createGatewayClient(`http://${sim.httpAddress}`, { timeoutMs: TIMEOUT_MS });
    try {
      await viaGrpc.deliver([item('b7', 1)]);
      expect((await viaHttp.deliver([item('b7', 1)]))[0]!.reason).toBe('already delivered');
      expect(await unary(control, 'getStats', {})).toMatchObject({ uniqueDelivered: 1, attempts: 2, duplicates: 1, deliverCalls: 2 });
    } finally {
      viaGrpc.close();
      viaHttp.close();
    }
  });
});

describe('gateway not reachable', () => {
  it.each([
    ['gRPC', (port: number) => `127.0.0.1:${port}`],
    ['webhook', (port: number) => `http://127.0.0.1:${port}`],
  ])('%s: throws GatewayUnavailableError', async (_name, target) => {
    const client = createGatewayClient(target(await closedPort()), { timeoutMs: TIMEOUT_MS });
    try {
      const error = await client.deliver([item('b', 1)]).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GatewayUnavailableError);
      await expect(client.lookupPresence(['a'])).rejects.toBeInstanceOf(GatewayUnavailableError);
    } finally {
      client.close();
    }
  });
});

describe('malformed answers', () => {
  describe('gRPC', () => {
    let server: grpc.Server;
    let address: string;
    let answer: (items: Array<{ idempotencyKey: string }>) => object;

    beforeAll(async () => {
      server = new grpc.Server();
      const handlers: GatewayHandlers = {
        Deliver: (call, callback) => callback(null, answer(call.request.items)),
        LookupPresence: (_call, callback) => callback(null, { reachable: [true] }),
      };
      server.addService(gatewayV1().Gateway.service, handlers);
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
      address = `127.0.0.1:${port}`;
    });

    afterAll(() => server?.forceShutdown());

    it.each([
      ['too few results', () => ({ results: [] }), /0 results for 2 items/],
      ['results out of order', (items: Array<{ idempotencyKey: string }>) => ({ results: [...items].reverse().map((i) => ({ idempotencyKey: i.idempotencyKey, outcome: 'DELIVERY_OUTCOME_DELIVERED' })) }), /results\[0\] is for key "m\/2", expected "m\/1"/],
      ['an unspecified outcome', (items: Array<{ idempotencyKey: string }>) => ({ results: items.map((i) => ({ idempotencyKey: i.idempotencyKey })) }), /outcome "DELIVERY_OUTCOME_UNSPECIFIED"/],
    ])('%s is a GatewayUnavailableError', async (_name, reply, message) => {
      answer = reply;
      const client = createGatewayClient(address, { timeoutMs: TIMEOUT_MS });
      try {
        const error = await client.deliver([item('m', 1), item('m', 2)]).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(GatewayUnavailableError);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).toContain('malformed');
        await expect(client.lookupPresence(['a', 'b'])).rejects.toThrow(/1 presence answers for 2 recipients/);
      } finally {
        client.close();
      }
    });
  });

  describe('webhook', () => {
    let server: http.Server;
    let base: string;
    let reply: { status: number; body: string };

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.end(reply.body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    });

    it.each([
      ['a body that is not JSON', { status: 200, body: '<html>' }, GatewayUnavailableError, /malformed answer: body is not JSON/],
      ['no results array', { status: 200, body: '{"ok":true}' }, GatewayUnavailableError, /no "results" array/],
      ['a result too many', { status: 200, body: JSON.stringify({ results: [1, 2, 3].map((n) => ({ idempotencyKey: `m/${n}`, outcome: 'DELIVERED', reason: '' })) }) }, GatewayUnavailableError, /3 results for 2 items/],
      ['an unknown outcome', { status: 200, body: JSON.stringify({ results: [1, 2].map((n) => ({ idempotencyKey: `m/${n}`, outcome: 'SENT', reason: '' })) }) }, GatewayUnavailableError, /outcome "SENT" is not one of/],
      ['HTTP 502', { status: 502, body: '{"error":"upstream down"}' }, GatewayUnavailableError, /HTTP 502: upstream down/],
      ['HTTP 429', { status: 429, body: 'slow down' }, GatewayUnavailableError, /HTTP 429: slow down/],
      ['HTTP 401', { status: 401, body: '{"error":"bad token"}' }, GatewayRejectedError, /HTTP 401: bad token/],
    ])('%s', async (_name, answer, errorClass, message) => {
      reply = answer;
      const client = createGatewayClient(base, { timeoutMs: TIMEOUT_MS });
      const error = await client.deliver([item('m', 1), item('m', 2)]).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(errorClass);
      expect((error as Error).message).toMatch(message);
    });

    it('a well-formed answer passes', async () => {
      reply = { status: 200, body: JSON.stringify({ results: [{ idempotencyKey: 'm/1', outcome: 'RETRY' }] }) };
      const client = createGatewayClient(`${base}/`, { timeoutMs: TIMEOUT_MS });
      expect(await client.deliver([item('m', 1)])).toEqual([{ idempotencyKey: 'm/1', outcome: 'RETRY', reason: '' }]);
    });
  });
});

describe('refusals and unavailability are told apart', () => {
  describe('gRPC status', () => {
    let server: grpc.Server;
    let address: string;
    let code: grpc.status;

    beforeAll(async () => {
      server = new grpc.Server();
      const refuse = (_call: unknown, callback: (err: grpc.ServiceError) => void) => callback(Object.assign(new Error('no'), { code, details: `said no with ${grpc.status[code]}`, metadata: new grpc.Metadata() }));
      server.addService(gatewayV1().Gateway.service, { Deliver: refuse, LookupPresence: refuse } as GatewayHandlers);
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
      address = `127.0.0.1:${port}`;
    });

    afterAll(() => server?.forceShutdown());

    it.each([
      grpc.status.INVALID_ARGUMENT,
      grpc.status.NOT_FOUND,
      grpc.status.ALREADY_EXISTS,
      grpc.status.PERMISSION_DENIED,
      grpc.status.FAILED_PRECONDITION,
      grpc.status.OUT_OF_RANGE,
      grpc.status.UNIMPLEMENTED,
      grpc.status.UNAUTHENTICATED,
    ])('status %s is a refusal, with the gateway\'s reason', async (status) => {
      code = status;
      const client = createGatewayClient(address, { timeoutMs: TIMEOUT_MS });
      try {
        const name = grpc.status[status];
        const calls: Array<[string, () => Promise<unknown>]> = [['Deliver', () => client.deliver([item('r', 1)])], ['LookupPresence', () => client.lookupPresence(['a'])]];
        for (const [method, call] of calls) {
          const error = await call().catch((err: unknown) => err);
          expect(error).toBeInstanceOf(GatewayRejectedError);
          expect(error).not.toBeInstanceOf(GatewayUnavailableError);
          expect(error).toMatchObject({ status: name, reason: `${name}: said no with ${name}` });
          expect((error as Error).message).toBe(`gateway ${address} ${method}: ${name}: said no with ${name}`);
        }
      } finally {
        client.close();
      }
    });

    it.each([
      grpc.status.UNAVAILABLE,
      grpc.status.RESOURCE_EXHAUSTED,
      grpc.status.ABORTED,
      grpc.status.INTERNAL,
      grpc.status.UNKNOWN,
    ])('status %s means unavailable: the items wait for the gateway', async (status) => {
      code = status;
      const client = createGatewayClient(address, { timeoutMs: TIMEOUT_MS });
      try {
        await expect(client.deliver([item('u', 1)])).rejects.toBeInstanceOf(GatewayUnavailableError);
      } finally {
        client.close();
      }
    });
  });

  describe('webhook status', () => {
    let server: http.Server;
    let base: string;
    let reply: { status: number; body: string };

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.end(reply.body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    });

    it.each([400, 401, 403, 404, 409, 410, 422])('HTTP %s is a refusal, with the gateway\'s reason', async (status) => {
      reply = { status, body: JSON.stringify({ error: `no (${status})` }) };
      const client = createGatewayClient(base, { timeoutMs: TIMEOUT_MS });
      const error = await client.deliver([item('w', 1)]).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GatewayRejectedError);
      expect(error).toMatchObject({ status: `HTTP ${status}`, reason: `HTTP ${status}: no (${status})` });
      expect((error as Error).message).toBe(`gateway ${base}/deliver: HTTP ${status}: no (${status})`);
    });

    it.each([408, 429, 500, 502, 503, 507])('HTTP %s means unavailable', async (status) => {
      reply = { status, body: 'later' };
      const client = createGatewayClient(base, { timeoutMs: TIMEOUT_MS });
      const error = await client.deliver([item('w', 1)]).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GatewayUnavailableError);
      expect(error).not.toBeInstanceOf(GatewayRejectedError);
    });
  });
});

describe('closed client', () => {
  it('refuses calls after close()', async () => {
    const client = createGatewayClient('127.0.0.1:1', { timeoutMs: TIMEOUT_MS });
    client.close();
    client.close();
    await expect(client.deliver([item('c', 1)])).rejects.toThrow(/closed/);
  });
});
