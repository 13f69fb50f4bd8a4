/**
 * Prometheus metrics across real processes: a coordinator, a relay and two
 * nodes, each with --metrics-listen on port 0, deliver a broadcast to the
 * gateway simulator (unreachable and permanently failing recipients, some
 * RETRY answers). The nodes' delivery counters must add up to the
 * simulator's ledger and the broadcast's final counts; the coordinator's
 * members gauge must match ListNodes; the gRPC counters must move with the
 * calls made; a kill -9 must show in the detection histogram.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { adminClient, broadcastsClient, membershipClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { AdminClient } from '../protocol/generated/relaycast/v1/Admin';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import { until } from './helpers';
import { hasMetric, healthStatus, metricValue, scrape, type Sample } from './probes';

// These tests talk plaintext to processes on loopback (no TLS files).
process.env.RELAYCAST_PLAINTEXT ??= 'true';

const RECIPIENTS = 5000;
const SHARD_SIZE = 500;
/** Ids end in a digit: "…7" is 1 in 10 unreachable, "…13" 1 in 100 failing permanently. */
const UNREACHABLE_SUFFIX = '7';
const PERMANENT_SUFFIX = '13';
const RETRY_PER_MILLE = 20;
const METRICS = ['--metrics-listen', '127.0.0.1:0'];

const delivered = (s: readonly Sample[], result: string) => metricValue(s, 'relaycast_node_deliveries_total', { result });

