/**
 * TLS and member identity across real processes: a cluster started with
 * certificates from scripts/dev-certs.sh (coordinator, a relay, two nodes,
 * the gateway simulator with client certificates required, over gRPC and
 * an https webhook) runs a broadcast; a node's certificate cannot act as
 * another node (directly, through a relay, on the public Register, on
 * audience pages); only a relay's certificate opens a relay link, and the
 * coordinator accepts from a relay only leaves of its own cluster; a client
 * without a certificate, or without TLS, is refused with a clear message;
 * and a process with neither TLS files nor --plaintext does not start.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, relaycastBin } from '../testing/local-cluster';
import { broadcastsClient, membershipClient, nodeSessionClient, unary } from '../client/client';
import { relaycastV1 } from '../protocol/proto';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { SessionMessage__Output } from '../protocol/generated/relaycast/v1/SessionMessage';
import type { RelayDown__Output } from '../protocol/generated/relaycast/v1/RelayDown';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import { quietIpServerNameWarning } from '../platform/tls';
import { until } from './helpers';

// The test's own clients dial 127.0.0.1 over TLS, like the processes do.
quietIpServerNameWarning();

const ROOT = path.join(__dirname, '..');
const DEV_CERTS = path.join(ROOT, 'scripts', 'dev-certs.sh');
const CALL_TIMEOUT_MS = 10_000;

interface Pair {
  cert: string;
  key: string;
}

/** Runs the CLI (plaintext not inherited from anywhere); resolves with exit code and output. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.RELAYCAST_PLAINTEXT;
    execFile(process.execPath, [relaycastBin(), ...args], { env: childEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The first message or the error status of a stream, bounded. */
function firstOf<T>(stream: grpc.ClientDuplexStream<never, T>, what: string): Promise<{ message?: T; error?: grpc.ServiceError }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    stream.on('data', (message: T) => {
      clearTimeout(timer);
      resolve({ message });
    });
    stream.on('error', (error: grpc.ServiceError) => {
      clearTimeout(timer);
      resolve({ error });
    });
  });
}

