/**
 * npm run bench:heartbeat — coordinator cost of liveness, relayed vs direct,
 * side by side in one run. For each N, the same simulated leaves (1 Hz)
 * talk first through relays, then directly to a fresh coordinator; we
 * measure the coordinator's CPU time per packet (from /proc), its RSS, and
 * any SUSPECT/DOWN during the steady window (false: nobody died).
 *
 * Options (env): HEARTBEAT_BENCH_SIZES=1000,10000,50000,100000
 *                HEARTBEAT_BENCH_WINDOW_MS=10000
 */
import * as path from 'node:path';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { adminClient, unary } from '../client/client';
import { machine, processCpuMs, processRssMb, writeResult } from './measure';

const SIZES = (process.env.HEARTBEAT_BENCH_SIZES ?? '1000,5000,10000,50000,100000').split(',').map(Number);
const WINDOW_MS = Number(process.env.HEARTBEAT_BENCH_WINDOW_MS ?? 10_000);
const LEAVES_PER_SIM = 25_000;
const LEAVES_PER_RELAY = 25_000;
const INTERVAL_MS = 1000;
const RELAY_FLUSH_MS = 100; // the relay default
/**
 * The simulators (bench/leaf-sim.ts, bench/relay-sim.ts) pace by timer
 * ticks here, as in every recorded run: a simulator that falls behind sends
 * less, and the run shows it as packets below the expected rate.
 */
const SIM_FLAGS = ['--cluster', 'bench', '--pace', 'ticks'];
/** The end-to-end mode runs the leaves and relays on this machine too: only up to here. */
const END_TO_END_MAX = Number(process.env.HEARTBEAT_BENCH_E2E_MAX ?? 10_000);
// 1 Hz liveness: suspect after 3 missed packets, down after 5.
const COORDINATOR_FLAGS = ['--heartbeat-interval-ms', '1000', '--suspect-after-ms', '3000', '--lease-ttl-ms', '4000', '--down-after-ms', '5000', '--log-level', 'warn'];

type Mode = 'relayed' | 'direct' | 'end-to-end';

interface RunResult {
  mode: Mode;
  leaves: number;
  held: boolean;
  reason?: string;
  registerMs?: number;
  packets?: number;
  cpuMs?: number;
  usPerPacket?: number;
  cpuCorePct?: number;
  rssMb?: number;
  falseEvents?: number;
}

/**
 * relayed: simulated relays (bench/relay-sim.ts) send the coordinator what
 * real relays would for N leaves — the coordinator's cost in isolation.
 * direct: N simulated leaves (bench/leaf-sim.ts) talk to the coordinator.
 * end-to-end: real relay processes between leaf-sims and the coordinator;
 * on one 2-core machine the leaves and relays compete with the coordinator,
 * so this mode shows where the whole path holds on this box.
 */
