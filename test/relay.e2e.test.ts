/**
 * Relayed liveness across real processes: nodes behind two relays, a node
 * kill, a relay kill (no false deaths), both relays gone with and without
 * the coordinator as last resort, and the coordinator's stream count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { adminClient, membershipClient, unary } from '../client/client';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { AdminClient } from '../protocol/generated/relaycast/v1/Admin';
import { EventLog, observe, until } from './helpers';

const DOWN_AFTER_MS = 2000;
const RELAY_GRACE_MS = 3000;
const NODES = 20;

async function viaRelay(client: MembershipClient): Promise<Map<string, string>> {
  const listed = await unary(client, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_ALIVE' });
  return new Map(listed.nodes.map((n) => [n.nodeId, n.relayId]));
}

describe('nodes behind relays', () => {
  const cluster = new LocalCluster('relaycast-relay-');
  let address: string;
  let client: MembershipClient;
  let admin: AdminClient;
  let log: EventLog;
  const relays: Array<{ proc: ManagedProcess; address: string }> = [];
  const nodes = new Map<string, ManagedProcess>();

  beforeAll(async () => {
    ({ address } = await cluster.startCoordinator());
    client = membershipClient(address);
    admin = adminClient(address);
    log = new EventLog(client, { clusterId: 'default', afterRevision: 0 });
    relays.push(await cluster.startRelay('relay-a', address), await cluster.startRelay('relay-b', address));
    const [a, b] = relays.map((r) => r.address);
    // Half prefer relay-a, half relay-b; no coordinator fallback.
    const started = Array.from({ length: NODES }, (_, i) => {
      const id = `n${String(i + 1).padStart(2, '0')}`;
      return cluster.startNode(id, { relays: i % 2 === 0 ? [a!, b!] : [b!, a!] }).then((proc) => nodes.set(id, proc));
    });
    await Promise.all(started);
    await log.waitFor(() => log.nodeEvents('REGISTERED').length === NODES, `${NODES} registrations`, 30_000);
  }, 90_000);

  afterAll(async () => {
    log?.close();
    client?.close();
    admin?.close();
    await cluster.stopAll();
  });

  it('the coordinator holds one stream per relay, not one per node', async () => {
    const status = await unary(admin, 'GetStatus', {});
    expect(status.relayLinks).toBe(2);
    expect(status.directSessions).toBe(0);
    const routes = await viaRelay(client);
    expect(routes.size).toBe(NODES);
    expect(new Set(routes.values())).toEqual(new Set(['relay-a', 'relay-b']));
  });

  it('kill -9 of a node gives exactly one DOWN', async () => {
    nodes.get('n20')!.kill('SIGKILL');
    await log.waitFor(() => log.of('DOWN', 'default/n20').length === 1, 'DOWN of n20', DOWN_AFTER_MS + 5000);
    // Its relay reported the closed session: DOWN once the lease surely lapsed, not after down-after.
    expect(log.of('DOWN', 'default/n20')[0]!.reason).toMatch(/\(connection closed\)$/);
    await observe(DOWN_AFTER_MS);
    expect(log.of('DOWN').map((e) => e.node?.nodeKey)).toEqual(['default/n20']);
  });

  it('kill -9 of a relay moves its nodes to the other relay with zero DOWN events for them', async () => {
    const downsBefore = log.nodeEvents('DOWN').length;
    const onA = [...(await viaRelay(client)).entries()].filter(([, relay]) => relay === 'relay-a').map(([id]) => id);
    expect(onA.length).toBeGreaterThan(0);
    relays[0]!.proc.kill('SIGKILL');
    await until(async () => [...(await viaRelay(client)).values()].every((relay) => relay === 'relay-b'), 'every node via relay-b', 10_000);
    // Past the point where they would have been declared DOWN without relaying.
    await observe(RELAY_GRACE_MS + DOWN_AFTER_MS);
    expect(log.nodeEvents('DOWN').length).toBe(downsBefore);
    expect((await viaRelay(client)).size).toBe(NODES - 1);
    expect(log.of('DOWN', 'default/relay-a')).toHaveLength(1);
    const status = await unary(admin, 'GetStatus', {});
    expect(status.relayLinks).toBe(1);
  });
});

describe('when every relay is gone', () => {
  const cluster = new LocalCluster('relaycast-norelay-');
  let client: MembershipClient;
  let admin: AdminClient;
  let log: EventLog;
  const relays: Array<{ proc: ManagedProcess; address: string }> = [];

  beforeAll(async () => {
    const { address } = await cluster.startCoordinator();
    client = membershipClient(address);
    admin = adminClient(address);
    log = new EventLog(client, { clusterId: 'default', afterRevision: 0 });
    relays.push(await cluster.startRelay('relay-a', address), await cluster.startRelay('relay-b', address));
    const relayAddresses = relays.map((r) => r.address);
    await Promise.all([
      // With the coordinator as last resort:
      ...['f1', 'f2', 'f3'].map((id) => cluster.startNode(id, { relays: relayAddresses, coordinator: address })),
      // Relays only:
      ...['r1', 'r2', 'r3'].map((id) => cluster.startNode(id, { relays: relayAddresses })),
    ]);
    await log.waitFor(() => log.nodeEvents('REGISTERED').length === 6, '6 registrations', 30_000);
  }, 90_000);

  afterAll(async () => {
    log?.close();
    client?.close();
    admin?.close();
    await cluster.stopAll();
  });

  it('nodes with the coordinator as last resort attach directly with zero DOWN; the others are DOWN after the grace', async () => {
    const killedAt = Date.now();
    for (const relay of relays) relay.proc.kill('SIGKILL');
    await log.waitFor(() => ['r1', 'r2', 'r3'].every((id) => log.of('DOWN', `default/${id}`).length === 1), 'DOWN of r1..r3', RELAY_GRACE_MS + DOWN_AFTER_MS + 10_000);
    // Not before the grace period: a relay's death is not a mass death.
    for (const id of ['r1', 'r2', 'r3']) {
      const down = log.of('DOWN', `default/${id}`)[0]!;
      expect(down.atUnixMs - killedAt).toBeGreaterThanOrEqual(RELAY_GRACE_MS - 500);
    }
    expect(['f1', 'f2', 'f3'].flatMap((id) => log.of('DOWN', `default/${id}`))).toEqual([]);
    const routes = await viaRelay(client);
    expect([...routes.entries()].sort()).toEqual([['f1', ''], ['f2', ''], ['f3', '']]);
    const status = await unary(admin, 'GetStatus', {});
    expect(status.directSessions).toBe(3);
    expect(status.relayLinks).toBe(0);
  });
});