describe('metrics on every process', () => {
  const cluster = new LocalCluster('relaycast-metrics-');
  let coordinatorMetrics: string;
  let relayMetrics: string;
  const nodes: Array<{ proc: ManagedProcess; address: string; metrics: string }> = [];
  let broadcasts: BroadcastsClient;
  let membership: MembershipClient;
  let admin: AdminClient;
  let sim: GatewaySimulatorClient;
  let coordinatorAddress: string;

  beforeAll(async () => {
    const coordinator = await cluster.startCoordinator(METRICS);
    coordinatorAddress = coordinator.address;
    coordinatorMetrics = String((await coordinator.proc.ready()).metricsAddress);
    const gateway = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', '--unreachable-suffixes', UNREACHABLE_SUFFIX, '--permanent-failure-suffixes', PERMANENT_SUFFIX, '--retry-per-mille', String(RETRY_PER_MILLE), '--seed', '7']);
    const gatewayAddress = (await gateway.ready()).address;
    const relay = await cluster.startRelay('relay-1', coordinator.address, METRICS);
    relayMetrics = String((await relay.proc.ready()).metricsAddress);
    for (const id of ['n1', 'n2']) {
      const proc = await cluster.startNode(id, { relays: [relay.address] }, ['--gateway', gatewayAddress, ...METRICS]);
      const ready = await proc.ready();
      nodes.push({ proc, address: ready.address, metrics: String(ready.metricsAddress) });
    }
    broadcasts = broadcastsClient(coordinator.address);
    membership = membershipClient(coordinator.address);
    admin = adminClient(coordinator.address);
    sim = gatewaySimulatorClient(gatewayAddress);
    await until(async () => (await unary(membership, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_ALIVE' })).nodes.length === 2, 'both nodes ALIVE', 15_000);
  }, 60_000);

  afterAll(async () => {
    for (const client of [broadcasts, membership, admin, sim]) client?.close();
    await cluster.stopAll();
  });

  it('prints each metrics address in the ready line and serves only GET /metrics', async () => {
    for (const address of [coordinatorMetrics, relayMetrics, ...nodes.map((n) => n.metrics)]) {
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      const samples = await scrape(address);
      // prom-client's default process metrics.
      expect(hasMetric(samples, 'process_cpu_user_seconds_total')).toBe(true);
      expect(hasMetric(samples, 'nodejs_heap_size_used_bytes')).toBe(true);
      expect((await fetch(`http://${address}/other`)).status).toBe(404);
      expect((await fetch(`http://${address}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    }
  });

  it('node delivery counters add up to the gateway ledger and the broadcast counts', async () => {
    const audience = Array.from({ length: RECIPIENTS }, (_, i) => ({ id: `m${i}`, vars: [{ key: 'name', value: `N${i}` }] }));
    const created = await unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template: 'Hi {{name}} ({{recipient.id}})', audience, options: { shardSize: SHARD_SIZE } }, 30_000);
    let final: Broadcast__Output | undefined;
    await until(async () => {
      final = await unary(broadcasts, 'GetBroadcast', { broadcastId: created.broadcastId });
      return final.state === 'BROADCAST_STATE_COMPLETED';
    }, 'the broadcast completes', 45_000, 200);
    const counts = final!.counts!;
    const stats = await unary(sim, 'GetStats', {});

    const perNode = await Promise.all(nodes.map((n) => scrape(n.metrics)));
    const sum = (result: string) => perNode.reduce((total, samples) => total + delivered(samples, result), 0);
    const context = JSON.stringify({ counts, stats, nodes: ['delivered', 'skipped', 'dead_lettered', 'retry', 'gateway_unavailable'].map((r) => [r, sum(r)]) });

    expect(stats.duplicates, context).toBe(0);
    expect(sum('delivered'), context).toBe(counts.delivered);
    expect(sum('delivered'), context).toBe(stats.uniqueDelivered);
    expect(sum('skipped'), context).toBe(counts.skippedUnreachable);
    expect(sum('skipped'), context).toBe(stats.unreachableReturned);
    expect(sum('skipped'), context).toBe(RECIPIENTS / 10);
    expect(sum('dead_lettered'), context).toBe(counts.deadLettered);
    expect(sum('dead_lettered'), context).toBe(stats.permanentFailuresReturned);
    expect(sum('retry'), context).toBe(stats.retriesReturned);
    expect(sum('retry'), context).toBeGreaterThan(0);
    expect(sum('gateway_unavailable'), context).toBe(0);
    // Every attempt the gateway saw is one outcome a node counted.
    expect(sum('delivered') + sum('skipped') + sum('dead_lettered') + sum('retry'), context).toBe(stats.attempts);
    expect(counts.delivered + counts.skippedUnreachable + counts.deadLettered).toBe(RECIPIENTS);
    // Both nodes worked, and nothing is left in an outbox.
    for (const samples of perNode) {
      expect(delivered(samples, 'delivered')).toBeGreaterThan(0);
      expect(metricValue(samples, 'relaycast_node_outbox_items')).toBe(0);
      expect(metricValue(samples, 'relaycast_node_lease_valid')).toBe(1);
      expect(metricValue(samples, 'relaycast_node_gateway_healthy')).toBe(1);
    }

    // Every accepted progress change reaches LevelDB within a checkpoint interval.
    await until(async () => metricValue(await scrape(coordinatorMetrics), 'relaycast_coordinator_checkpoint_lag_seconds') === 0, 'checkpoint lag back to 0', 5_000);
    const coordinator = await scrape(coordinatorMetrics);
    expect(metricValue(coordinator, 'relaycast_coordinator_broadcasts', { state: 'completed' })).toBe(1);
    expect(metricValue(coordinator, 'relaycast_grpc_server_handled_total', { grpc_service: 'relaycast.v1.ShardData', grpc_method: 'ReadAudience', grpc_code: 'OK' })).toBeGreaterThanOrEqual(RECIPIENTS / SHARD_SIZE);
    expect(metricValue(coordinator, 'relaycast_grpc_server_handled_total', { grpc_service: 'relaycast.v1.ShardData', grpc_method: 'ReportDeadLetters', grpc_code: 'OK' })).toBeGreaterThan(0);
    expect(metricValue(coordinator, 'relaycast_grpc_server_handled_total', { grpc_service: 'relaycast.v1.Broadcasts', grpc_method: 'CreateBroadcast', grpc_code: 'OK' })).toBe(1);
  }, 60_000);

  it('liveness flows through the relay: packet counters, batch sizes, links', async () => {
    const [relay, coordinator] = await Promise.all([scrape(relayMetrics), scrape(coordinatorMetrics)]);
    expect(metricValue(relay, 'relaycast_relay_liveness_packets_total')).toBeGreaterThan(0);
    expect(metricValue(relay, 'relaycast_relay_leaves')).toBe(2);
    expect(metricValue(relay, 'relaycast_relay_linked')).toBe(1);
    expect(metricValue(relay, 'relaycast_relay_batch_entries_count')).toBeGreaterThan(0);
    expect(metricValue(relay, 'relaycast_relay_batch_entries_count')).toBe(metricValue(relay, 'relaycast_relay_batches_sent_total'));
    expect(metricValue(relay, 'relaycast_grpc_server_started_total', { grpc_service: 'relaycast.v1.NodeSession', grpc_method: 'Session', grpc_type: 'bidi_stream' })).toBeGreaterThanOrEqual(2);
    expect(metricValue(coordinator, 'relaycast_coordinator_liveness_packets_total', { via: 'relay' })).toBeGreaterThan(0);
    expect(metricValue(coordinator, 'relaycast_coordinator_liveness_packets_total', { via: 'direct' })).toBe(0);
    expect(metricValue(coordinator, 'relaycast_coordinator_relay_batches_total')).toBeGreaterThan(0);
    expect(metricValue(coordinator, 'relaycast_coordinator_relay_links')).toBe(1);
    expect(metricValue(coordinator, 'relaycast_grpc_server_started_total', { grpc_service: 'relaycast.v1.RelayLink', grpc_method: 'Link' })).toBeGreaterThanOrEqual(1);
  });

  it('gRPC request counters move with the calls made, on every port', async () => {
    const handled = (s: readonly Sample[], service: string, method: string) => metricValue(s, 'relaycast_grpc_server_handled_total', { grpc_service: service, grpc_method: method, grpc_code: 'OK' });
    const before = await scrape(coordinatorMetrics);
    for (let i = 0; i < 3; i++) await unary(membership, 'ListNodes', { clusterId: 'default' });
    await unary(admin, 'GetStatus', {});
    const notFound = await unary(broadcasts, 'GetBroadcast', { broadcastId: 'bc-none' }).catch((err: Error) => err);
    expect(notFound).toBeInstanceOf(Error);
    const after = await scrape(coordinatorMetrics);
    expect(handled(after, 'relaycast.v1.Membership', 'ListNodes') - handled(before, 'relaycast.v1.Membership', 'ListNodes')).toBe(3);
    expect(handled(after, 'relaycast.v1.Admin', 'GetStatus') - handled(before, 'relaycast.v1.Admin', 'GetStatus')).toBe(1);
    const notFoundCount = (s: readonly Sample[]) => metricValue(s, 'relaycast_grpc_server_handled_total', { grpc_service: 'relaycast.v1.Broadcasts', grpc_method: 'GetBroadcast', grpc_code: 'NOT_FOUND' });
    expect(notFoundCount(after) - notFoundCount(before)).toBe(1);
    expect(metricValue(after, 'relaycast_grpc_server_handling_seconds_count', { grpc_service: 'relaycast.v1.Membership', grpc_method: 'ListNodes' })).toBeGreaterThanOrEqual(3);

    const node = nodes[0]!;
    const nodeBefore = await scrape(node.metrics);
    expect(await healthStatus(node.address)).toBe('SERVING');
    const nodeAfter = await scrape(node.metrics);
    expect(handled(nodeAfter, 'grpc.health.v1.Health', 'Check') - handled(nodeBefore, 'grpc.health.v1.Health', 'Check')).toBe(1);
  });

  it('the members gauge matches ListNodes, and a kill -9 shows in it and in the detection histogram', async () => {
    const direct = await cluster.startNode('n3', { coordinator: coordinatorAddress }, METRICS);
    await until(async () => (await unary(membership, 'ListNodes', { clusterId: 'default', state: 'NODE_STATE_ALIVE', kind: 'MEMBER_KIND_NODE' })).nodes.length === 3, 'n3 ALIVE', 15_000);
    const gaugeMatchesList = async (): Promise<boolean> => {
      const [samples, listed] = await Promise.all([scrape(coordinatorMetrics), unary(membership, 'ListNodes', { clusterId: 'default' })]);
      for (const kind of ['node', 'relay']) {
        for (const state of ['alive', 'suspect', 'down', 'draining', 'left']) {
          const listedCount = listed.nodes.filter((n) => n.kind === `MEMBER_KIND_${kind.toUpperCase()}` && n.state === `NODE_STATE_${state.toUpperCase()}`).length;
          if (metricValue(samples, 'relaycast_coordinator_members', { cluster: 'default', kind, state }) !== listedCount) return false;
        }
      }
      return true;
    };
    await until(gaugeMatchesList, 'members gauge = ListNodes', 5_000);
    expect(metricValue(await scrape(coordinatorMetrics), 'relaycast_coordinator_direct_sessions')).toBe(1);

    direct.kill('SIGKILL');
    await until(async () => (await unary(membership, 'ListNodes', { clusterId: 'default', state: 'NODE_STATE_DOWN' })).nodes.length === 1, 'n3 DOWN', 10_000);
    await until(gaugeMatchesList, 'members gauge = ListNodes after the DOWN', 5_000);
    const samples = await scrape(coordinatorMetrics);
    expect(metricValue(samples, 'relaycast_coordinator_members', { kind: 'node', state: 'down' })).toBe(1);
    expect(metricValue(samples, 'relaycast_coordinator_members', { kind: 'node', state: 'alive' })).toBe(2);
    expect(metricValue(samples, 'relaycast_coordinator_detection_latency_seconds_count', { kind: 'node' })).toBe(1);
    // kill -9 closes the connection: DOWN once the lease has surely lapsed,
    // lease-ttl (1.5 s) + margin (0.1 s) of silence on defaults, not before.
    // The upper bound is only a sanity check (how soon is bench:failover's business).
    const detectionS = metricValue(samples, 'relaycast_coordinator_detection_latency_seconds_sum', { kind: 'node' });
    expect(detectionS).toBeGreaterThanOrEqual(1.6);
    expect(detectionS).toBeLessThan(15);
    expect(metricValue(samples, 'relaycast_coordinator_liveness_packets_total', { via: 'direct' })).toBeGreaterThan(0);
    // n3 held no shard: nothing to reassign, but the histogram is there.
    expect(hasMetric(samples, 'relaycast_coordinator_reassignment_latency_seconds_count')).toBe(true);
  }, 40_000);
});
