/**
 * npm run bench:soak — does a coordinator that runs for months stay flat?
 *
 * One real coordinator (retention set short), the gateway simulator and two
 * nodes attached directly. Small broadcasts (20 recipients; every tenth
 * from an UploadAudience, each with a request id and one dead letter) are
 * created and completed one after another, --broadcasts of them.
 *
 * Measured after a warm-up against the end of the run:
 * - tick cost: CPU time of the coordinator's main thread (where its ticks
 *   run) per second of idle, in idle windows spread over the run (median
 *   of the first 10% of windows against the last 10%). Work per tick that
 *   grows with every broadcast ever created shows up here.
 * - RSS of the coordinator (/proc/<pid>/status) after a retention's worth
 *   of idle and a full garbage collection, after the warm-up and at the
 *   end, in the same process. The bench starts the coordinator with
 *   --expose-gc and a --require hook (written to the run's temp dir) that
 *   collects and reports process.memoryUsage() on SIGUSR2: without it, RSS
 *   in a run of minutes mostly shows how far V8 has let its old space grow
 *   before its first full collection (live heap stayed ~15 MB while RSS
 *   rose 90 → 140 MB). RSS and heap after a collection are also sampled in
 *   every idle window, and reported.
 * - store keys: the coordinator is stopped after the warm-up and at the end,
 *   each time after a retention's worth of idle, and its LevelDB is opened
 *   here and counted by key prefix (it cannot be opened while the
 *   coordinator runs); it is restarted on the same port after the warm-up.
 *
 * Prints the figures as JSON, then one line:
 *   soak: broadcasts=<n> tick_cost_ratio=<x> rss_ratio=<y> store_keys_ratio=<z>
 * The goal is every ratio ≤ 1.2.
 *
 * Flags: --broadcasts N (2000), --retention-ms MS (3000), --idle-window-ms
 * MS (2000), --samples N (30 idle windows).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { LocalCluster, ManagedProcess, relaycastBin } from '../testing/local-cluster';
import { broadcastsClient, unary } from '../client/client';
import { uploadAudience } from '../client/audience-upload';
import { LevelStore } from '../platform/store/level-store';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';
import { machine, processRssMb } from './measure';

const RECIPIENTS_EACH = 20;
/** Recipients whose id ends with this fail for good at the gateway simulator: one dead letter per broadcast. */
const DEAD_SUFFIX = '-dead';
/** Idle beyond the retention before keys are counted or the memory baseline is taken: every finished broadcast is past it. */
const SETTLE_IDLE_MS = 2000;
/** The settling idle covers at most this much of the retention. */
const SETTLE_RETENTION_MS_MAX = 60_000;
/** Time for the coordinator to finish a full collection after SIGUSR2 before its RSS is read. */
const GC_SETTLE_MS = 500;
/** Pause between the last broadcast and an idle window. */
const SETTLE_MS = 300;
/** Every broadcast must end within this long. */
const BROADCAST_TIMEOUT_MS = 30_000;

function options(): { broadcasts: number; retentionMs: number; idleWindowMs: number; samples: number } {
  const { values } = parseArgs({
    options: {
      broadcasts: { type: 'string', default: '2000' },
      'retention-ms': { type: 'string', default: '3000' },
      'idle-window-ms': { type: 'string', default: '2000' },
      samples: { type: 'string', default: '30' },
    },
  });
  const int = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
    return n;
  };
  const broadcasts = int('broadcasts', values.broadcasts, 20);
  const samples = int('samples', values.samples, 10);
  if (samples * 2 > broadcasts) throw new Error(`--samples ${samples} needs at least ${samples * 2} broadcasts`);
  return { broadcasts, retentionMs: int('retention-ms', values['retention-ms'], 1000), idleWindowMs: int('idle-window-ms', values['idle-window-ms'], 200), samples };
}

/** CPU time of a process's main thread in ms (/proc/<pid>/task/<pid>/schedstat: ns on the CPU). */
function mainThreadCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
  return Number(fields[0]) / 1e6;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function audience(n: number): Recipient[] {
  return Array.from({ length: RECIPIENTS_EACH }, (_, j) => ({
    id: j === RECIPIENTS_EACH - 1 ? `s${n}-r${j}${DEAD_SUFFIX}` : `s${n}-r${j}`,
    vars: [{ key: 'name', value: `name-${j}` }],
  }));
}

