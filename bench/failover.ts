/**
 * npm run bench:failover — failure detection (kill -9 → DOWN event seen by a
 * watcher) and reassignment (DOWN → orders for the remainder sent, measured
 * inside the coordinator) over repeated kills, with a small and a large
 * audience in one run, to show that reassignment does not grow with the
 * audience (ranges are cut, not lists).
 *
 * A third run uses settings tuned for fast detection (heartbeat 100 ms,
 * DOWN after 400 ms, a 20 ms relay flush) under load — the broadcast runs
 * at full speed on the same two cores — and counts false DOWNs: DOWN events
 * of nodes nobody killed.
 *
 * Env: FAILOVER_BENCH_KILLS (default 20 per run),
 *      FAILOVER_BENCH_AUDIENCES (default 100000,5000000),
 *      FAILOVER_BENCH_TUNED_AUDIENCE (default 5000000; 0 skips the tuned run).
 */
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { adminClient, broadcastsClient, membershipClient, unary } from '../client/client';
import { sampleRecipient, uploadAudience } from '../client/audience-upload';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import { machine, writeResult } from './measure';

const KILLS = Number(process.env.FAILOVER_BENCH_KILLS ?? 20);
const AUDIENCES = (process.env.FAILOVER_BENCH_AUDIENCES ?? '100000,5000000').split(',').map(Number);
const NODES = 4;
/** Slow enough that the broadcast is still running through every kill. */
const RATE_PER_S = 1000;
const TUNED_AUDIENCE = Number(process.env.FAILOVER_BENCH_TUNED_AUDIENCE ?? 5_000_000);

interface Settings {
  name: 'defaults' | 'tuned';
  coordinator: string[];
  relay: string[];
  /** 0: as fast as the cluster can deliver (load). */
  ratePerS: number;
}

const DEFAULTS: Settings = { name: 'defaults', coordinator: [], relay: [], ratePerS: RATE_PER_S };
/** Detection in ≤ 500 ms: the lease (250 ms) still covers two heartbeats. */
const TUNED: Settings = {
  name: 'tuned',
  coordinator: ['--heartbeat-interval-ms', '100', '--suspect-after-ms', '200', '--lease-ttl-ms', '250', '--down-after-ms', '400', '--disconnected-down-margin-ms', '20'],
  relay: ['--relay-flush-ms', '20'],
  ratePerS: 0,
};

interface Run {
  settings: Settings['name'];
  audience: number;
  detectMs: number[];
  reassignMs: number[];
  /** DOWN events of nodes that were not killed. */
  falseDowns: number;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1));
}

