/**
 * npm run bench:broadcast — end-to-end broadcast throughput against the raw
 * grpc-js limit, measured side by side in one run on this machine.
 *
 * relaycast: coordinator + 1 relay + 4 nodes + gateway-sim, a 1,000,000-
 * recipient personalised broadcast (uploaded first; timed from create to
 * COMPLETED). raw: a bare grpc-js client streaming 500-item batches of the
 * same items to a bare server in another process.
 *
 * Env: BROADCAST_BENCH_RECIPIENTS (default 1000000), BROADCAST_BENCH_NODES (4).
 */
import * as path from 'node:path';
import { LocalCluster } from '../testing/local-cluster';
import { broadcastsClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import { sampleRecipient, uploadAudience } from '../client/audience-upload';
import { machine, processCpuMs, processRssMb, writeResult } from './measure';
import { measure } from './raw-grpc';

const RECIPIENTS = Number(process.env.BROADCAST_BENCH_RECIPIENTS ?? 1_000_000);
const NODES = Number(process.env.BROADCAST_BENCH_NODES ?? 4);

async function main(): Promise<void> {
  const cluster = new LocalCluster('relaycast-bench-bc-');
  try {
    // Raw limit first, alone on the machine, same item shape.
    const sink = cluster.spawnScript('raw-sink', path.join(__dirname, 'raw-grpc.js'), ['serve']);
    const sinkAddress = (await sink.ready()).address;
    const raw = await measure(sinkAddress, Math.min(RECIPIENTS, 1_000_000));
    await sink.stop();

    const quiet = ['--log-level', 'warn'];
    const { proc: coordinator, address } = await cluster.startCoordinator(quiet);
    const gatewayProc = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', ...quiet]);
    const gateway = (await gatewayProc.ready()).address;
    const relay = await cluster.startRelay('relay-1', address, quiet);
    for (let i = 1; i <= NODES; i++) await cluster.startNode(`node-${i}`, { relays: [relay.address] }, ['--gateway', gateway, ...quiet]);
    const client = broadcastsClient(address);
    const uploadStarted = Date.now();
    const uploadId = await uploadAudience(client, RECIPIENTS, sampleRecipient);
    const uploadSeconds = (Date.now() - uploadStarted) / 1000;

    let rssMaxMb = processRssMb(coordinator.pid);
    const sampler = setInterval(() => {
      rssMaxMb = Math.max(rssMaxMb, processRssMb(coordinator.pid));
    }, 250);
    const processes = cluster.running().filter((p) => !p.exited);
    const cpuBefore = new Map(processes.map((p) => [p.name, processCpuMs(p.pid)]));
    const started = Date.now();
    const created = await unary(client, 'CreateBroadcast', { clusterId: 'default', template: 'Hello {{name}}, your code is {{code}} ({{recipient.id}}).', uploadId, options: { shardSize: 25_000 } });
    const final = await new Promise<Broadcast__Output>((resolve, reject) => {
      // Snapshots every 100 ms, so the end is seen within 0.1 s (at 1 s the
      // measured time was ~0.5 s long on average); progress printed each second.
      const watch = client.WatchBroadcast({ broadcastId: created.broadcastId, intervalMs: 100 });
      let last: Broadcast__Output | undefined;
      let printedMs = 0;
      watch.on('data', (b: Broadcast__Output) => {
        last = b;
        if (Date.now() - printedMs < 1000 && b.state === 'BROADCAST_STATE_RUNNING') return;
        printedMs = Date.now();
        process.stderr.write(`broadcast: ${b.state} ${b.counts!.delivered}/${b.counts!.total}\n`);
      });
      watch.on('end', () => (last ? resolve(last) : reject(new Error('no snapshot'))));
      watch.on('error', reject);
    });
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const cpuMsByProcess = Object.fromEntries(processes.filter((p) => !p.exited).map((p) => [p.name, Math.round(processCpuMs(p.pid) - cpuBefore.get(p.name)!)]));
    const stats = await unary(gatewaySimulatorClient(gateway), 'GetStats', {});
    client.close();
    const rate = RECIPIENTS / seconds;
    const result = {
      benchmark: 'broadcast', machine: machine(), recipients: RECIPIENTS, nodes: NODES, relays: 1,
      state: final.state, counts: final.counts, uploadSeconds: Number(uploadSeconds.toFixed(1)),
      seconds: Number(seconds.toFixed(2)), rate: Math.round(rate), raw: Math.round(raw), ratio: Number((rate / raw).toFixed(3)),
      duplicates: stats.duplicates, uniqueDelivered: stats.uniqueDelivered, coordinatorRssMaxMb: rssMaxMb,
      cpuMsByProcess, cpuUsPerItem: Number((Object.values(cpuMsByProcess).reduce((a, b) => a + b, 0) * 1000 / RECIPIENTS).toFixed(1)),
    };
    writeResult('broadcast', result);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`broadcast: recipients=${RECIPIENTS} seconds=${result.seconds} rate=${result.rate} raw=${result.raw} ratio=${result.ratio} duplicates=${stats.duplicates} coordinator_rss_mb=${rssMaxMb}\n`);
  } finally {
    await cluster.stopAll(3000);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
