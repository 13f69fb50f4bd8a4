/**
 * Failover on real processes: a broadcast survives kill -9 of a node, an
 * operator drain, SIGTERM, a coordinator crash and restart, and a node frozen
 * past its lease. After each: every recipient final exactly once in the
 * counts, and the gateway ledger agrees.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { adminClient, broadcastsClient, membershipClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { AdminClient } from '../protocol/generated/relaycast/v1/Admin';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import { uploadAudience } from '../client/audience-upload';
import { EventLog, until } from './helpers';

const DOWN_AFTER_MS = 2000;

function audience(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, vars: [{ key: 'n', value: String(i) }] }));
}

describe('broadcasts survive failures', () => {
  const cluster = new LocalCluster('relaycast-failover-');
  const dataDir = path.join(cluster.dir, 'coordinator-data');
  let coordinator: ManagedProcess;
  let address: string;
  let gateway: string;
  let relays: string[] = [];
  let broadcasts: BroadcastsClient;
  let admin: AdminClient;
  let members: MembershipClient;
  let sim: GatewaySimulatorClient;
  let log: EventLog;
  const nodes = new Map<string, ManagedProcess>();
  let nextNode = 1;

  const startNode = async () => {
    const id = `w${nextNode++}`;
    nodes.set(id, await cluster.startNode(id, { relays, coordinator: address }, ['--gateway', gateway, '--log-level', 'info']));
    return id;
  };

  /** Create a rate-limited broadcast so that it is still running when the fault hits. */
  const create = async (total: number, ratePerS: number, prefix: string) =>
    unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template: 'Hi {{recipient.id}} #{{n}}', audience: audience(total, prefix), options: { shardSize: 1000, rateLimitPerS: ratePerS } });

  const progressOf = async (id: string) => {
    const b = await unary(broadcasts, 'GetBroadcast', { broadcastId: id });
    const c = b.counts!;
    return c.delivered + c.skippedUnreachable + c.deadLettered;
  };

  const finish = async (id: string, timeoutMs: number): Promise<Broadcast__Output> => {
    let last: Broadcast__Output | undefined;
    await until(async () => {
      last = await unary(broadcasts, 'GetBroadcast', { broadcastId: id }, 5000).catch(() => undefined);
      return last?.state === 'BROADCAST_STATE_COMPLETED';
    }, `broadcast ${id} COMPLETED`, timeoutMs, 200);
    return last!;
  };

  /** Invariant 1 and 3: counts add up, and the gateway holds exactly the delivered keys. */
  const expectExactlyOnce = async (b: Broadcast__Output) => {
    const c = b.counts!;
    expect(c.delivered + c.skippedUnreachable + c.deadLettered).toBe(c.total);
    expect(c.inFlight + c.pending).toBe(0);
    const keys = Array.from({ length: c.total }, (_, i) => `${b.broadcastId}/${i}`);
    const { texts } = await unary(sim, 'GetDelivered', { idempotencyKeys: keys });
    expect(texts.filter((t) => t === '').length).toBe(0);
  };

  beforeAll(async () => {
    ({ proc: coordinator, address } = await cluster.startCoordinator([], 'coordinator', dataDir));
    const gw = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0']);
    gateway = (await gw.ready()).address;
    relays = [(await cluster.startRelay('relay-a', address)).address, (await cluster.startRelay('relay-b', address)).address];
    broadcasts = broadcastsClient(address);
    admin = adminClient(address);
    members = membershipClient(address);
    sim = gatewaySimulatorClient(gateway);
    log = new EventLog(members, { clusterId: 'default', afterRevision: 0 });
    for (let i = 0; i < 4; i++) await startNode();
    await log.waitFor(() => log.nodeEvents('REGISTERED').length === 4, '4 nodes', 20_000);
  }, 60_000);

  afterAll(async () => {
    log?.close();
    for (const c of [broadcasts, admin, members, sim]) c?.close();
    await cluster.stopAll();
  });

  beforeEach(async () => {
    await unary(sim, 'Reset', {});
  });

  it('kill -9 of a node mid-broadcast: its remainder is reassigned after DOWN and every recipient is delivered', async () => {
    const b = await create(10_000, 2000, 'k');
    await until(async () => (await progressOf(b.broadcastId)) >= 2000, '20% done', 20_000);
    const [victim] = [...nodes.entries()].find(([, p]) => !p.exited)!;
    nodes.get(victim)!.kill('SIGKILL');
    await log.waitFor(() => log.of('DOWN', `default/${victim}`).length === 1, `DOWN of ${victim}`, DOWN_AFTER_MS + 5000);
    const final = await finish(b.broadcastId, 60_000);
    await expectExactlyOnce(final);
    const status = await unary(admin, 'GetStatus', {});
    expect(status.reassignments).toBeGreaterThan(0);
    // Only a sanity bound, generous for a loaded machine: bench:failover measures how soon.
    expect(status.reassignP99Ms).toBeLessThan(5_000);
    await startNode();
  }, 120_000);

  it('DrainNode mid-broadcast hands the node\'s shards back at once, the node leaves and exits 0, nothing is sent twice', async () => {
    const b = await create(10_000, 2000, 'd');
    await until(async () => (await progressOf(b.broadcastId)) >= 2000, '20% done', 20_000);
    const [victim, proc] = [...nodes.entries()].find(([, p]) => !p.exited)!;
    const drained = await unary(admin, 'DrainNode', { clusterId: 'default', nodeId: victim });
    expect(drained.node?.state).toBe('NODE_STATE_DRAINING');
    await log.waitFor(() => log.of('LEFT', `default/${victim}`).length === 1, `LEFT of ${victim}`, 10_000);
    expect(log.of('LEFT', `default/${victim}`)[0]!.reason).toBe('drained');
    expect((await proc.exit()).code).toBe(0);
    expect(log.of('DOWN', `default/${victim}`)).toHaveLength(0);
    const final = await finish(b.broadcastId, 60_000);
    await expectExactlyOnce(final);
    expect((await unary(sim, 'GetStats', {})).duplicates).toBe(0);
    await startNode();
  }, 120_000);

  it('SIGTERM on a node does the same as a drain: exit 0, LEFT, no DOWN, nothing twice', async () => {
    const b = await create(10_000, 2000, 't');
    await until(async () => (await progressOf(b.broadcastId)) >= 2000, '20% done', 20_000);
    const [victim, proc] = [...nodes.entries()].find(([, p]) => !p.exited)!;
    expect(await proc.stop(10_000)).toBe(0);
    await log.waitFor(() => log.of('LEFT', `default/${victim}`).length === 1, `LEFT of ${victim}`, 10_000);
    const final = await finish(b.broadcastId, 60_000);
    await expectExactlyOnce(final);
    expect(log.of('DOWN', `default/${victim}`)).toHaveLength(0);
    expect((await unary(sim, 'GetStats', {})).duplicates).toBe(0);
    await startNode();
  }, 120_000);

  it('a node frozen (SIGSTOP) past its lease fences itself; the broadcast completes without it', async () => {
    const b = await create(10_000, 2000, 's');
    await until(async () => (await progressOf(b.broadcastId)) >= 2000, '20% done', 20_000);
    // A node that was delivering when it froze: one that owns a shard it has made progress on.
    const { shards } = await unary(broadcasts, 'GetBroadcast', { broadcastId: b.broadcastId, includeShards: true });
    const delivering = new Set(shards.filter((s) => s.state === 'SHARD_STATE_ASSIGNED' && s.watermark > s.start).map((s) => s.ownerNodeKey));
    const [victim, proc] = [...nodes.entries()].find(([id, p]) => !p.exited && delivering.has(`default/${id}`))!;
    proc.kill('SIGSTOP');
    await log.waitFor(() => log.of('DOWN', `default/${victim}`).length === 1, `DOWN of ${victim}`, DOWN_AFTER_MS + 10_000);
    const down = log.of('DOWN', `default/${victim}`)[0]!;
    // Its connection stayed open: the full down-after, not the early DOWN of a closed connection.
    expect(down.reason).toMatch(/^no liveness for (19[5-9]\d|[2-9]\d\d\d|\d{5,}) ms$/);
    proc.kill('SIGCONT');
    // It registers again with a new epoch (a new lease), like a fresh node: it has noticed its lease was gone.
    await log.waitFor(() => log.of('REGISTERED', `default/${victim}`).length === 2, `${victim} registered again`, 15_000);
    // It fenced itself: the gateway saw its old lease deliver, and no call of it made after the lease it named had expired.
    const senders = (await unary(sim, 'ListSenders', { nodeKey: `default/${victim}` })).senders;
    expect(senders.filter((s) => s.leaseEpoch === down.node!.leaseEpoch).map((s) => s.deliverCalls > 0), `senders of lease ${down.node!.leaseEpoch}`).toEqual([true]);
    expect(senders.map((s) => [s.leaseEpoch, s.attemptsSentAfterLeaseExpiry])).toEqual(senders.map((s) => [s.leaseEpoch, 0]));
    const final = await finish(b.broadcastId, 60_000);
    await expectExactlyOnce(final);
  }, 120_000);

  it('elastic work: a one-shard broadcast spreads over idle nodes, and a node that joins mid-way gets a piece; nothing twice', async () => {
    // Slow enough (20 s at the rate limit) that a node started on a loaded
    // machine still finds unread tails to take.
    const total = 60_000;
    const uploadId = await uploadAudience(broadcasts, total, (i) => ({ id: `e-${i}`, vars: [{ key: 'n', value: String(i) }] }));
    const b = await unary(broadcasts, 'CreateBroadcast', {
      clusterId: 'default',
      template: 'Hi {{recipient.id}} #{{n}}',
      uploadId,
      options: { shardSize: total, rateLimitPerS: 3000 },
    });
    // One shard, so every node but its first owner starts idle and must steal.
    await until(async () => {
      const shards = (await unary(broadcasts, 'GetBroadcast', { broadcastId: b.broadcastId, includeShards: true })).shards;
      return new Set(shards.filter((s) => s.state === 'SHARD_STATE_ASSIGNED').map((s) => s.ownerNodeKey)).size >= 3;
    }, 'work split over at least 3 nodes', 15_000);
    await until(async () => (await progressOf(b.broadcastId)) >= total / 10, '10% done', 20_000);
    const joined = await startNode();
    let shards: Broadcast__Output['shards'] = [];
    await until(async () => {
      shards = (await unary(broadcasts, 'GetBroadcast', { broadcastId: b.broadcastId, includeShards: true })).shards;
      return shards.some((s) => s.ownerNodeKey === `default/${joined}` && s.start > 0);
    }, `${joined} (joined mid-broadcast) owns a piece`, 15_000).catch((err: Error) => {
      const table = shards.map((s) => `#${s.shardId} ${s.state} ${s.ownerNodeKey} [${s.start}, ${s.end}) at ${s.watermark}`);
      throw new Error(`${err.message}; shards:\n${table.join('\n')}`);
    });
    const final = await finish(b.broadcastId, 60_000);
    await expectExactlyOnce(final);
    // Splits never overlap what the old owner read: no recipient was attempted twice.
    expect((await unary(sim, 'GetStats', {})).duplicates).toBe(0);
  }, 120_000);

  it('kill -9 and restart of the coordinator mid-broadcast: the broadcast continues and completes, nothing lost', async () => {
    const b = await create(10_000, 2000, 'c');
    await until(async () => (await progressOf(b.broadcastId)) >= 2000, '20% done', 20_000);
    const port = address.split(':')[1]!;
    coordinator.kill('SIGKILL');
    await coordinator.exit();
    ({ proc: coordinator } = await cluster.startCoordinator(['--listen', `127.0.0.1:${port}`], 'coordinator (restarted)', dataDir));
    const final = await finish(b.broadcastId, 90_000);
    await expectExactlyOnce(final);
  }, 150_000);
});