async function runAudience(audience: number, settings: Settings = DEFAULTS): Promise<Run> {
  const cluster = new LocalCluster('relaycast-bench-fo-');
  const closers: Array<() => void> = [];
  try {
    const quiet = ['--log-level', 'warn'];
    const { address } = await cluster.startCoordinator([...settings.coordinator, ...quiet]);
    const gw = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', ...quiet]);
    const gateway = (await gw.ready()).address;
    const relay = await cluster.startRelay('relay-1', address, [...settings.relay, ...quiet]);
    const nodes = new Map<string, ManagedProcess>();
    let next = 1;
    const start = async () => {
      const id = `w${next++}`;
      nodes.set(id, await cluster.startNode(id, { relays: [relay.address] }, ['--gateway', gateway, ...quiet]));
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
    const isDown = (e: WatchEvent__Output, key: string) => e.type === 'EVENT_TYPE_DOWN' && e.node?.nodeKey === key;
    /** The first DOWN of `key` among the events from index `from` on (those after its kill). */
    const downOf = (key: string, from: number) => new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DOWN for ${key}`)), 15_000);
      const check = () => {
        if (!events.slice(from).some((e) => isDown(e, key))) return;
        clearTimeout(timer);
        watchers.delete(check);
        resolve(performance.now());
      };
      watchers.add(check);
      check();
    });

    process.stderr.write(`failover: uploading ${audience} recipients\n`);
    const uploadId = await uploadAudience(broadcasts, audience, sampleRecipient);
    const created = await unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template: 'Hi {{name}} {{code}}', uploadId, options: { shardSize: Math.ceil(audience / 16), rateLimitPerS: settings.ratePerS } });
    const detectMs: number[] = [];
    /** Node key → index in `events` at its kill: a DOWN before that is a false DOWN. */
    const killedAt = new Map<string, number>();
    for (let k = 0; k < KILLS; k++) {
      // Let the survivors pick up the work, then kill one that holds shards.
      await new Promise((resolve) => setTimeout(resolve, 700));
      const [id, proc] = [...nodes.entries()][0]!;
      nodes.delete(id);
      const key = `default/${id}`;
      killedAt.set(key, events.length);
      const killedMs = performance.now();
      proc.kill('SIGKILL');
      detectMs.push((await downOf(key, killedAt.get(key)!)) - killedMs);
      await start();
      process.stderr.write(`failover: ${settings.name}, audience ${audience} kill ${k + 1}/${KILLS}: detected in ${Math.round(detectMs[detectMs.length - 1]!)} ms\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const status = await unary(admin, 'GetStatus', {});
    await unary(broadcasts, 'CancelBroadcast', { broadcastId: created.broadcastId });
    // The coordinator times each takeover (DOWN → orders sent) and reports percentiles.
    const reassignMs = status.reassignments === 0 ? [] : [status.reassignP50Ms, status.reassignP99Ms];
    // A DOWN of a node nobody killed, or of a killed node before its kill.
    const falseDownEvents = events.filter((e, i) => e.type === 'EVENT_TYPE_DOWN' && e.node?.kind === 'MEMBER_KIND_NODE' && !(i >= (killedAt.get(e.node.nodeKey) ?? Infinity)));
    for (const e of falseDownEvents) process.stderr.write(`failover: ${settings.name}: false DOWN of ${e.node?.nodeKey}: ${e.reason}\n`);
    const falseDowns = falseDownEvents.length;
    if (status.reassignments === 0) process.stderr.write(`failover: ${settings.name}: no reassignment measured\n`);
    return { settings: settings.name, audience, detectMs, reassignMs, falseDowns };
  } finally {
    for (const close of closers) close();
    await cluster.stopAll(3000);
  }
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (const audience of AUDIENCES) runs.push(await runAudience(audience));
  const tuned = TUNED_AUDIENCE > 0 ? await runAudience(TUNED_AUDIENCE, TUNED) : undefined;
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
  const describe = (r: Run) => ({ settings: r.settings, audience: r.audience, detectP50Ms: percentile(r.detectMs, 0.5), detectP99Ms: percentile(r.detectMs, 0.99), detectMaxMs: percentile(r.detectMs, 1), reassignP50Ms: r.reassignMs[0], reassignP99Ms: r.reassignMs[1], falseDowns: r.falseDowns });
  const result = {
    benchmark: 'failover', machine: machine(), downAfterMs: 2000,
    runs: runs.map(describe),
    ...(tuned === undefined ? {} : { tuned: { ...describe(tuned), flags: { coordinator: TUNED.coordinator, relay: TUNED.relay }, rate: 'unlimited' } }),
    summary,
  };
  writeResult('failover', result);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (tuned !== undefined) {
    const t = describe(tuned);
    process.stdout.write(`failover-tuned: detect_p50_ms=${t.detectP50Ms} detect_p99_ms=${t.detectP99Ms} false_downs=${t.falseDowns} reassign_p99_ms=${t.reassignP99Ms}\n`);
  }
  process.stdout.write(`failover: detect_p50_ms=${summary.detectP50Ms} detect_p99_ms=${summary.detectP99Ms} reassign_p50_ms=${summary.reassignP50Ms} reassign_p99_ms=${summary.reassignP99Ms} audience_ratio_effect=${summary.audienceRatioEffect}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