/**
 * Starts `relaycast coordinator <args>` with --expose-gc and a hook that
 * runs a full garbage collection on SIGUSR2 (bench only). Tracked by the
 * caller: LocalCluster.spawn cannot pass V8 flags.
 */
function spawnCoordinator(dir: string, args: string[]): ManagedProcess {
  const hook = path.join(dir, 'gc-on-sigusr2.js');
  fs.writeFileSync(hook, [
    "process.on('SIGUSR2', () => {",
    '  globalThis.gc();',
    '  const m = process.memoryUsage();',
    "  process.stderr.write(JSON.stringify({ soakMemory: { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers } }) + '\\n');",
    '});',
    '',
  ].join('\n'));
  const child = spawn(process.execPath, ['--expose-gc', '--require', hook, relaycastBin(), ...args], {
    env: { ...process.env, RELAYCAST_LOG_LEVEL: 'warn', RELAYCAST_PLAINTEXT: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ManagedProcess('coordinator', child);
}

interface MemoryMb {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** The coordinator's memory after a full collection, in MB (RSS from /proc; the rest as it reports it on SIGUSR2). */
async function memoryAfterGcMb(coordinator: ManagedProcess): Promise<MemoryMb> {
  const report = new Promise<string>((resolve) => {
    const stop = coordinator.onEachLine((line) => {
      if (!line.startsWith('{"soakMemory"')) return;
      stop();
      resolve(line);
    });
  });
  process.kill(coordinator.pid, 'SIGUSR2');
  const line = await Promise.race([report, sleep(5000).then(() => undefined)]);
  if (line === undefined) throw new Error('the coordinator did not report its memory within 5 s of SIGUSR2');
  await sleep(GC_SETTLE_MS);
  const m = (JSON.parse(line) as { soakMemory: Record<string, number> }).soakMemory;
  const mb = (bytes: number) => round(bytes / 2 ** 20, 1);
  return { rss: processRssMb(coordinator.pid), heapUsed: mb(m.heapUsed!), heapTotal: mb(m.heapTotal!), external: mb(m.external!) };
}

/** Waits for the broadcast's final snapshot. */
function finalState(client: BroadcastsClient, broadcastId: string): Promise<Broadcast__Output> {
  return new Promise((resolve, reject) => {
    const watch = client.WatchBroadcast({ broadcastId, intervalMs: 50 });
    let last: Broadcast__Output | undefined;
    const timer = setTimeout(() => {
      watch.cancel();
      reject(new Error(`broadcast ${broadcastId} not finished after ${BROADCAST_TIMEOUT_MS} ms (last: ${JSON.stringify(last?.counts)} ${last?.state})`));
    }, BROADCAST_TIMEOUT_MS);
    watch.on('data', (b: Broadcast__Output) => (last = b));
    watch.on('end', () => {
      clearTimeout(timer);
      if (last === undefined) reject(new Error(`no snapshot of ${broadcastId}`));
      else resolve(last);
    });
    watch.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Creates broadcast number n and waits until it completes; returns its id. */
async function runOne(client: BroadcastsClient, n: number): Promise<string> {
  const recipients = audience(n);
  const viaUpload = n % 10 === 0;
  const uploadId = viaUpload ? await uploadAudience(client, recipients.length, (i) => recipients[i]!) : '';
  const created = await unary(client, 'CreateBroadcast', {
    clusterId: 'default',
    template: 'Hello {{name}} ({{recipient.id}})',
    requestId: `soak-${n}`,
    ...(viaUpload ? { uploadId } : { audience: recipients }),
    options: { shardSize: 10 },
  });
  const final = await finalState(client, created.broadcastId);
  const c = final.counts!;
  if (final.state !== 'BROADCAST_STATE_COMPLETED' || Number(c.delivered) + Number(c.deadLettered) + Number(c.skippedUnreachable) !== RECIPIENTS_EACH || Number(c.deadLettered) !== 1) {
    throw new Error(`broadcast ${n} (${created.broadcastId}) ended ${final.state} with ${JSON.stringify(c)}`);
  }
  return created.broadcastId;
}

/** Keys in a LevelDB directory by prefix (up to the first '/'), opened while nothing else has it. */
async function countKeys(dataDir: string): Promise<{ total: number; byPrefix: Record<string, number>; events: string[] }> {
  const store = await LevelStore.open(dataDir);
  const byPrefix: Record<string, number> = {};
  /** The membership events kept (a few; bounded by --events-retained-max), to explain a change in the count. */
  const events: string[] = [];
  let total = 0;
  try {
    for await (const [key, value] of store.scan({})) {
      const slash = key.indexOf('/');
      const prefix = slash === -1 ? key : key.slice(0, slash + 1);
      byPrefix[prefix] = (byPrefix[prefix] ?? 0) + 1;
      total += 1;
      if (prefix === 'e/' && events.length < 20) {
        const event = JSON.parse(value) as { type: string; member: { key: string }; reason: string };
        events.push(`${event.type} ${event.member.key}: ${event.reason}`);
      }
    }
  } finally {
    await store.close();
  }
  return { total, byPrefix, events };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (n: number, digits = 3) => Number(n.toFixed(digits));

async function main(): Promise<void> {
  const opts = options();
  const cluster = new LocalCluster('relaycast-bench-soak-');
  const started = Date.now();
  /** Processes started outside the cluster's tracking, stopped before it. */
  const stopFirst: Array<() => Promise<unknown>> = [];
  try {
    const quiet = ['--log-level', 'warn'];
    const dataDir = path.join(cluster.dir, 'coordinator');
    // Lenient failure detection: on a loaded machine a SUSPECT/RECOVERED pair would add two event keys
    // to a store that holds five after the retention, and this bench is not about detection.
    const coordinatorArgs = (listen: string) => ['coordinator', '--listen', listen, '--data-dir', dataDir,
      '--broadcast-retention-ms', String(opts.retentionMs), '--member-retention-ms', String(Math.max(opts.retentionMs, 60_000)),
      '--suspect-after-ms', '5000', '--down-after-ms', '10000', '--lease-ttl-ms', '4000', ...quiet];
    // A retention's worth of idle and a bit (capped, so that a run with a long retention, to see the
    // figures without it, does not wait that long).
    const settleMs = Math.min(opts.retentionMs, SETTLE_RETENTION_MS_MAX) + SETTLE_IDLE_MS;
    const coordinators: ManagedProcess[] = [];
    let coordinator = spawnCoordinator(cluster.dir, coordinatorArgs('127.0.0.1:0'));
    coordinators.push(coordinator);
    stopFirst.push(() => Promise.all(coordinators.map((c) => c.stop(3000))));
    const address = (await coordinator.ready()).address;
    const gatewayProc = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', `--permanent-failure-suffixes=${DEAD_SUFFIX}`, ...quiet]);
    const gateway = (await gatewayProc.ready()).address;
    for (const id of ['node-1', 'node-2']) await cluster.startNode(id, { coordinator: address }, ['--gateway', gateway, ...quiet]);
    let client = broadcastsClient(address);

    const ids: string[] = [];
    let next = 0;
    const runUntil = async (count: number) => {
      for (; next < count; next++) {
        ids.push(await runOne(client, next));
        if (next % 100 === 99) process.stderr.write(`soak: ${next + 1}/${opts.broadcasts} broadcasts, ${Math.round((Date.now() - started) / 1000)} s\n`);
      }
    };
    /** Idle for a retention and a bit, so every finished broadcast is past it, then stop the coordinator and count its keys. */
    const settleAndCount = async () => {
      await sleep(settleMs);
      const memory = await memoryAfterGcMb(coordinator);
      client.close();
      const code = await coordinator.stop(10_000);
      if (code !== 0) throw new Error(`coordinator exited with ${code} on SIGTERM`);
      return { keys: await countKeys(dataDir), memory };
    };

    // Warm-up, then the first key count; the coordinator comes back on the same port.
    const warmup = Math.ceil(opts.broadcasts / 10);
    await runUntil(warmup);
    const { keys: keysAfterWarmup } = await settleAndCount();
    coordinator = spawnCoordinator(cluster.dir, coordinatorArgs(address));
    coordinators.push(coordinator);
    await coordinator.ready();
    client = broadcastsClient(address);
    // A second, shorter warm-up after the restart: the nodes re-attach, code paths get hot again.
    await runUntil(warmup + Math.ceil(opts.broadcasts / 20));
    // The memory baseline, taken as the end figure will be: after a retention's worth of idle.
    await sleep(settleMs);
    const memoryAfterWarmup = await memoryAfterGcMb(coordinator);

    // The measured run: idle windows spread evenly over the remaining broadcasts.
    const samples: Array<{ atBroadcast: number; cpuMsPerS: number; rssBeforeGcMb: number; afterGcMb: MemoryMb }> = [];
    const first = next;
    for (let s = 1; s <= opts.samples; s++) {
      await runUntil(first + Math.round(((opts.broadcasts - first) * s) / opts.samples));
      // The last broadcast's aftermath (final reports, checkpoint, watch end) is not idle.
      await sleep(SETTLE_MS);
      const cpuBefore = mainThreadCpuMs(coordinator.pid);
      const t0 = performance.now();
      await sleep(opts.idleWindowMs);
      const cpuMs = mainThreadCpuMs(coordinator.pid) - cpuBefore;
      const cpuMsPerS = round((cpuMs * 1000) / (performance.now() - t0));
      const rssBeforeGcMb = processRssMb(coordinator.pid);
      samples.push({ atBroadcast: next, cpuMsPerS, rssBeforeGcMb, afterGcMb: await memoryAfterGcMb(coordinator) });
    }
    // The first broadcast since the restart (purge tombstones live in memory): long past the retention by now.
    const purgedLookup = await unary(client, 'GetBroadcast', { broadcastId: ids[first]! }).then(
      (b) => `found: ${b.state}`,
      (err: Error) => err.message,
    );
    const { keys: keysAtEnd, memory: memoryAtEnd } = await settleAndCount();

    const tenth = Math.max(1, Math.round(samples.length / 10));
    const head = samples.slice(0, tenth);
    const tail = samples.slice(-tenth);
    const tickFirst = median(head.map((x) => x.cpuMsPerS));
    const tickLast = median(tail.map((x) => x.cpuMsPerS));
    const inRun = {
      rssAfterGcMb: { first: median(head.map((x) => x.afterGcMb.rss)), last: median(tail.map((x) => x.afterGcMb.rss)) },
      rssBeforeGcMb: { first: median(head.map((x) => x.rssBeforeGcMb)), last: median(tail.map((x) => x.rssBeforeGcMb)) },
      heapUsedAfterGcMb: { first: median(head.map((x) => x.afterGcMb.heapUsed)), last: median(tail.map((x) => x.afterGcMb.heapUsed)) },
    };
    const result = {
      benchmark: 'soak', machine: machine(), broadcasts: next, recipientsEach: RECIPIENTS_EACH, retentionMs: opts.retentionMs,
      seconds: Math.round((Date.now() - started) / 1000), idleWindowMs: opts.idleWindowMs,
      tickCostCpuMsPerIdleS: { first: tickFirst, last: tickLast },
      memoryAfterGcMb: { afterWarmup: memoryAfterWarmup, atEnd: memoryAtEnd },
      inRunMemoryMedians: inRun,
      storeKeys: { afterWarmup: keysAfterWarmup, atEnd: keysAtEnd },
      firstBroadcastLookup: purgedLookup,
      samples,
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    const ratio = (a: number, b: number) => (b > 0 ? round(a / b) : a > 0 ? Number.POSITIVE_INFINITY : 1);
    process.stdout.write(`soak: broadcasts=${next} tick_cost_ratio=${ratio(tickLast, tickFirst)} rss_ratio=${ratio(memoryAtEnd.rss, memoryAfterWarmup.rss)} store_keys_ratio=${ratio(keysAtEnd.total, keysAfterWarmup.total)}\n`);
  } finally {
    for (const stop of stopFirst) await stop();
    await cluster.stopAll(3000);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
