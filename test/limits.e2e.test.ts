/**
 * Limits across real processes: the public API's per-client rate limit,
 * the shard count of a broadcast, audiences and messages near the size
 * limits (pages, rendered texts, gateway calls, orders through a relay)
 * and list answers that must fit a default client. Each of the size cases
 * wedged a cluster before its limit existed; here each must complete.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../testing/local-cluster';
import { adminClient, broadcastsClient, membershipClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import { until } from './helpers';
import { healthStatus, metricValue, scrape } from './probes';

// These tests talk plaintext to processes on loopback (no TLS files).
process.env.RELAYCAST_PLAINTEXT ??= 'true';

function upload(client: BroadcastsClient, chunks: Recipient[][]): Promise<string> {
  return new Promise((resolve, reject) => {
    const call = client.UploadAudience({ deadline: Date.now() + 60_000 }, (err, res) => (err ? reject(err) : resolve(res!.uploadId)));
    for (const recipients of chunks) call.write({ recipients });
    call.end();
  });
}

async function completed(client: BroadcastsClient, broadcastId: string, timeoutMs: number): Promise<Broadcast__Output> {
  let last: Broadcast__Output | undefined;
  try {
    await until(async () => {
      last = await unary(client, 'GetBroadcast', { broadcastId });
      return last.state === 'BROADCAST_STATE_COMPLETED';
    }, `broadcast ${broadcastId} to complete`, timeoutMs, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${last?.state} ${JSON.stringify(last?.counts)}`);
  }
  return last!;
}

const statusOf = (promise: Promise<unknown>): Promise<grpc.ServiceError | undefined> => promise.then(() => undefined, (err: grpc.ServiceError) => err);

describe('the public API rate limit', () => {
  const cluster = new LocalCluster('relaycast-ratelimit-');
  const RATE_PER_S = 5;
  const BURST = 10;
  let address: string;
  let metrics: string;

  beforeAll(async () => {
    const coordinator = await cluster.startCoordinator(['--api-rate-per-s', String(RATE_PER_S), '--api-burst', String(BURST), '--metrics-listen', '127.0.0.1:0']);
    address = coordinator.address;
    metrics = String((await coordinator.proc.ready()).metricsAddress);
    await cluster.startNode('n1', { coordinator: address });
  }, 30_000);

  afterAll(() => cluster.stopAll());

  it('refuses calls over the rate with RESOURCE_EXHAUSTED, never member sessions or health, and recovers', async () => {
    const admin = adminClient(address);
    const membership = membershipClient(address);
    try {
      const startedAt = Date.now();
      const results = await Promise.all(Array.from({ length: 3 * BURST }, () => statusOf(unary(admin, 'GetStatus', {}))));
      const elapsedS = (Date.now() - startedAt) / 1000;
      const refused = results.filter((e) => e !== undefined);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((e) => e!.code === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
      expect(refused[0]!.details).toMatch(/rate limit: client 127\.0\.0\.1 made more than 5 requests\/s \(burst 10\) to the public API; retry in \d+ ms/);
      // The burst, plus what refilled while the calls were made, however long a loaded machine took to make them.
      const accepted = results.length - refused.length;
      expect(accepted).toBeGreaterThanOrEqual(BURST);
      expect(accepted, `accepted in ${elapsedS} s`).toBeLessThanOrEqual(BURST + Math.ceil(elapsedS * RATE_PER_S) + 1);

      // Health is not limited; the node's session (liveness) is not either.
      for (let i = 0; i < 20; i++) expect(await healthStatus(address)).toBe('SERVING');
      const samples = await scrape(metrics);
      expect(metricValue(samples, 'relaycast_grpc_server_handled_total', { grpc_method: 'GetStatus', grpc_code: 'RESOURCE_EXHAUSTED' })).toBe(refused.length);
      expect(metricValue(samples, 'relaycast_coordinator_liveness_packets_total', { via: 'direct' })).toBeGreaterThan(0);

      await new Promise((resolve) => setTimeout(resolve, 1000));
      const listed = await unary(membership, 'ListNodes', { clusterId: 'default' });
      expect(listed.nodes.map((n) => `${n.nodeId} ${n.state}`)).toEqual(['n1 NODE_STATE_ALIVE']);
    } finally {
      admin.close();
      membership.close();
    }
  });
});

describe('size limits', () => {
  const cluster = new LocalCluster('relaycast-limits-');
  let client: BroadcastsClient;
  let sim: GatewaySimulatorClient;
  let address: string;

  beforeAll(async () => {
    // A tiny default shard size: the shard limit must raise it. Many shards per node: many orders at once.
    const coordinator = await cluster.startCoordinator(['--shard-size-default', '1', '--shards-per-weight', '150']);
    address = coordinator.address;
    const gateway = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0']);
    const gatewayAddress = (await gateway.ready()).address;
    const relay = await cluster.startRelay('relay-1', address);
    await cluster.startNode('n1', { relays: [relay.address] }, ['--gateway', gatewayAddress, '--capacity-weight', '2']);
    client = broadcastsClient(address);
    sim = gatewaySimulatorClient(gatewayAddress);
  }, 30_000);

  afterAll(async () => {
    client?.close();
    sim?.close();
    await cluster.stopAll();
  });

  it('a broadcast has at most 10,000 shards: a chosen size is refused, the default is raised', async () => {
    const uploadId = await upload(client, [Array.from({ length: 10_000 }, (_, i) => ({ id: `s${i}` })), Array.from({ length: 10_000 }, (_, i) => ({ id: `t${i}` }))]);
    const refused = await statusOf(unary(client, 'CreateBroadcast', { template: 'x', uploadId, options: { shardSize: 1 } }));
    expect(refused?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(refused?.details).toMatch(/cuts 20000 recipients into 20000 shards; at most 10000 allowed \(use a shard_size of at least 2/);
    expect((await unary(client, 'ListBroadcasts', {})).broadcasts).toEqual([]);

    const created = await unary(client, 'CreateBroadcast', { template: 'x', uploadId, options: { notBeforeUnixMs: Date.now() + 3_600_000 } });
    expect(created.options?.shardSize).toBe(2);
    const withShards = await unary(client, 'GetBroadcast', { broadcastId: created.broadcastId, includeShards: true });
    expect(withShards.shards).toHaveLength(10_000);
    await unary(client, 'CancelBroadcast', { broadcastId: created.broadcastId });
  }, 30_000);

  it('recipients near the size limits: short audience pages, long texts in several gateway calls, over-long texts dead-lettered', async () => {
    // 60 variables of 4,096 characters: ~250 KB a recipient, ~25 MB in all; a 2,000-recipient page of them is far over 16 MiB.
    const recipient = (i: number): Recipient => ({ id: `big-${i}`, vars: Array.from({ length: 60 }, (_, j) => ({ key: `v${j}`, value: String.fromCharCode(97 + ((i + j) % 26)).repeat(4096) })) });
    const audience = Array.from({ length: 100 }, (_, i) => recipient(i));
    const uploadId = await upload(client, [audience.slice(0, 40), audience.slice(40, 80), audience.slice(80)]);
    const shardSize = 100;

    // Short texts: only the pages are large.
    const short = await unary(client, 'CreateBroadcast', { template: '{{recipient.id}}: {{v0}}', uploadId, options: { shardSize } });
    // 50 × 4,096 characters ≈ 200 KB a text: one 100-item Deliver call would be 20 MB.
    const long = await unary(client, 'CreateBroadcast', { template: '{{v1}}'.repeat(50), uploadId, options: { shardSize } });
    // 70 × 4,096 characters is over the 256 KiB a rendered message may have.
    const tooLong = await unary(client, 'CreateBroadcast', { template: '{{v2}}'.repeat(70), uploadId, options: { shardSize } });

    const [a, b, c] = await Promise.all([short, long, tooLong].map((created) => completed(client, created.broadcastId, 60_000)));
    expect(a.counts).toMatchObject({ total: 100, delivered: 100, deadLettered: 0 });
    expect(b.counts).toMatchObject({ total: 100, delivered: 100, deadLettered: 0 });
    expect(c.counts).toMatchObject({ total: 100, delivered: 0, deadLettered: 100 });
    const dead = await unary(client, 'ListDeadLetters', { broadcastId: tooLong.broadcastId, pageSize: 5 });
    expect(dead.deadLetters[0]!.reason).toBe('the rendered message is over 262144 characters');
    const texts = await unary(sim, 'GetDelivered', { idempotencyKeys: [`${short.broadcastId}/7`, `${long.broadcastId}/7`] });
    expect(texts.texts[0]).toBe(`big-7: ${'h'.repeat(4096)}`);
    expect(texts.texts[1]).toBe('i'.repeat(4096 * 50));
  }, 90_000);

  it('300 orders with a 64 KiB template reach a node through a relay (over 16 MiB in all)', async () => {
    const template = `${'x'.repeat(65_536 - 20)}{{recipient.id}}`;
    const created = await unary(client, 'CreateBroadcast', { template, audience: Array.from({ length: 300 }, (_, i) => ({ id: `o${i}` })), options: { shardSize: 1 } });
    const done = await completed(client, created.broadcastId, 60_000);
    expect(done.counts).toMatchObject({ total: 300, delivered: 300 });
    const stats = await unary(sim, 'GetStats', {});
    expect(stats.duplicates).toBe(0);
  }, 90_000);

  it('ListNodes pages stay within what a default client accepts (4 MiB), however large the members', async () => {
    const membership = membershipClient(address);
    try {
      // 32 labels of 256 characters: ~8.5 KB a member, ~5 MB for 600: over the 4 MiB a default client reads.
      const labels = Array.from({ length: 32 }, (_, i) => ({ key: `label-${i}`, value: 'L'.repeat(256) }));
      for (let i = 0; i < 600; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => unary(membership, 'Register', { clusterId: 'wide', nodeId: `w${i + j}`, instanceId: 'test', address: '127.0.0.1:1', labels })));
      }
      const pages: number[] = [];
      let pageToken = '';
      do {
        const page = await unary(membership, 'ListNodes', { clusterId: 'wide', pageSize: 5000, pageToken });
        pages.push(page.nodes.length);
        pageToken = page.nextPageToken;
      } while (pageToken !== '' && pages.length < 10);
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.reduce((a, b) => a + b, 0)).toBe(600);
    } finally {
      membership.close();
    }
  }, 60_000);
});