async function runOne(mode: Mode, leaves: number): Promise<RunResult> {
  const cluster = new LocalCluster('relaycast-bench-hb-');
  const admin: { close(): void }[] = [];
  try {
    const { proc: coordinator, address } = await cluster.startCoordinator(COORDINATOR_FLAGS);
    const client = adminClient(address);
    admin.push(client);
    const targets: string[] = [];
    const relays = Math.max(1, Math.ceil(leaves / LEAVES_PER_RELAY));
    if (mode === 'end-to-end') {
      for (let r = 0; r < relays; r++) targets.push((await cluster.startRelay(`relay-${r}`, address, ['--log-level', 'warn', '--cluster', 'bench'])).address);
    } else {
      targets.push(address);
    }
    const started = Date.now();
    const sims: ManagedProcess[] = [];
    if (mode === 'relayed') {
      for (let r = 0; r < relays; r++) {
        const n = Math.min(LEAVES_PER_RELAY, leaves - r * LEAVES_PER_RELAY);
        sims.push(cluster.spawnScript(`relay-sim ${r}`, path.join(__dirname, 'relay-sim.js'), [address, `relay-${r}`, String(n), String(INTERVAL_MS), String(RELAY_FLUSH_MS), ...SIM_FLAGS]));
      }
    } else {
      const simCount = Math.ceil(leaves / LEAVES_PER_SIM);
      for (let s = 0; s < simCount; s++) {
        const n = Math.min(LEAVES_PER_SIM, leaves - s * LEAVES_PER_SIM);
        sims.push(cluster.spawnScript(`leaf-sim ${s}`, path.join(__dirname, 'leaf-sim.js'), [targets[s % targets.length]!, String(n), `s${s}`, String(INTERVAL_MS), ...SIM_FLAGS]));
      }
    }
    try {
      await Promise.all(sims.map((sim) => sim.ready(120_000)));
    } catch (err) {
      return { mode, leaves, held: false, reason: `not all leaves registered: ${(err as Error).message.split('\n')[0]}` };
    }
    const registerMs = Date.now() - started;
    // Let the first full round of liveness pass before measuring.
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_MS));
    const before = await unary(client, 'GetStatus', { clusterId: 'bench' });
    const cpuBefore = processCpuMs(coordinator.pid);
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const cpuAfter = processCpuMs(coordinator.pid);
    const elapsed = Date.now() - t0;
    const after = await unary(client, 'GetStatus', { clusterId: 'bench' });
    const packets = after.livenessPacketsTotal - before.livenessPacketsTotal;
    const cpuMs = cpuAfter - cpuBefore;
    // No member registers or leaves in the window: every event in it is a false SUSPECT/DOWN/RECOVERED.
    const falseEvents = after.revision - before.revision;
    const down = after.members.filter((m) => m.state !== 'NODE_STATE_ALIVE' && m.kind === 'MEMBER_KIND_NODE').reduce((a, m) => a + m.count, 0);
    const expected = leaves * (elapsed / INTERVAL_MS);
    const held = falseEvents === 0 && down === 0 && packets >= expected * 0.9;
    return {
      mode, leaves, held,
      ...(held ? {} : { reason: `false events ${falseEvents}, not alive ${down}, packets ${packets} of ~${Math.round(expected)}` }),
      registerMs, packets, cpuMs: Math.round(cpuMs),
      usPerPacket: Number(((cpuMs * 1000) / Math.max(1, packets)).toFixed(2)),
      cpuCorePct: Number(((cpuMs / elapsed) * 100).toFixed(1)),
      rssMb: processRssMb(coordinator.pid),
      falseEvents,
    };
  } finally {
    for (const c of admin) c.close();
    await cluster.stopAll(3000);
  }
}

async function main(): Promise<void> {
  const results: RunResult[] = [];
  const stopped = { relayed: false, direct: false, 'end-to-end': false };
  for (const n of SIZES) {
    for (const mode of ['relayed', 'direct', 'end-to-end'] as const) {
      if (stopped[mode] || (mode === 'end-to-end' && n > END_TO_END_MAX)) continue;
      // A coordinator swamped past answering (its status call times out) did not hold.
      const result = await runOne(mode, n).catch((err: Error): RunResult => ({ mode, leaves: n, held: false, reason: `coordinator did not answer: ${err.message.split('\n')[0]}` }));
      results.push(result);
      process.stderr.write(`heartbeat ${mode} N=${n}: ${JSON.stringify(result)}\n`);
      if (!result.held) stopped[mode] = true;
    }
  }
  const held = (mode: string) => results.filter((r) => r.mode === mode && r.held);
  const largestBoth = Math.max(0, ...held('relayed').map((r) => r.leaves).filter((n) => held('direct').some((d) => d.leaves === n)));
  const at = (mode: string, n: number) => results.find((r) => r.mode === mode && r.leaves === n);
  const direct = at('direct', largestBoth)?.usPerPacket ?? NaN;
  const relayed = at('relayed', largestBoth)?.usPerPacket ?? NaN;
  const maxRelayed = Math.max(0, ...held('relayed').map((r) => r.leaves));
  const falseDowns = results.reduce((a, r) => a + (r.held ? r.falseEvents ?? 0 : 0), 0);
  const endToEnd = Math.max(0, ...held('end-to-end').map((r) => r.leaves));
  const summary = { maxLeavesEndToEndOnThisMachine: endToEnd, directUsPerPacket: direct, relayedUsPerPacket: relayed, ratio: Number((direct / relayed).toFixed(1)), comparedAtLeaves: largestBoth, maxLeavesRelayed: maxRelayed, falseDowns };
  const output = { benchmark: 'heartbeat', intervalMs: INTERVAL_MS, windowMs: WINDOW_MS, machine: machine(), results, summary };
  writeResult('heartbeat', output);
  process.stdout.write(JSON.stringify(output, null, 2) + '\n');
  process.stdout.write(`heartbeat: direct=${direct} relayed=${relayed} ratio=${summary.ratio} max_leaves_relayed=${maxRelayed} false_downs=${falseDowns}\n`);
}


main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
