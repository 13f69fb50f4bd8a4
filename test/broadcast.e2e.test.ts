/**
 * Broadcasts end to end across real processes on loopback: a coordinator, one
 * relay, three push-worker nodes behind it and the gateway simulator. Checks
 * the invariants of the brief from the outside: every recipient ends in one
 * final state, counts add up, the simulator's ledger sees each key once with
 * the right personalised text, outages and permanent failures are survived,
 * bad input changes nothing, creates are idempotent, cancel stops delivery.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { broadcastsClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';
import type { BroadcastOptions } from '../protocol/generated/relaycast/v1/BroadcastOptions';
import type { UploadAudienceResponse__Output } from '../protocol/generated/relaycast/v1/UploadAudienceResponse';
import type { DeadLetter__Output } from '../protocol/generated/relaycast/v1/DeadLetter';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import type { GatewayStats__Output } from '../protocol/generated/relaycast/gateway/v1/GatewayStats';
import { observe, until } from './helpers';

const NODE_IDS = ['n1', 'n2', 'n3'];
const TEMPLATE = 'Hello {{name}}, your code is {{code}}';
const CHUNK = 5000;

const FINAL_STATES = new Set(['BROADCAST_STATE_COMPLETED', 'BROADCAST_STATE_CANCELLED', 'BROADCAST_STATE_FAILED']);

function recipients(count: number, prefix = 'u'): Recipient[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    vars: [{ key: 'name', value: `Name-${i}` }, { key: 'code', value: `C${(i * 7919) % 100_000}` }],
  }));
}

/** What TEMPLATE renders for recipient i of recipients(). */
function expectedText(i: number): string {
  return `Hello Name-${i}, your code is C${(i * 7919) % 100_000}`;
}

/** UploadAudience: a client stream of chunks, bounded by a deadline. */
function upload(client: BroadcastsClient, chunks: Recipient[][], timeoutMs = 60_000): Promise<UploadAudienceResponse__Output> {
  return new Promise((resolve, reject) => {
    const call = client.UploadAudience({ deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res!)));
    for (const chunk of chunks) call.write({ recipients: chunk });
    call.end();
  });
}

function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** WatchBroadcast until the coordinator ends the stream (final state), bounded by a deadline. */
function watchToEnd(client: BroadcastsClient, broadcastId: string, timeoutMs: number): Promise<Broadcast__Output[]> {
  return new Promise((resolve, reject) => {
    const snapshots: Broadcast__Output[] = [];
    const stream = client.WatchBroadcast({ broadcastId, intervalMs: 200 }, { deadline: Date.now() + timeoutMs });
    stream.on('data', (b: Broadcast__Output) => snapshots.push(b));
    stream.on('error', (err: grpc.ServiceError) => {
      const last = snapshots[snapshots.length - 1];
      reject(new Error(`WatchBroadcast ${broadcastId}: ${err.code} ${err.details}; last snapshot: ${last?.state} ${JSON.stringify(last?.counts)}`));
    });
    stream.on('end', () => resolve(snapshots));
  });
}

