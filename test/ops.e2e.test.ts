/**
 * The operator surface: --help, config validation, reflection and health
 * through buf curl (the stand-in for grpcurl), graceful SIGTERM.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, relaycastBin, type ManagedProcess } from '../testing/local-cluster';

const run = promisify(execFile);

async function relaycast(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [relaycastBin(), ...args], { env: { ...process.env, ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function bufCurl(args: string[]): Promise<string> {
  const bin = require.resolve('@bufbuild/buf/bin/buf');
  const { stdout } = await run(bin, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], { timeout: 30_000 });
  return stdout;
}

describe('command line', () => {
  it('prints usage for relaycast --help and every subcommand --help, exit 0', async () => {
    const top = await relaycast(['--help']);
    expect(top.code).toBe(0);
    for (const sub of ['coordinator', 'relay', 'node', 'demo']) {
      expect(top.stdout).toContain(sub);
      const help = await relaycast([sub, '--help']);
      expect(help.code, sub).toBe(0);
      expect(help.stdout).toContain(`Usage: relaycast ${sub}`);
    }
    const coordinator = await relaycast(['coordinator', '--help']);
    expect(coordinator.stdout).toContain('--down-after-ms');
    expect(coordinator.stdout).toContain('RELAYCAST_DOWN_AFTER_MS');
  });

  it('rejects bad settings with a message naming the flag or variable, exit 2', async () => {
    const badFlag = await relaycast(['coordinator', '--down-after-ms', 'soon']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--down-after-ms: expected a whole number/);
    const badEnv = await relaycast(['coordinator'], { RELAYCAST_HEARTBEAT_INTERVAL_MS: '5' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/RELAYCAST_HEARTBEAT_INTERVAL_MS: 5 is below the minimum 10/);
    const relation = await relaycast(['coordinator', '--lease-ttl-ms', '3000']);
    expect(relation.code).toBe(2);
    expect(relation.stderr).toMatch(/--lease-ttl-ms \(3000\) must be below --down-after-ms/);
    const unknown = await relaycast(['node', '--id', 'a', '--coordinator', '127.0.0.1:1', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/bogus/);
    const missing = await relaycast(['node', '--coordinator', '127.0.0.1:1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--id .* is required/);
    const address = await relaycast(['relay', '--id', 'r', '--coordinator', 'nowhere']);
    expect(address.code).toBe(2);
    expect(address.stderr).toMatch(/--coordinator: expected HOST:PORT/);
  });
});

describe('reflection and health on every port', () => {
  const cluster = new LocalCluster('relaycast-ops-');
  let coordinator: ManagedProcess;
  let address: string;
  let relayAddress: string;

  beforeAll(async () => {
    ({ proc: coordinator, address } = await cluster.startCoordinator());
    relayAddress = (await cluster.startRelay('relay-1', address)).address;
    await cluster.startNode('n1', { relays: [relayAddress] });
  });
  afterAll(() => cluster.stopAll());

  it('buf curl lists exactly the services each port serves (coordinator, relay)', async () => {
    const services = (await bufCurl(['--list-services', `http://${address}`])).split('\n').filter((line) => line !== '');
    // Exactly what the port serves: never the gateway's services, which live elsewhere.
    expect(services.sort()).toEqual(['grpc.health.v1.Health', 'relaycast.v1.Admin', 'relaycast.v1.Broadcasts', 'relaycast.v1.Membership', 'relaycast.v1.NodeSession', 'relaycast.v1.RelayLink', 'relaycast.v1.ShardData']);
    const relayServices = (await bufCurl(['--list-services', `http://${relayAddress}`])).split('\n').filter((line) => line !== '');
    expect(relayServices.sort()).toEqual(['grpc.health.v1.Health', 'relaycast.v1.NodeSession']);
  });

  it('health is SERVING on coordinator and relay, and ListNodes works through reflection', async () => {
    for (const target of [address, relayAddress]) {
      const health = JSON.parse(await bufCurl(['-d', '{}', `http://${target}/grpc.health.v1.Health/Check`])) as { status: string };
      expect(health.status).toBe('SERVING');
    }
    const listed = JSON.parse(await bufCurl(['-d', '{"clusterId":"default","kind":"MEMBER_KIND_NODE"}', `http://${address}/relaycast.v1.Membership/ListNodes`])) as { nodes: Array<{ nodeKey: string; relayId: string }> };
    expect(listed.nodes.map((n) => [n.nodeKey, n.relayId])).toEqual([['default/n1', 'relay-1']]);
  });

  it('SIGTERM stops the coordinator cleanly with exit 0, and one started on its data has every member it had', async () => {
    const before = JSON.parse(await bufCurl(['-d', '{"clusterId":"default"}', `http://${address}/relaycast.v1.Membership/ListNodes`])) as { nodes: Array<{ nodeKey: string; leaseEpoch: string }> };
    expect(await coordinator.stop(10_000)).toBe(0);
    // Its port is closed: it stopped, not just said so.
    await expect(bufCurl(['-d', '{}', `http://${address}/grpc.health.v1.Health/Check`])).rejects.toThrow();
    // Everything it acknowledged was written: a coordinator on the same data dir lists the same members and leases.
    const restarted = await cluster.startCoordinator([], 'coordinator (restarted)');
    const after = JSON.parse(await bufCurl(['-d', '{"clusterId":"default"}', `http://${restarted.address}/relaycast.v1.Membership/ListNodes`])) as typeof before;
    const keyed = (list: typeof before) => list.nodes.map((n) => [n.nodeKey, n.leaseEpoch]).sort();
    expect(keyed(after)).toEqual(keyed(before));
    expect(keyed(after).map(([key]) => key)).toContain('default/n1');
  });
});