describe('TLS and member identity', () => {
  const cluster = new LocalCluster('relaycast-tls-', { plaintext: false });
  const certs = path.join(cluster.dir, 'certs');
  const ca = path.join(certs, 'ca.pem');
  const pair = (name: string): Pair => ({ cert: path.join(certs, `${name}.pem`), key: path.join(certs, `${name}.key`) });
  const tlsArgs = (p: Pair) => ['--tls-cert-file', p.cert, '--tls-key-file', p.key, '--tls-ca-file', ca];
  const creds = (p?: Pair) => grpc.credentials.createSsl(fs.readFileSync(ca), p ? fs.readFileSync(p.key) : null, p ? fs.readFileSync(p.cert) : null);
  const operator = pair('client/operator');
  let address: string;
  let relayAddress: string;
  let gateway: string;
  let members: MembershipClient;
  let broadcasts: BroadcastsClient;
  const closers: Array<() => void> = [];

  beforeAll(async () => {
    execFileSync('bash', [DEV_CERTS, certs, '--relays', 'relay-1,relay-2', '--nodes', 'node-a,node-b', '--clients', 'operator'], { stdio: 'pipe', timeout: 30_000 });
    ({ address } = await cluster.startCoordinator(tlsArgs(pair('coordinator'))));
    const sim = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', ...tlsArgs(pair('gateway'))]);
    const simReady = await sim.ready();
    gateway = simReady.address;
    relayAddress = (await cluster.startRelay('relay-1', address, tlsArgs(pair('relay/relay-1')))).address;
    // node-a: through the relay, gRPC gateway; node-b: directly, https webhook.
    await Promise.all([
      cluster.startNode('node-a', { relays: [relayAddress] }, [...tlsArgs(pair('node/node-a')), '--gateway', gateway]),
      cluster.startNode('node-b', { coordinator: address }, [...tlsArgs(pair('node/node-b')), '--gateway', `https://${simReady.httpAddress as string}`]),
    ]);
    members = membershipClient(address, creds(operator));
    broadcasts = broadcastsClient(address, creds(operator));
    closers.push(() => members.close(), () => broadcasts.close());
    await until(async () => (await unary(members, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_ALIVE' })).nodes.length === 2, 'both nodes ALIVE', 30_000, 200);
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) close();
    await cluster.stopAll();
  });

  it('nodes with their own certificates register (through the relay and directly) and a broadcast completes over TLS', async () => {
    const listed = await unary(members, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE' });
    expect(listed.nodes.map((n) => [n.nodeId, n.relayId, n.state]).sort()).toEqual([['node-a', 'relay-1', 'NODE_STATE_ALIVE'], ['node-b', '', 'NODE_STATE_ALIVE']]);
    const audience = Array.from({ length: 2000 }, (_, i) => ({ id: `u${i}`, vars: [{ key: 'name', value: `N${i}` }] }));
    const created = await unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template: 'Hi {{name}}', audience, options: { shardSize: 100 } }, 30_000);
    let last: Broadcast__Output | undefined;
    await until(async () => {
      last = await unary(broadcasts, 'GetBroadcast', { broadcastId: created.broadcastId });
      return last.state === 'BROADCAST_STATE_COMPLETED';
    }, 'the broadcast completes', 30_000, 200);
    expect(last!.counts!.delivered).toBe(2000);
    const sim = gatewaySimulatorClient(gateway, creds(operator));
    closers.push(() => sim.close());
    const stats = await unary(sim, 'GetStats', {});
    expect(Number(stats.uniqueDelivered)).toBe(2000);
    // Both nodes delivered: node-a over gRPC with TLS, node-b to the https webhook.
    const senders = await unary(sim, 'ListSenders', {});
    expect(new Set(senders.senders.filter((s) => Number(s.deliverCalls) > 0).map((s) => s.nodeKey))).toEqual(new Set(['default/node-a', 'default/node-b']));
  });

  it('a node certificate cannot attach as another node: directly or through a relay', async () => {
    const attachAs = (nodeId: string) => ({ attach: { register: { clusterId: 'default', nodeId, instanceId: `impostor-${nodeId}`, address: '127.0.0.1:1', labels: [], capacityWeight: 1 }, leaseEpoch: 0 } });
    for (const [where, target] of [['coordinator', address], ['relay', relayAddress]] as const) {
      const client = nodeSessionClient(target, creds(pair('node/node-a')));
      const session = client.Session();
      session.write(attachAs('node-b'));
      const answer = await firstOf<SessionMessage__Output>(session, `impostor session at the ${where}`);
      client.close();
      expect(answer.error?.code, where).toBe(grpc.status.PERMISSION_DENIED);
      expect(answer.error?.details, where).toMatch(/names relaycast:\/\/default\/node\/node-a; it may not act as node default\/node-b/);
    }
    // A relay's certificate is not a node's either.
    const relayAsNode = nodeSessionClient(address, creds(pair('relay/relay-2')));
    const session = relayAsNode.Session();
    session.write(attachAs('node-c'));
    const answer = await firstOf<SessionMessage__Output>(session, 'relay certificate as a node');
    relayAsNode.close();
    expect(answer.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    // node-b is untouched: still ALIVE, still direct.
    const listed = await unary(members, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE' });
    expect(listed.nodes.find((n) => n.nodeId === 'node-b')).toMatchObject({ state: 'NODE_STATE_ALIVE', relayId: '' });
  });

  it('a node certificate cannot register, deregister or read audience pages as another node', async () => {
    const asNodeA = membershipClient(address, creds(pair('node/node-a')));
    const shardData = new (relaycastV1().ShardData)(address, creds(pair('node/node-a')));
    try {
      await expect(unary(asNodeA, 'Register', { clusterId: 'default', nodeId: 'node-b', instanceId: 'impostor', address: '127.0.0.1:1', labels: [], capacityWeight: 1 })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
      await expect(unary(asNodeA, 'Deregister', { clusterId: 'default', nodeId: 'node-b', instanceId: 'impostor', leaseEpoch: 1 })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
      await expect(unary(shardData, 'ReadAudience', { broadcastId: 'bc-x', shardId: 0, epoch: 1, nodeKey: 'default/node-b', fromSequence: 0, limit: 10 })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringMatching(/may not act as node default\/node-b/) });
      // Its own key passes the identity check (and fails on the shard, which it does not hold).
      await expect(unary(shardData, 'ReadAudience', { broadcastId: 'bc-x', shardId: 0, epoch: 1, nodeKey: 'default/node-a', fromSequence: 0, limit: 10 })).rejects.not.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    } finally {
      asNodeA.close();
      shardData.close();
    }
  });

  it('only a relay certificate opens a relay link, as itself, and speaks only for leaves of its cluster', async () => {
    const link = (p: Pair) => new (relaycastV1().RelayLink)(address, creds(p));
    const hello = (relayId: string) => ({ hello: { clusterId: 'default', relayId, instanceId: `test-${relayId}`, address: '127.0.0.1:1' } });

    const nodeClient = link(pair('node/node-a'));
    const fromNode = nodeClient.Link();
    fromNode.write(hello('node-a'));
    const nodeAnswer = await firstOf<RelayDown__Output>(fromNode, 'relay link with a node certificate');
    nodeClient.close();
    expect(nodeAnswer.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(nodeAnswer.error?.details).toMatch(/only a relay's certificate may open a relay link/);

    const otherClient = link(pair('relay/relay-2'));
    const asOther = otherClient.Link();
    asOther.write(hello('relay-1'));
    const otherAnswer = await firstOf<RelayDown__Output>(asOther, 'relay-2 certificate as relay-1');
    otherClient.close();
    expect(otherAnswer.error?.code).toBe(grpc.status.PERMISSION_DENIED);

    // relay-2 as itself: linked; but it cannot speak for another cluster's node, or relay an attach under another key.
    const ownClient = link(pair('relay/relay-2'));
    const own = ownClient.Link();
    const downs: RelayDown__Output[] = [];
    own.on('data', (down: RelayDown__Output) => downs.push(down));
    own.on('error', () => undefined);
    own.write(hello('relay-2'));
    await until(() => downs.some((d) => d.msg === 'welcome'), 'relay-2 welcome', CALL_TIMEOUT_MS, 50);
    const register = (clusterId: string, nodeId: string) => ({ clusterId, nodeId, instanceId: 'leaf', address: '127.0.0.1:1', labels: [], capacityWeight: 1 });
    own.write({ batch: { batchId: 7, liveness: [{ nodeKey: 'other/n1', leaseEpoch: 1, seq: 1, ageMs: 0, progress: [] }], messages: [
      { nodeKey: 'other/n1', message: { attach: { register: register('other', 'n1'), leaseEpoch: 0 } }, ageMs: 0 },
      { nodeKey: 'default/leaf-x', message: { attach: { register: register('default', 'leaf-y'), leaseEpoch: 0 } }, ageMs: 0 },
    ], detached: [] } });
    await until(() => downs.some((d) => Number(d.batchAck?.batchId) === 7), 'ack of batch 7', CALL_TIMEOUT_MS, 50);
    ownClient.close();
    const ack = downs.find((d) => Number(d.batchAck?.batchId) === 7)!.batchAck!;
    expect(ack.rejected.map((r) => [r.nodeKey, r.code])).toEqual([['other/n1', grpc.status.PERMISSION_DENIED]]);
    expect(ack.deliveries.map((d) => [d.nodeKey, d.closeCode])).toEqual([['other/n1', grpc.status.PERMISSION_DENIED], ['default/leaf-x', grpc.status.PERMISSION_DENIED]]);
    const listed = await unary(members, 'ListNodes', { clusterId: '' });
    expect(listed.nodes.map((n) => n.nodeKey)).not.toContain('default/leaf-y');
    expect(listed.nodes.map((n) => n.nodeKey)).not.toContain('other/n1');
  });

  it('refuses a client without a certificate, and a plaintext client, with a clear failure', async () => {
    for (const target of [address, relayAddress]) {
      const anonymous = membershipClient(target, creds());
      const err = await unary(anonymous, 'ListNodes', { clusterId: 'default' }).then(() => undefined, (e: grpc.ServiceError) => e);
      anonymous.close();
      expect(err?.code, target).toBe(grpc.status.UNAVAILABLE);
      expect(err?.details, target).toMatch(/certificate required/);
    }
    const plaintext = await cli(['--plaintext', 'nodes', 'list', '--coordinator', address, '--timeout-ms', '5000']);
    expect(plaintext.code).toBe(1);
    expect(plaintext.stderr).toMatch(/probably requires TLS\. Give --tls-ca-file, --tls-cert-file and --tls-key-file/);
    const noCert = await cli(['nodes', 'list', '--coordinator', address, '--tls-ca-file', ca, '--timeout-ms', '5000']);
    expect(noCert.code).toBe(1);
    expect(noCert.stderr).toMatch(/requires a client certificate/);
    const untrusted = await cli(['nodes', 'list', '--coordinator', address, '--tls-cert-file', operator.cert, '--tls-key-file', operator.key, '--timeout-ms', '5000']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/certificate is not trusted here; give --tls-ca-file/);
    // And with the operator's certificate the CLI works.
    const ok = await cli(['nodes', 'list', '--kind', 'node', '--json', '--coordinator', address, '--tls-ca-file', ca, '--tls-cert-file', operator.cert, '--tls-key-file', operator.key]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as Array<{ nodeId: string }>).map((n) => n.nodeId).sort()).toEqual(['node-a', 'node-b']);
    expect(ok.stderr).toBe('');
  });

  it('a process with neither TLS files nor --plaintext, or with a certificate for someone else, does not start', async () => {
    const neither = await cli(['coordinator', '--listen', '127.0.0.1:0', '--data-dir', path.join(cluster.dir, 'unused')]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/no transport security configured: give --tls-cert-file, --tls-key-file and --tls-ca-file .* or --plaintext/);
    const wrongId = await cli(['node', '--id', 'node-b', '--coordinator', address, ...tlsArgs(pair('node/node-a'))]);
    expect(wrongId.code).toBe(2);
    expect(wrongId.stderr).toMatch(/names relaycast:\/\/default\/node\/node-a, but this node is relaycast:\/\/default\/node\/node-b/);
    const plainGateway = await cli(['node', '--id', 'node-a', '--coordinator', address, '--gateway', 'http://127.0.0.1:1', ...tlsArgs(pair('node/node-a'))]);
    expect(plainGateway.code).toBe(2);
    expect(plainGateway.stderr).toMatch(/plain HTTP, but this node runs with TLS/);
  });
});

