/**
 * `relaycast demo` (npm run demo): a local cluster on loopback, membership
 * events as they happen, a kill -9 and the time its detection took.
 */
import { performance } from 'node:perf_hooks';
import { LocalCluster } from '../shared/local-cluster';
import { membershipClient } from '../shared/client';
import type { WatchEvent__Output } from '../shared/generated/relaycast/v1/WatchEvent';
import type { DemoConfig } from './demo-config';

const say = (text: string) => process.stdout.write(`${text}\n`);

export async function runDemo(config: DemoConfig): Promise<void> {
  const cluster = new LocalCluster('relaycast-demo-');
  const deadline = setTimeout(() => {
    say(`demo: not finished within ${config.timeoutMs} ms; stopping`);
    void cluster.stopAll(1000).then(() => process.exit(1));
  }, config.timeoutMs);
  let watch: { cancel(): void } | undefined;
  try {
    const suspectAfterMs = Math.max(50, Math.floor(config.downAfterMs / 2));
    const leaseTtlMs = Math.floor(config.downAfterMs * 0.75);
    const heartbeatIntervalMs = Math.min(500, Math.floor(leaseTtlMs / 3));
    const { address } = await cluster.startCoordinator(['--down-after-ms', String(config.downAfterMs), '--suspect-after-ms', String(suspectAfterMs), '--lease-ttl-ms', String(leaseTtlMs), '--heartbeat-interval-ms', String(heartbeatIntervalMs), '--log-level', 'warn']);
    say(`coordinator listening on ${address} (data in ${cluster.dir})`);

    const events: WatchEvent__Output[] = [];
    const listeners = new Set<() => void>();
    const client = membershipClient(address);
    const stream = client.Watch({ clusterId: 'default', afterRevision: 0 });
    watch = stream;
    const started = performance.now();
    stream.on('data', (event: WatchEvent__Output) => {
      events.push(event);
      const m = event.node!;
      const via = m.kind === 'MEMBER_KIND_RELAY' ? 'relay' : 'node';
      say(`  [+${((performance.now() - started) / 1000).toFixed(2)}s] rev ${event.revision} ${event.type.replace('EVENT_TYPE_', '').padEnd(10)} ${via} ${m.nodeKey} (epoch ${m.leaseEpoch}) ${event.reason}`);
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
    for (let i = 1; i <= config.relays; i++) relays.push((await cluster.startRelay(`relay-${i}`, address, ['--log-level', 'warn'])).address);
    if (relays.length > 0) say(`relays listening on ${relays.join(', ')}`);

    const nodes = [];
    for (let i = 1; i <= config.nodes; i++) {
      // Spread nodes over the relays; each falls back to the others, then to the coordinator.
      const preferred = relays.length === 0 ? [] : [...relays.slice((i - 1) % relays.length), ...relays.slice(0, (i - 1) % relays.length)];
      nodes.push(await cluster.startNode(`node-${i}`, { relays: preferred, coordinator: address }, ['--log-level', 'warn']));
    }
    const registered = () => events.filter((e) => e.type === 'EVENT_TYPE_REGISTERED' && e.node?.kind === 'MEMBER_KIND_NODE').length;
    await waitFor(() => registered() >= config.nodes, `${config.nodes} registrations`, 15_000);

    const listed = await new Promise<string>((resolve, reject) => client.ListNodes({ clusterId: 'default', kind: 'MEMBER_KIND_NODE' }, (err, res) => (err ? reject(err) : resolve(res!.nodes.map((n) => `${n.nodeId}${n.relayId ? ` via ${n.relayId}` : ' direct'}`).join(', ')))));
    say(`membership: ${listed}`);

    const victim = nodes[nodes.length - 1]!;
    const victimKey = `default/node-${config.nodes}`;
    say(`kill -9 node-${config.nodes} (pid ${victim.pid}); coordinator down timeout ${config.downAfterMs} ms`);
    const killedAt = performance.now();
    victim.kill('SIGKILL');
    await waitFor(() => events.some((e) => e.type === 'EVENT_TYPE_DOWN' && e.node?.nodeKey === victimKey), `DOWN of ${victimKey}`, config.downAfterMs + 10_000);
    const detectionMs = performance.now() - killedAt;
    say(`detected: ${victimKey} DOWN ${Math.round(detectionMs)} ms after kill -9 (down timeout ${config.downAfterMs} ms)`);
    const falseDowns = events.filter((e) => e.type === 'EVENT_TYPE_DOWN' && e.node?.nodeKey !== victimKey).length;
    say(`demo: ok — ${config.nodes} nodes, ${config.relays} relays, detection ${Math.round(detectionMs)} ms, other DOWN events: ${falseDowns}`);
    stream.cancel();
    client.close();
  } finally {
    watch?.cancel();
    await cluster.stopAll(3000);
    clearTimeout(deadline);
  }
}