/** Polls GetBroadcast every 200 ms until `test` passes; returns the passing snapshot. */
async function pollBroadcast(client: BroadcastsClient, broadcastId: string, test: (b: Broadcast__Output) => boolean, what: string, timeoutMs: number): Promise<Broadcast__Output> {
  let last: Broadcast__Output | undefined;
  try {
    await until(async () => {
      last = await unary(client, 'GetBroadcast', { broadcastId });
      return test(last);
    }, `${what} (broadcast ${broadcastId})`, timeoutMs, 200);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${last?.state} ${JSON.stringify(last?.counts)}`);
  }
  return last!;
}

async function listBroadcasts(client: BroadcastsClient): Promise<Broadcast__Output[]> {
  const out: Broadcast__Output[] = [];
  let pageToken = '';
  for (let pages = 0; pages < 1000; pages++) {
    const page = await unary(client, 'ListBroadcasts', { clusterId: 'default', pageSize: 1000, pageToken });
    out.push(...page.broadcasts);
    if (page.nextPageToken === '') return out;
    pageToken = page.nextPageToken;
  }
  throw new Error('ListBroadcasts did not end within 1000 pages');
}

const countBroadcasts = async (client: BroadcastsClient): Promise<number> => (await listBroadcasts(client)).length;

async function allDeadLetters(client: BroadcastsClient, broadcastId: string): Promise<DeadLetter__Output[]> {
  const out: DeadLetter__Output[] = [];
  let pageToken = '';
  for (let pages = 0; pages < 1000; pages++) {
    const page = await unary(client, 'ListDeadLetters', { broadcastId, pageSize: 500, pageToken });
    out.push(...page.deadLetters);
    if (page.nextPageToken === '') return out;
    pageToken = page.nextPageToken;
  }
  throw new Error('ListDeadLetters did not end within 1000 pages');
}

/** Rejects unless `promise` fails with gRPC status `code` (and a message matching `message`). */
async function expectStatus(promise: Promise<unknown>, code: grpc.status, message?: RegExp): Promise<grpc.ServiceError> {
  let error: grpc.ServiceError | undefined;
  try {
    await promise;
  } catch (err) {
    error = err as grpc.ServiceError;
  }
  expect(error, `expected status ${grpc.status[code]}, but the call succeeded`).toBeDefined();
  expect(grpc.status[error!.code], `status of: ${error!.details}`).toBe(grpc.status[code]);
  expect(error!.details.length).toBeGreaterThan(0);
  if (message !== undefined) expect(error!.details).toMatch(message);
  return error!;
}

function checkFinalCounts(b: Broadcast__Output): void {
  const c = b.counts!;
  expect(c.delivered + c.skippedUnreachable + c.deadLettered).toBe(c.total);
  expect(c.inFlight).toBe(0);
  expect(c.pending).toBe(0);
}

const keysOf = (broadcastId: string, sequences: number[]) => sequences.map((s) => `${broadcastId}/${s}`);

describe('broadcasts through a relay, three nodes and the gateway simulator', () => {
  const cluster = new LocalCluster('relaycast-broadcast-');
  let client: BroadcastsClient;
  let sim: GatewaySimulatorClient;
  const nodes: ManagedProcess[] = [];

  /** Sets both suffix lists (replacing the current ones) and anything else given. */
  async function configure(settings: { unreachable?: string[]; permanent?: string[]; outage?: boolean }): Promise<void> {
    await unary(sim, 'Configure', {
      replaceLists: true,
      unreachableSuffixes: settings.unreachable ?? [],
      permanentFailureSuffixes: settings.permanent ?? [],
      ...(settings.outage !== undefined ? { outage: settings.outage } : {}),
    });
  }

  const stats = (): Promise<GatewayStats__Output> => unary(sim, 'GetStats', {});

  async function create(audience: Recipient[] | { uploadId: string }, options: BroadcastOptions = {}, requestId = ''): Promise<Broadcast__Output> {
    const source = Array.isArray(audience) ? { audience } : { uploadId: audience.uploadId };
    return unary(client, 'CreateBroadcast', { clusterId: 'default', template: TEMPLATE, ...source, options, requestId }, 30_000);
  }

  beforeAll(async () => {
    const { address } = await cluster.startCoordinator();
    const simProc = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0']);
    const gateway = (await simProc.ready()).address;
    const relay = await cluster.startRelay('relay-1', address);
    nodes.push(...(await Promise.all(NODE_IDS.map((id) => cluster.startNode(id, { relays: [relay.address] }, ['--gateway', gateway])))));
    client = broadcastsClient(address);
    sim = gatewaySimulatorClient(gateway);
    // Every node is attached once a tiny broadcast has reached the gateway.
    const warmup = await create(recipients(30, 'warm'), { shardSize: 10 });
    await pollBroadcast(client, warmup.broadcastId, (b) => b.state === 'BROADCAST_STATE_COMPLETED', 'warm-up completes', 30_000);
  }, 60_000);

  beforeEach(async () => {
    await configure({ outage: false });
    await unary(sim, 'Reset', {});
  });

  // A failed test must not leave a broadcast running into the next one.
  afterEach(async () => {
    let stray = 0;
    for (const b of await listBroadcasts(client)) {
      if (FINAL_STATES.has(b.state)) continue;
      stray += 1;
      await unary(client, 'CancelBroadcast', { broadcastId: b.broadcastId }).catch(() => undefined);
    }
    await configure({ outage: false });
    if (stray > 0) await observe(1000);
  });

  afterAll(async () => {
    client?.close();
    sim?.close();
    await cluster.stopAll();
  });

  it('delivers a 100,000-recipient uploaded broadcast once each, personalised', async () => {
    const audience = recipients(100_000);
    const uploaded = await upload(client, chunked(audience, CHUNK));
    expect(uploaded.recipients).toBe(100_000);
    expect(uploaded.uploadId).not.toBe('');

    const created = await create({ uploadId: uploaded.uploadId });
    expect(created.counts!.total).toBe(100_000);
    const snapshots = await watchToEnd(client, created.broadcastId, 90_000);
    const last = snapshots[snapshots.length - 1]!;
    expect(last.state).toBe('BROADCAST_STATE_COMPLETED');
    expect(last.counts!.total).toBe(100_000);
    expect(last.counts!.delivered).toBe(100_000);
    checkFinalCounts(last);
    // Snapshots never go backwards.
    for (let i = 1; i < snapshots.length; i++) expect(snapshots[i]!.counts!.delivered).toBeGreaterThanOrEqual(snapshots[i - 1]!.counts!.delivered);

    const s = await stats();
    expect(s.uniqueDelivered).toBe(100_000);
    expect(s.duplicates).toBe(0);

    const sample = [0, 1, 2, 4999, 5000, 9999, 10_000, 17_321, 33_333, 49_999, 50_000, 61_803, 77_777, 86_420, 90_001, 95_000, 99_997, 99_998, 99_999, 42];
    const { texts } = await unary(sim, 'GetDelivered', { idempotencyKeys: keysOf(created.broadcastId, sample) });
    expect(texts).toEqual(sample.map(expectedText));
  }, 120_000);

  it('with only_reachable skips exactly the unreachable recipients and never sends to them', async () => {
    await configure({ unreachable: ['7'] });
    const audience = recipients(10_000);
    const unreachable = audience.flatMap((r, i) => (r.id!.endsWith('7') ? [i] : []));
    expect(unreachable.length).toBe(1000);

    const created = await create(audience, { onlyReachable: true });
    const snapshots = await watchToEnd(client, created.broadcastId, 60_000);
    const last = snapshots[snapshots.length - 1]!;
    expect(last.state).toBe('BROADCAST_STATE_COMPLETED');
    expect(last.counts!.skippedUnreachable).toBe(unreachable.length);
    expect(last.counts!.delivered).toBe(10_000 - unreachable.length);
    expect(last.counts!.deadLettered).toBe(0);
    checkFinalCounts(last);

    const s = await stats();
    expect(s.uniqueDelivered).toBe(10_000 - unreachable.length);
    expect(s.duplicates).toBe(0);
    expect(s.presenceLookups).toBeGreaterThan(0);
    const { texts } = await unary(sim, 'GetDelivered', { idempotencyKeys: keysOf(created.broadcastId, unreachable) });
    expect(texts.filter((t) => t !== '')).toEqual([]);
    const reachable = [0, 1, 6, 8, 9998, 9999];
    expect((await unary(sim, 'GetDelivered', { idempotencyKeys: keysOf(created.broadcastId, reachable) })).texts).toEqual(reachable.map(expectedText));
  }, 120_000);

  it('survives a 3-second gateway outage mid-broadcast: nothing lost, nothing twice', async () => {
    const total = 60_000;
    const uploaded = await upload(client, chunked(recipients(total), CHUNK));
    const created = await create({ uploadId: uploaded.uploadId }, { rateLimitPerS: 20_000 });
    const watching = watchToEnd(client, created.broadcastId, 90_000);

    await until(async () => (await stats()).uniqueDelivered >= total * 0.2, '20% delivered', 30_000, 50);
    // outageForMs alone: a timed outage (outage=true as well would be a set outage that never ends by itself).
    const settings = await unary(sim, 'Configure', { outageForMs: 3000 });
    const atOutage = await stats();
    expect(settings.outage).toBe(true);
    expect(atOutage.uniqueDelivered, 'the outage must start mid-broadcast').toBeLessThan(total);

    const snapshots = await watching;
    const last = snapshots[snapshots.length - 1]!;
    expect(last.state).toBe('BROADCAST_STATE_COMPLETED');
    expect(last.counts!.deadLettered).toBe(0);
    expect(last.counts!.delivered).toBe(total);
    checkFinalCounts(last);

    const s = await stats();
    expect(s.outageRejections, 'the nodes must have met the outage').toBeGreaterThan(0);
    expect(s.uniqueDelivered).toBe(total);
    // No node died, so nothing was redelivered past a checkpoint: no duplicates at all.
    expect(s.duplicates).toBe(0);
    const sample = [0, 12_345, 30_000, 45_678, 59_999];
    expect((await unary(sim, 'GetDelivered', { idempotencyKeys: keysOf(created.broadcastId, sample) })).texts).toEqual(sample.map(expectedText));
  }, 120_000);

  it('dead-letters permanent failures with a reason, and delivers them on retry', async () => {
    await configure({ permanent: ['3'] });
    const total = 2000;
    const audience = recipients(total);
    const failing = audience.flatMap((r, i) => (r.id!.endsWith('3') ? [i] : []));
    expect(failing.length).toBe(200);

    const created = await create(audience);
    const first = await watchToEnd(client, created.broadcastId, 60_000);
    const done = first[first.length - 1]!;
    expect(done.state).toBe('BROADCAST_STATE_COMPLETED');
    expect(done.counts!.deadLettered).toBe(failing.length);
    expect(done.counts!.delivered).toBe(total - failing.length);
    checkFinalCounts(done);

    const deadLetters = await allDeadLetters(client, created.broadcastId);
    expect(deadLetters.map((d) => d.sequence).sort((a, b) => a - b)).toEqual(failing);
    for (const d of deadLetters) {
      expect(d.broadcastId).toBe(created.broadcastId);
      expect(d.recipientId).toBe(`u${d.sequence}`);
      expect(d.reason.length).toBeGreaterThan(0);
    }
    expect((await unary(sim, 'GetDelivered', { idempotencyKeys: keysOf(created.broadcastId, failing) })).texts.filter((t) => t !== '')).toEqual([]);

    await configure({ permanent: [] });
    const retried = await unary(client, 'RetryDeadLetters', { broadcastId: created.broadcastId });
    expect(retried.retried).toBe(failing.length);
    const again = await pollBroadcast(
      client, created.broadcastId,
      (b) => b.state === 'BROADCAST_STATE_COMPLETED' && b.counts!.deadLettered === 0 && b.counts!.delivered === total,
      'completed again with every recipient delivered', 60_000,
    );
    checkFinalCounts(again);
    expect(await allDeadLetters(client, created.broadcastId)).toEqual([]);

    const s = await stats();
    expect(s.uniqueDelivered).toBe(total);
    expect(s.duplicates).toBe(0);
    expect((await unary(sim, 'GetDelivered', { idempotencyKeys: keysOf(created.broadcastId, failing) })).texts).toEqual(failing.map(expectedText));
  }, 120_000);

  it('refuses bad input with a clear status and changes nothing', async () => {
    // A completed broadcast to pause.
    const small = await create(recipients(10));
    await watchToEnd(client, small.broadcastId, 30_000);
    const before = await countBroadcasts(client);
    const statsBefore = await stats();

    await expectStatus(create([]), grpc.status.INVALID_ARGUMENT, /audience/);
    await expectStatus(
      unary(client, 'CreateBroadcast', { clusterId: 'default', template: 'x'.repeat(64 * 1024 + 1), audience: recipients(3) }),
      grpc.status.INVALID_ARGUMENT, /template/,
    );
    await expectStatus(unary(client, 'CreateBroadcast', { clusterId: 'default', template: '', audience: recipients(3) }), grpc.status.INVALID_ARGUMENT, /template/);
    await expectStatus(create(recipients(10_001)), grpc.status.INVALID_ARGUMENT, /UploadAudience/);
    await expectStatus(create({ uploadId: 'up-does-not-exist' }), grpc.status.NOT_FOUND, /up-does-not-exist/);
    await expectStatus(unary(client, 'GetBroadcast', { broadcastId: 'bc-does-not-exist' }), grpc.status.NOT_FOUND, /bc-does-not-exist/);
    await expectStatus(unary(client, 'CancelBroadcast', { broadcastId: 'bc-does-not-exist' }), grpc.status.NOT_FOUND, /bc-does-not-exist/);
    await expectStatus(unary(client, 'PauseBroadcast', { broadcastId: small.broadcastId }), grpc.status.FAILED_PRECONDITION, /COMPLETED/);
    await expectStatus(unary(client, 'CancelBroadcast', { broadcastId: small.broadcastId }), grpc.status.FAILED_PRECONDITION, /COMPLETED/);

    // An upload with a recipient without id is refused whole: no upload id comes back.
    const bad = recipients(20);
    bad[7] = { id: '', vars: [] };
    await expectStatus(upload(client, [recipients(100, 'ok'), bad]), grpc.status.INVALID_ARGUMENT, /id is required/);
    // A bad variable key in an inline audience.
    await expectStatus(create([{ id: 'a', vars: [{ key: 'bad key', value: 'v' }] }]), grpc.status.INVALID_ARGUMENT, /key/);

    expect(await countBroadcasts(client)).toBe(before);
    const completed = await unary(client, 'GetBroadcast', { broadcastId: small.broadcastId });
    expect(completed.state).toBe('BROADCAST_STATE_COMPLETED');
    const statsAfter = await stats();
    expect(statsAfter.uniqueDelivered).toBe(statsBefore.uniqueDelivered);
    expect(statsAfter.attempts).toBe(statsBefore.attempts);
  }, 60_000);

  it('WatchBroadcast of an unknown id fails with NOT_FOUND', async () => {
    await expectStatus(
      new Promise((resolve, reject) => {
        const stream = client.WatchBroadcast({ broadcastId: 'bc-does-not-exist' }, { deadline: Date.now() + 5000 });
        stream.on('data', () => undefined);
        stream.on('error', reject);
        stream.on('end', resolve);
      }),
      grpc.status.NOT_FOUND,
    );
  }, 10_000);

  it('a create retried with the same request id returns the same broadcast', async () => {
    const before = await countBroadcasts(client);
    const requestId = `req-${Date.now()}`;
    const audience = recipients(50);
    const first = await create(audience, {}, requestId);
    const second = await create(audience, {}, requestId);
    expect(second.broadcastId).toBe(first.broadcastId);
    expect(second.requestId).toBe(requestId);
    // Concurrent retries too.
    const racing = await Promise.all([create(audience, {}, requestId), create(audience, {}, requestId)]);
    expect(racing.map((b) => b.broadcastId)).toEqual([first.broadcastId, first.broadcastId]);
    expect(await countBroadcasts(client)).toBe(before + 1);

    const snapshots = await watchToEnd(client, first.broadcastId, 30_000);
    expect(snapshots[snapshots.length - 1]!.counts!.delivered).toBe(50);
    const s = await stats();
    expect(s.uniqueDelivered).toBe(50);
    expect(s.duplicates).toBe(0);
  }, 60_000);

  it('a cancelled broadcast ends CANCELLED and delivery stops', async () => {
    const total = 50_000;
    const uploaded = await upload(client, chunked(recipients(total), CHUNK));
    const created = await create({ uploadId: uploaded.uploadId }, { rateLimitPerS: 2000 });
    const watching = watchToEnd(client, created.broadcastId, 60_000);

    await until(async () => (await stats()).uniqueDelivered >= 3000, 'some deliveries', 20_000, 50);
    const cancelled = await unary(client, 'CancelBroadcast', { broadcastId: created.broadcastId });
    expect(cancelled.state).toBe('BROADCAST_STATE_CANCELLED');
    // Cancelling again is a no-op.
    expect((await unary(client, 'CancelBroadcast', { broadcastId: created.broadcastId })).state).toBe('BROADCAST_STATE_CANCELLED');

    const snapshots = await watching;
    const last = snapshots[snapshots.length - 1]!;
    expect(last.state).toBe('BROADCAST_STATE_CANCELLED');
    expect(last.finishedAtUnixMs).toBeGreaterThan(0);

    // Once every owner has confirmed it stopped (with nothing left in flight, every shard is DONE),
    // the ledger must stand still.
    await until(async () => (await unary(client, 'GetBroadcast', { broadcastId: created.broadcastId, includeShards: true })).shards.every((s) => s.state === 'SHARD_STATE_DONE'), 'every shard stopped', 30_000, 200);
    const a = await stats();
    await observe(1500);
    const b = await stats();
    expect(b.uniqueDelivered, 'deliveries after the cancel settled').toBe(a.uniqueDelivered);
    expect(b.attempts).toBe(a.attempts);
    expect(b.uniqueDelivered).toBeLessThan(total);
    expect(b.duplicates).toBe(0);
    expect((await unary(client, 'GetBroadcast', { broadcastId: created.broadcastId })).state).toBe('BROADCAST_STATE_CANCELLED');
  }, 120_000);

  it('rate_limit_per_s bounds the delivery rate across the cluster, not per shard', async () => {
    const total = 10_000;
    const rateLimitPerS = 2000;
    // Five shards over three nodes: a per-shard or per-node limit would go several times faster.
    const created = await create(recipients(total), { rateLimitPerS, shardSize: 2000 });
    const startedAt = Date.now();
    const snapshots = await watchToEnd(client, created.broadcastId, 60_000);
    const elapsedMs = Date.now() - startedAt;
    expect(snapshots[snapshots.length - 1]!.state).toBe('BROADCAST_STATE_COMPLETED');
    expect((await stats()).uniqueDelivered).toBe(total);
    // At most one second of burst, then the limit: at least (total - limit) / limit seconds, with 0.5 s slack.
    const minimumMs = ((total - rateLimitPerS) / rateLimitPerS) * 1000 - 500;
    expect(elapsedMs, `${total} deliveries at ${rateLimitPerS}/s took only ${elapsedMs} ms (${Math.round((total * 1000) / elapsedMs)}/s)`).toBeGreaterThanOrEqual(minimumMs);
  }, 60_000);
});
