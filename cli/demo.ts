/**
 * `relaycast demo` (npm run demo): a local cluster on loopback — coordinator,
 * relays, nodes and the gateway simulator — running a real personalised
 * broadcast. One node is killed with kill -9 mid-broadcast: the demo shows
 * its DOWN event, the detection time and the takeover, then the final
 * counts and the gateway's duplicate count.
 */
import { performance } from 'node:perf_hooks';
import { LocalCluster } from '../testing/local-cluster';
import { broadcastsClient, membershipClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import { sampleRecipient, uploadAudience } from '../client/audience-upload';
import type { DemoConfig } from './demo-config';

const say = (text: string) => process.stdout.write(`${text}\n`);
export async function runDemo(config: DemoConfig): Promise<void> {
  // Loopback only, so plaintext, explicitly (see docs/operations.md for TLS).
  const cluster = new LocalCluster('relaycast-demo-', { plaintext: true });
  const deadline = setTimeout(() => {
    say(`demo: not finished within ${config.timeoutMs} ms; stopping`);
    void cluster.stopAll(1000).then(() => process.exit(1));
  }, config.timeoutMs);
  const closers: Array<() => void> = [];
  try {
    const suspectAfterMs = Math.max(50, Math.floor(config.downAfterMs / 2));
    const leaseTtlMs = Math.floor(config.downAfterMs * 0.75);
    const heartbeatIntervalMs = Math.min(500, Math.floor(leaseTtlMs / 3));
    const quiet = ['--log-level', 'warn'];
    const { address } = await cluster.startCoordinator(['--down-after-ms', String(config.downAfterMs), '--suspect-after-ms', String(suspectAfterMs), '--lease-ttl-ms', String(leaseTtlMs), '--heartbeat-interval-ms', String(heartbeatIntervalMs), ...quiet]);
    say(`coordinator listening on ${address} (data in ${cluster.dir})`);
    const gatewayProc = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', '--unreachable-suffixes', '13', ...quiet]);
    const gateway = (await gatewayProc.ready()).address;
    say(`gateway simulator on ${gateway} (recipients whose id ends in 13 are offline)`);

    const events: WatchEvent__Output[] = [];
    const listeners = new Set<() => void>();
    const members = membershipClient(address);
    closers.push(() => members.close());
    const stream = members.Watch({ clusterId: 'default', afterRevision: 0 });
    closers.push(() => stream.cancel());
    const started = performance.now();
    const stamp = () => `[+${((performance.now() - started) / 1000).toFixed(2)}s]`;
    stream.on('data', (event: WatchEvent__Output) => {
      events.push(event);
      const m = event.node!;
      const kind = m.kind === 'MEMBER_KIND_RELAY' ? 'relay' : 'node';
      say(`  ${stamp()} rev ${event.revision} ${event.type.replace('EVENT_TYPE_', '').padEnd(10)} ${kind} ${m.nodeKey} (epoch ${m.leaseEpoch}) ${event.reason}`);
      for (const listener of listeners) listener();
    });
    stream.on('error', () => undefined);
    const waitFor = (test: () => boolean, what: string, ms: number) => new Promise<void>((resolve, reject) => {
      if (test()) return resolve();
      const timer = setTimeout(() => reject(new Error(`demo: ${what} did not happen within ${ms} ms`)), ms);
      const listener = () => {
        if (!test()) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve();
      };
      listeners.add(listener);
    });

    const relays: string[] = [];
    for (let i = 1; i <= config.relays; i++) relays.push((await cluster.startRelay(`relay-${i}`, address, quiet)).address);
    if (relays.length > 0) say(`relays listening on ${relays.join(', ')}`);
    const nodes = [];
    for (let i = 1; i <= config.nodes; i++) {
      // Spread nodes over the relays; each falls back to the others, then to the coordinator.
      const preferred = relays.length === 0 ? [] : [...relays.slice((i - 1) % relays.length), ...relays.slice(0, (i - 1) % relays.length)];
      nodes.push(await cluster.startNode(`node-${i}`, { relays: preferred, coordinator: address }, ['--gateway', gateway, ...quiet]));
    }
    const registered = () => events.filter((e) => e.type === 'EVENT_TYPE_REGISTERED' && e.node?.kind === 'MEMBER_KIND_NODE').length;
    await waitFor(() => registered() >= config.nodes, `${config.nodes} registrations`, 15_000);
    const listed = await unary(members, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE' });
    say(`membership: ${listed.nodes.map((n) => `${n.nodeId}${n.relayId ? ` via ${n.relayId}` : ' direct'}`).join(', ')}`);

    const broadcasts = broadcastsClient(address);
    closers.push(() => broadcasts.close());
    say(`uploading an audience of ${config.recipients.toLocaleString('en')} recipients...`);
    const uploadId = await uploadAudience(broadcasts, config.recipients, sampleRecipient);
    const template = 'Hello {{name}}, your code is {{code}} ({{recipient.id}}).';
    const created = await unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template, uploadId, options: { shardSize: 10_000, onlyReachable: true }, requestId: `demo-${uploadId}` });
    const broadcastStarted = performance.now();
    say(`broadcast ${created.broadcastId}: template ${JSON.stringify(template)}, ${created.counts?.total} recipients, only reachable`);

    const victim = nodes[nodes.length - 1]!;
    const victimKey = `default/node-${config.nodes}`;
    let killedAt = 0;
    const final = await new Promise<Broadcast__Output>((resolve, reject) => {
      const watch = broadcasts.WatchBroadcast({ broadcastId: created.broadcastId, intervalMs: 1000 });
      closers.push(() => watch.cancel());
      let last: Broadcast__Output | undefined;
      watch.on('data', (b: Broadcast__Output) => {
        last = b;
        const c = b.counts!;
        const done = c.delivered + c.skippedUnreachable + c.deadLettered;
        const seconds = (performance.now() - broadcastStarted) / 1000;
        say(`  ${stamp()} ${b.state.replace('BROADCAST_STATE_', '').padEnd(9)} ${done.toLocaleString('en').padStart(9)}/${c.total.toLocaleString('en')}  delivered ${c.delivered}  skipped ${c.skippedUnreachable}  dead-lettered ${c.deadLettered}  in flight ${c.inFlight}  (${Math.round(done / Math.max(seconds, 0.001)).toLocaleString('en')}/s)`);
        if (killedAt === 0 && done >= c.total * 0.3) {
          killedAt = performance.now();
          say(`  kill -9 node-${config.nodes} (pid ${victim.pid}) mid-broadcast`);
          victim.kill('SIGKILL');
        }
      });
      watch.on('end', () => (last ? resolve(last) : reject(new Error('watch ended without a snapshot'))));
      watch.on('error', reject);
    });
    if (killedAt > 0) {
      await waitFor(() => events.some((e) => e.type === 'EVENT_TYPE_DOWN' && e.node?.nodeKey === victimKey), `DOWN of ${victimKey}`, config.downAfterMs + 10_000);
      const down = events.find((e) => e.type === 'EVENT_TYPE_DOWN' && e.node?.nodeKey === victimKey)!;
      say(`takeover: ${victimKey} was declared DOWN (${down.reason}); its unfinished ranges were cut up and handed to the surviving nodes`);
    }
    const c = final.counts!;
    const stats = await unary(gatewaySimulatorClient(gateway), 'GetStats', {});
    const seconds = (performance.now() - broadcastStarted) / 1000;
    say('');
    say(`broadcast ${final.state.replace('BROADCAST_STATE_', '')} in ${seconds.toFixed(1)} s`);
    say(`  delivered      ${c.delivered}`);
    say(`  skipped        ${c.skippedUnreachable} (offline recipients)`);
    say(`  dead-lettered  ${c.deadLettered}`);
    say(`  sum            ${c.delivered + c.skippedUnreachable + c.deadLettered} of ${c.total}`);
    say(`gateway: ${stats.uniqueDelivered} unique deliveries, ${stats.duplicates} duplicate attempts (absorbed by idempotency keys), ${stats.attempts} attempts in all`);
    if (final.state !== 'BROADCAST_STATE_COMPLETED' || c.delivered + c.skippedUnreachable + c.deadLettered !== c.total || stats.uniqueDelivered !== c.delivered) {
      throw new Error('demo: the broadcast did not add up');
    }
    say('demo: ok');
  } finally {
    for (const close of closers) close();
    await cluster.stopAll(3000);
    clearTimeout(deadline);
  }
}
