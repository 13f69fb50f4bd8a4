/**
 * A node that lies about its progress, on real processes. Progress comes
 * from the network, so a report whose counts do not add up must be refused
 * at the boundary, not trusted until an assertion inside the scheduler trips
 * over it: a node that reports 3 delivered with its watermark still at the
 * order's start, and then dies, once took the coordinator down when its
 * shard was handed on ("no counts below the start"), and a coordinator
 * restarted on the same data died the same way.
 *
 * The liar speaks NodeSession by hand (RawNodeSession); a real node then
 * finishes the broadcast through the gateway simulator.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { broadcastsClient, membershipClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import { EventLog, RawNodeSession, lastOutput, observe, servingProblems, until } from './helpers';

// Coordinator defaults the waits below are built on.
const DOWN_AFTER_MS = 2000;
const CHECKPOINT_INTERVAL_MS = 200;
const RESTART_GRACE_MS = 3000;
/** Generous: a loaded 2-core machine is slow, never wrong. */
const SLACK_MS = 10_000;

const AUDIENCE = Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, vars: [{ key: 'n', value: String(i) }] }));
const TEMPLATE = 'Hi {{recipient.id}} #{{n}}';
const expectedText = (i: number) => `Hi r${i} #${i}`;

describe('a node whose progress reports cannot be true', () => {
  const cluster = new LocalCluster('relaycast-progress-');
  const dataDir = path.join(cluster.dir, 'coordinator-data');
  let coordinator: ManagedProcess;
  let address: string;
  let gateway: string;
  let broadcasts: BroadcastsClient;
  let members: MembershipClient;
  let sim: GatewaySimulatorClient;

  beforeAll(async () => {
    ({ proc: coordinator, address } = await cluster.startCoordinator([], 'coordinator', dataDir));
    gateway = (await cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0']).ready()).address;
    broadcasts = broadcastsClient(address);
    members = membershipClient(address);
    sim = gatewaySimulatorClient(gateway);
  }, 30_000);

  afterAll(async () => {
    for (const client of [broadcasts, members, sim]) client?.close();
    await cluster.stopAll();
  });

  const getBroadcast = (broadcastId: string): Promise<Broadcast__Output> => unary(broadcasts, 'GetBroadcast', { broadcastId });

  it('reports 3 delivered at its order\'s start, then dies: the coordinator keeps serving, a real node completes the broadcast, and a restart on the same data keeps it', async () => {
    const log = new EventLog(members, { clusterId: 'default', afterRevision: 0 });
    const liar = new RawNodeSession(address, { clusterId: 'default', nodeId: 'liar', instanceId: 'liar-1' });
    try {
      await liar.attach(SLACK_MS);
      const created = await unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template: TEMPLATE, audience: AUDIENCE, options: { shardSize: 5 } });
      const broadcastId = created.broadcastId;
      // The only node gets the orders.
      await liar.waitFor(() => liar.orders.some((o) => o.broadcastId === broadcastId), 'an order', SLACK_MS);
      const order = liar.orders.find((o) => o.broadcastId === broadcastId)!;

      // The lie: three delivered, yet nothing final (the watermark is still the order's start).
      liar.progress = [{ broadcastId, shardId: order.shardId, epoch: order.epoch, watermark: order.start, delivered: 3, skippedUnreachable: 0, deadLettered: 0, done: false, stopped: false }];
      await liar.livenessAnswered(SLACK_MS);
      // It keeps saying so past a few checkpoints, so that whatever was accepted is on disk too.
      await observe(CHECKPOINT_INTERVAL_MS * 5);
      const whileLying = await getBroadcast(broadcastId);

      // Then it dies without a word.
      liar.vanish();
      const down = log.waitFor(() => log.of('DOWN', 'default/liar').length === 1, 'DOWN of the liar', DOWN_AFTER_MS + SLACK_MS);
      const outcome = await Promise.race([down.then(() => 'DOWN', (err: Error) => err.message), coordinator.exit().then(() => 'coordinator exited')]);
      expect(coordinator.exited, `the coordinator died once the liar's shard was handed on; ${lastOutput(coordinator)}`).toBe(false);
      expect(outcome).toBe('DOWN');
      expect(await servingProblems([{ proc: coordinator, grpcAddress: address }], address)).toEqual([]);

      // The lie was never counted: nothing was final while only the liar held the shards.
      expect(whileLying.counts, 'counts while the liar held the shards').toMatchObject({ delivered: 0, skippedUnreachable: 0, deadLettered: 0 });

      // A real node finishes the broadcast: every recipient final once, and the gateway has each.
      await cluster.startNode('worker', { coordinator: address }, ['--gateway', gateway]);
      let final: Broadcast__Output | undefined;
      await until(async () => (final = await getBroadcast(broadcastId)).state === 'BROADCAST_STATE_COMPLETED', 'the broadcast completes', 60_000, 200)
        .catch((err: Error) => { throw new Error(`${err.message}; last: ${final?.state} ${JSON.stringify(final?.counts)}; ${lastOutput(coordinator)}`); });
      const counts = final!.counts!;
      expect(counts.total).toBe(AUDIENCE.length);
      expect(counts.delivered + counts.skippedUnreachable + counts.deadLettered).toBe(AUDIENCE.length);
      expect(counts.delivered).toBe(AUDIENCE.length);
      const { texts } = await unary(sim, 'GetDelivered', { idempotencyKeys: AUDIENCE.map((_, i) => `${broadcastId}/${i}`) });
      expect(texts).toEqual(AUDIENCE.map((_, i) => expectedText(i)));

      // A coordinator restarted on the same data serves, and keeps the broadcast as it was.
      const port = address.split(':')[1]!;
      await coordinator.stop(SLACK_MS);
      ({ proc: coordinator } = await cluster.startCoordinator(['--listen', `127.0.0.1:${port}`], 'coordinator (restarted)', dataDir));
      expect(await servingProblems([{ proc: coordinator, grpcAddress: address }], address)).toEqual([]);
      const kept = await getBroadcast(broadcastId);
      expect([kept.state, kept.counts]).toEqual([final!.state, final!.counts]);
      // Past its restart grace, when members that did not come back are judged, it still serves.
      await observe(RESTART_GRACE_MS + DOWN_AFTER_MS);
      expect(await servingProblems([{ proc: coordinator, grpcAddress: address }], address)).toEqual([]);
      expect((await getBroadcast(broadcastId)).state).toBe('BROADCAST_STATE_COMPLETED');
    } finally {
      liar.vanish();
      log.close();
    }
  }, 120_000);
});
