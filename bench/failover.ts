/**
 * npm run bench:failover — failure detection (kill -9 → DOWN event seen by a
 * watcher) and reassignment (DOWN → orders for the remainder sent, measured
 * inside the coordinator) over repeated kills, with a small and a large
 * audience in one run, to show that reassignment does not grow with the
 * audience (ranges are cut, not lists).
 *
 * Env: FAILOVER_BENCH_KILLS (default 20 per audience),
 *      FAILOVER_BENCH_AUDIENCES (default 100000,5000000).
 */
import * as path from 'node:path';
import { LocalCluster, type ManagedProcess } from '../shared/local-cluster';
import { adminClient, broadcastsClient, membershipClient, unary } from '../shared/client';
import { sampleRecipient, uploadAudience } from '../shared/audience-upload';
import type { WatchEvent__Output } from '../shared/generated/relaycast/v1/WatchEvent';
import { machine, writeResult } from './measure';

const KILLS = Number(process.env.FAILOVER_BENCH_KILLS ?? 20);
const AUDIENCES = (process.env.FAILOVER_BENCH_AUDIENCES ?? '100000,5000000').split(',').map(Number);
const NODES = 4;
/** Slow enough that the broadcast is still running through every kill. */
const RATE_PER_S = 1000;

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1));
}

async function runAudience(audience: number): Promise<{ audience: number; detectMs: number[]; reassignMs: number[] }> {
  const cluster = new LocalCluster('relaycast-bench-fo-');
  const closers: Array<() => void> = [];
  try {
    const quiet = ['--log-level', 'warn'];
    const { address } = await cluster.startCoordinator(quiet);
    const gw = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', ...quiet]);
    const gateway = (await gw.ready()).address;
    const relay = await cluster.startRelay('relay-1', address, quiet);
    const nodes = new Map<string, ManagedProcess>();
    let next = 1;
    const start = async () => {
      const id = `w${next++}`;
      nodes.set(id, await cluster.startNode(id, { relays: [relay.address] }, ['--gateway', gateway, '--data-dir', path.join(cluster.dir, 'nodes'), ...quiet]));
    };
    for (let i = 0; i < NODES; i++) await start();
    const members = membershipClient(address);
    const admin = adminClient(address);
    const broadcasts = broadcastsClient(address);
    closers.push(() => members.close(), () => admin.close(), () => broadcasts.close());
    const events: WatchEvent__Output[] = [];
    const watchers = new Set<() => void>();
    const watch = members.Watch({ clusterId: 'default' });
    closers.push(() => watch.cancel());
    watch.on('data', (e: WatchEvent__Output) => {
      events.push(e);
      for (const w of watchers) w();
    });
    watch.on('error', () => undefined);
    const downOf = (key: string) => new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DOWN for ${key}`)), 15_000);
      const check = () => {
        if (!events.some((e) => e.type === 'EVENT_TYPE_DOWN' && e.node?.nodeKey === key)) return;
        clearTimeout(timer);
        watchers.delete(check);
        resolve(performance.now());
      };
      watchers.add(check);
      check();
    });

    process.stderr.write(`failover: uploading ${audience} recipients\n`);
    const uploadId = await uploadAudience(broadcasts, audience, sampleRecipient);
    const created = await unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template: 'Hi {{name}} {{code}}', uploadId, options: { shardSize: Math.ceil(audience / 16), rateLimitPerS: RATE_PER_S } });
    const detectMs: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      // Let the survivors pick up the work, then kill one that holds shards.
      await new Promise((resolve) => setTimeout(resolve, 700));
      const [id, proc] = [...nodes.entries()][0]!;
      nodes.delete(id);
      const killedAt = performance.now();
      proc.kill('SIGKILL');
      detectMs.push((await downOf(`default/${id}`)) - killedAt);
      await start();
      process.stderr.write(`failover: audience ${audience} kill ${k + 1}/${KILLS}: detected in ${Math.round(detectMs[detectMs.length - 1]!)} ms\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const status = await unary(admin, 'GetStatus', {});
    await unary(broadcasts, 'CancelBroadcast', { broadcastId: created.broadcastId });
    // The coordinator times each takeover (DOWN → orders sent) and reports percentiles.
    const reassignMs = status.reassignments === 0 ? [] : [status.reassignP50Ms, status.reassignP99Ms];
    return { audience, detectMs, reassignMs };
  } finally {
    for (const close of closers) close();
    await cluster.stopAll(3000);
  }
}

async function main(): Promise<void> {
  const runs = [];
  for (const audience of AUDIENCES) runs.push(await runAudience(audience));
  const detect = runs.flatMap((r) => r.detectMs);
  const small = runs[0]!;
  const large = runs[runs.length - 1]!;
  const summary = {
    kills: detect.length,
    detectP50Ms: percentile(detect, 0.5),
    detectP99Ms: percentile(detect, 0.99),
    reassignP50Ms: Math.max(...runs.map((r) => r.reassignMs[0] ?? NaN)),
    reassignP99Ms: Math.max(...runs.map((r) => r.reassignMs[1] ?? NaN)),
    audienceRatioEffect: Number(((large.reassignMs[0] ?? NaN) / (small.reassignMs[0] ?? NaN)).toFixed(2)),
  };
  const result = { benchmark: 'failover', machine: machine(), downAfterMs: 2000, runs: runs.map((r) => ({ audience: r.audience, detectP50Ms: percentile(r.detectMs, 0.5), detectP99Ms: percentile(r.detectMs, 0.99), detectMaxMs: percentile(r.detectMs, 1), reassignP50Ms: r.reassignMs[0], reassignP99Ms: r.reassignMs[1] })), summary };
  writeResult('failover', result);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`failover: detect_p50_ms=${summary.detectP50Ms} detect_p99_ms=${summary.detectP99Ms} reassign_p50_ms=${summary.reassignP50Ms} reassign_p99_ms=${summary.reassignP99Ms} audience_ratio_effect=${summary.audienceRatioEffect}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
