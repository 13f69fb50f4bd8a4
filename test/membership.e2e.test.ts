/**
 * The registry end to end: real coordinator and node processes started
 * through the CLI on loopback, a Watch client, kill -9, a coordinator restart.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { membershipClient, nodeSessionClient, unary } from '../client/client';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import { EventLog } from './helpers';

const DOWN_AFTER_MS = 2000; // the default

describe('membership across processes', () => {
  const cluster = new LocalCluster('relaycast-membership-');
  const dataDir = path.join(cluster.dir, 'coordinator-data');
  let coordinator: ManagedProcess;
  let address: string;
  let client: MembershipClient;
  const nodes: ManagedProcess[] = [];

  beforeAll(async () => {
    ({ proc: coordinator, address } = await cluster.startCoordinator([], 'coordinator', dataDir));
    client = membershipClient(address);
  });

  afterAll(async () => {
    client?.close();
    await cluster.stopAll();
  });

  let lastSeenRevision = 0;

  it('a watcher sees three nodes register, and a kill -9 becomes DOWN once its lease has lapsed (the connection closed), sooner than downAfterMs', async () => {
    const log = new EventLog(client, { clusterId: 'default', afterRevision: 0 });
    for (const id of ['n1', 'n2', 'n3']) nodes.push(await cluster.startNode(id, { coordinator: address }));
    await log.waitFor(() => log.of('REGISTERED').length === 3, '3 REGISTERED', 15_000);
    expect(log.of('REGISTERED').map((e) => e.node?.nodeKey).sort()).toEqual(['default/n1', 'default/n2', 'default/n3']);

    nodes[2]!.kill('SIGKILL');
    // The wait is generous (a loaded machine is slow); how soon is the benchmark's business (bench:failover).
    await log.waitFor(() => log.of('DOWN', 'default/n3').length === 1, 'DOWN of n3', DOWN_AFTER_MS + 10_000);
    // The coordinator saw the session end: DOWN on the closed-connection path, at
    // lease-ttl (1500) + margin (100) of silence, not before; not the paused-member path of downAfterMs.
    const reason = log.of('DOWN', 'default/n3')[0]!.reason;
    expect(reason).toMatch(/^no liveness for \d+ ms \(connection closed\)$/);
    expect(Number(/\d+/.exec(reason)![0])).toBeGreaterThanOrEqual(1600);
    expect(log.of('DOWN')).toHaveLength(1);

    const revisions = log.events.map((e) => e.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    lastSeenRevision = revisions[revisions.length - 1]!;
    log.close();

    const listed = await unary(client, 'ListNodes', { clusterId: 'default' });
    const states = Object.fromEntries(listed.nodes.map((n) => [n.nodeId, n.state]));
    expect(states).toEqual({ n1: 'NODE_STATE_ALIVE', n2: 'NODE_STATE_ALIVE', n3: 'NODE_STATE_DOWN' });
    expect(listed.revision).toBe(lastSeenRevision);
  });

  it('another instance cannot take over a live node identity', async () => {
    const err = await unary(client, 'Register', { clusterId: 'default', nodeId: 'n1', instanceId: 'impostor', address: '127.0.0.1:1' }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.ALREADY_EXISTS);
    expect((err as grpc.ServiceError).details).toMatch(/another instance/);
  });

  it('bad input gets INVALID_ARGUMENT naming the field and changes nothing', async () => {
    const before = await unary(client, 'ListNodes', { clusterId: 'default' });
    const cases: Array<[object, RegExp]> = [
      [{ clusterId: 'default', nodeId: '', instanceId: 'x' }, /node_id is required/],
      [{ clusterId: 'default', nodeId: 'bad id!', instanceId: 'x' }, /node_id .* illegal characters/],
      [{ clusterId: 'default', nodeId: 'n'.repeat(64), instanceId: 'x' }, /node_id is 64 characters/],
      [{ clusterId: 'default', nodeId: 'ok', instanceId: '' }, /instance_id is required/],
      [{ clusterId: 'default', nodeId: 'ok', instanceId: 'x', labels: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] }, /labels\[1\]\.key "a" is repeated/],
      [{ clusterId: 'default', nodeId: 'ok', instanceId: 'x', labels: [{ key: '', value: '1' }] }, /labels\[0\]\.key is required/],
      [{ clusterId: 'default', nodeId: 'ok', instanceId: 'x', capacityWeight: 5000 }, /capacity_weight/],
    ];
    for (const [request, message] of cases) {
      const err = (await unary(client, 'Register', request).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      expect(err.code, JSON.stringify(request)).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toMatch(message);
    }
    const after = await unary(client, 'ListNodes', { clusterId: 'default' });
    expect(after.revision).toBe(before.revision);
    expect(after.nodes.map((n) => n.nodeKey)).toEqual(before.nodes.map((n) => n.nodeKey));
  });

  it('a session that resumes with a wrong epoch or an unknown node is refused', async () => {
    const session = nodeSessionClient(address);
    const attempt = (nodeId: string, leaseEpoch: number) => new Promise<grpc.ServiceError>((resolve) => {
      const call = session.Session();
      call.on('data', () => undefined);
      call.on('error', resolve);
      call.write({ attach: { register: { clusterId: 'default', nodeId, instanceId: 'someone', address: '' }, leaseEpoch } });
    });
    const wrongEpoch = await attempt('n3', 99);
    expect(wrongEpoch.code).toBe(grpc.status.FAILED_PRECONDITION);
    const unknown = await attempt('never-registered', 4);
    expect(unknown.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(unknown.details).toMatch(/not registered/);
    session.close();
  });

  it('after a coordinator kill -9 and restart, state survives and a watcher resumes with no gap and no repeat', async () => {
    const before = await unary(client, 'ListNodes', { clusterId: 'default' });
    const epochs = Object.fromEntries(before.nodes.map((n) => [n.nodeId, n.leaseEpoch]));
    const port = address.split(':')[1]!;
    coordinator.kill('SIGKILL');
    await coordinator.exit();
    ({ proc: coordinator } = await cluster.startCoordinator(['--listen', `127.0.0.1:${port}`], 'coordinator (restarted)', dataDir));

    // Surviving nodes re-attach with their leases: same epochs, no new registration.
    const relisted = await unary(client, 'ListNodes', { clusterId: 'default' });
    expect(Object.fromEntries(relisted.nodes.map((n) => [n.nodeId, n.leaseEpoch]))).toEqual(epochs);
    expect(relisted.nodes.find((n) => n.nodeId === 'n3')?.state).toBe('NODE_STATE_DOWN');

    // Events the watcher will have missed: n2 dies, n4 joins.
    const live = new EventLog(client, { clusterId: 'default' });
    nodes[1]!.kill('SIGKILL');
    nodes.push(await cluster.startNode('n4', { coordinator: address }));
    await live.waitFor(() => live.of('DOWN', 'default/n2').length === 1 && live.of('REGISTERED', 'default/n4').length === 1, 'n2 DOWN and n4 REGISTERED', 15_000);
    live.close();

    const resumed = new EventLog(client, { clusterId: 'default', afterRevision: lastSeenRevision });
    const lastLive = live.events[live.events.length - 1]!.revision;
    await resumed.waitFor(() => resumed.events.some((e) => e.revision >= lastLive), `events up to ${lastLive}`, 10_000);
    const got = resumed.events.map((e) => e.revision);
    const expected = Array.from({ length: lastLive - lastSeenRevision }, (_, i) => lastSeenRevision + 1 + i);
    expect(got.slice(0, expected.length)).toEqual(expected);
    expect(resumed.of('DOWN', 'default/n2')).toHaveLength(1);
    expect(resumed.of('REGISTERED', 'default/n4')).toHaveLength(1);
    resumed.close();
  });

  it('a revision older than the retained history gets OUT_OF_RANGE', async () => {
    const small = new LocalCluster('relaycast-compact-');
    try {
      const { address: addr } = await small.startCoordinator(['--events-retained-max', '10']);
      const c = membershipClient(addr);
      for (let i = 0; i < 12; i++) await unary(c, 'Register', { clusterId: 'default', nodeId: `r${i}`, instanceId: `i${i}`, address: '' });
      const log = new EventLog(c, { clusterId: 'default', afterRevision: 0 });
      await log.waitFor(() => log.error !== undefined, 'an error', 5000);
      expect((log.error as grpc.ServiceError).code).toBe(grpc.status.OUT_OF_RANGE);
      expect((log.error as grpc.ServiceError).details).toMatch(/compacted.*list the nodes again/);
      const ok = new EventLog(c, { clusterId: 'default', afterRevision: 5 });
      await ok.waitFor(() => ok.events.length === 7, 'events 6..12', 5000);
      expect(ok.events.map((e) => e.revision)).toEqual([6, 7, 8, 9, 10, 11, 12]);
      ok.close();
      c.close();
    } finally {
      await small.stopAll();
    }
  });
});
