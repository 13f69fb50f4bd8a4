/**
 * npm run bench:vs-etcd — the same membership workload against relaycast
 * and against etcd 3.4, side by side in one run (docs/bench-vs-etcd.md).
 *
 * For each N (members) and each system:
 *  - register all N members (timed);
 *  - steady window (default 30 s): spurious DOWNs / lease expiries (must be
 *    0), server CPU % and RSS, simulator (client) CPU %, keepalive rates;
 *  - detection: stop 50 random members (they go silent), time until one
 *    watcher sees each of them gone (p50/p99/max).
 * A system stops at the first N it cannot hold: a spurious DOWN/expiry or a
 * lost lease (during registration too), renewals below 90 % of the expected
 * rate, a member missing at the end, a stopped member not seen gone, or
 * registration not done in time (30 s + N/250 s).
 *
 * Systems:
 *  - `relaycast`: simulated nodes (bench/leaf-sim.ts, one NodeSession
 *    stream each, liveness every 500 ms) → real relay processes (one per
 *    25,000 members) → coordinator (heartbeat 500 ms, down after 2 s).
 *    Server = coordinator + relays. Watcher: Membership.Watch DOWN events.
 *  - `relaycast-coordinator`: the coordinator alone, fed by simulated relays
 *    (bench/relay-sim.ts, as bench/heartbeat.ts's relayed mode), i.e.
 *    the central component's cost when relays run on other machines.
 *    Server = coordinator.
 *  - `etcd`: one etcd member (Debian's etcd-server, installed when missing),
 *    N leases of TTL 2 s (its minimum) each bound to one key under a prefix,
 *    kept alive like etcd's Go client (bench/vs-etcd-etcd-sim.ts: one
 *    LeaseKeepAlive stream per client of 5,000 leases, 500 ms send loop,
 *    next keepalive at TTL/3 after a response). Server = etcd. Watcher: a
 *    Watch on the prefix, DELETE events.
 *
 * CLI: node dist/bench/vs-etcd.js [--sizes 1000,5000] [--steady-s 30]
 *      [--warmup-s 3] [--stop 50] [--systems relaycast,relaycast-coordinator,etcd]
 *      [--etcd-loop-ms 500] [--etcd-leases-per-client 5000]
 *      [--etcd-register-concurrency 10] [--members-per-sim 25000]
 *      [--register-timeout-s S] [--no-write]
 * Prints the results JSON, a table, and as its last line:
 *   vs-etcd: max_members relaycast=<N> etcd=<N> detect_p99_ms relaycast=<ms> etcd=<ms> cpu_per_member_ratio=<x>
 * (relaycast = the `relaycast` system; detection p99 and the ratio are taken
 * at the largest N both relaycast and etcd held; the ratio is etcd's server
 * CPU per member over relaycast's).
 *
 * Library: `runVsEtcd(options)` (all options optional; see VsEtcdOptions)
 * resolves with a VsEtcdResult (it throws only on bad options; when etcd
 * cannot be installed, etcdVersion says why and only relaycast runs);
 * `abortVsEtcd()` stops whatever a running call has started:
 *   { at, benchmark: 'vs-etcd', machine: { cores, memoryGb, node },
 *     config: { sizes, steadyS, warmupS, stopMembers, systems, heartbeatIntervalMs,
 *               downAfterMs, etcdTtlS, etcdLoopMs, etcdKeepaliveIntervalMs, ... },
 *     etcdVersion,
 *     runs: RunResult[]  // one per (system, N) tried, in order
 *       { system, members, held, reason?, registerMs,
 *         steady?: { seconds, serverCpuPct, serverCpuUsPerMemberS, serverCpuUsPerPacket, serverRssMb,
 *                    server: [{ name, cpuPct, rssMb }], clientCpuPct,
 *                    packetsPerS, expectedPacketsPerS, renewedPerS,
 *                    spuriousDowns, suspects, lostLeases, machineCpuPct, otherCpuPct, loadAvg },
 *         detection?: { stopped, seen, p50Ms, p99Ms, maxMs, spurious } },
 *     summary: { maxMembers: { relaycast, 'relaycast-coordinator', etcd },
 *                comparedAtMembers, detectP99Ms: { relaycast, etcd },
 *                serverCpuUsPerMemberS: { relaycast, etcd }, cpuPerMemberRatio,
 *                coordinatorOnly: { comparedAtMembers, cpuPerMemberRatio, detectP99Ms } },
 *     lastLine }
 * CPU % is of one core (100 = one core busy). With `write` (default true) the
 * result also goes to bench/results/<resultName>.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { LocalCluster } from '../testing/local-cluster';
import { adminClient, membershipClient, unary } from '../client/client';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import { machine, processCpuMs, processRssMb, writeResult } from './measure';
import { ensureEtcd, etcdVersion as readEtcdVersion, otherEtcdPids, startEtcd, type EtcdInstance } from './etcd-server';
import { etcdServices, prefixRangeEnd, type WatchResponse } from './etcd-proto';
import { Sim, track, trackedProcesses, type SimStats } from './vs-etcd-control';

export type System = 'relaycast' | 'relaycast-coordinator' | 'etcd';
export const SYSTEMS: readonly System[] = ['relaycast', 'relaycast-coordinator', 'etcd'];

export interface VsEtcdOptions {
  /** Member counts, tried in increasing order. Default 1k, 5k, 10k, 20k, 50k, 100k. */
  sizes: number[];
  /** Steady window, s. Default 30. */
  steadyS: number;
  /** Settling time between registration and the steady window, s. Default 3. */
  warmupS: number;
  /** Members stopped for the detection measurement. Default 50. */
  stopMembers: number;
  /** Systems to run. Default all three. */
  systems: System[];
  /** Members per simulator process (all systems). Default 25,000. */
  membersPerSim: number;
  /** relaycast: members per relay (real or simulated). Default 25,000. */
  membersPerRelay: number;
  /** etcd: leases per client (one connection, one keepalive stream). Default 5,000. */
  etcdLeasesPerClient: number;
  /** etcd: the client's keepalive send loop period, ms (Go: 500). Default 500. */
  etcdLoopMs: number;
  /** etcd: members registering at once (LeaseGrant, then Put) per simulator process. Default 10. */
  etcdRegisterConcurrency: number;
  /** Registration must finish within this many seconds; default 30 + N/250. */
  registerTimeoutS: number | undefined;
  /** Detection gives up after this long, s. Default 15. */
  detectTimeoutS: number;
  /** Write bench/results/<resultName>.json. Default true. */
  write: boolean;
  resultName: string;
  /** Progress lines. Default: stderr. */
  log: (line: string) => void;
}

export interface SteadyResult {
  seconds: number;
  /** Server CPU, % of one core: coordinator + relays (relaycast), coordinator (relaycast-coordinator), etcd. */
  serverCpuPct: number;
  /** Server CPU µs per member per second of wall time. */
  serverCpuUsPerMemberS: number;
  /** Server CPU µs per keepalive/liveness packet the members sent (relaycast members send 2/s, etcd's Go client ≈1/s). */
  serverCpuUsPerPacket: number;
  /** Server RSS, MB (sum over server processes; the largest 1 s sample). */
  serverRssMb: number;
  server: { name: string; cpuPct: number; rssMb: number }[];
  /** Simulator processes' CPU, % of one core. */
  clientCpuPct: number;
  /** Keepalive/liveness packets sent by the members, per s. */
  packetsPerS: number;
  expectedPacketsPerS: number;
  /** Renewals received by the members, per s. */
  renewedPerS: number;
  /** relaycast: liveness packets the coordinator accepted, per s. */
  coordinatorPacketsPerS?: number;
  /** DOWN (relaycast) / DELETE (etcd) events seen by the watcher from the end of registration to the end of the window. */
  spuriousDowns: number;
  /** relaycast only: SUSPECT events in the same span (no etcd equivalent; not a failure). */
  suspects: number;
  /** Times the watcher's stream ended and was resumed from its last revision. */
  watchResumed: number;
  /** Leases the members lost while alive (relaycast LeaseLost/rejection, etcd TTL <= 0). */
  lostLeases: number;
  /** Whole machine CPU busy during the window, % of one core (all cores: cores × 100). */
  machineCpuPct: number;
  /** Machine CPU not used by this benchmark's processes (other work on a shared box), % of one core. */
  otherCpuPct: number;
  loadAvg: number[];
}

export interface DetectionResult {
  stopped: number;
  seen: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** DOWN/DELETE events for members that were not stopped, during detection. */
  spurious: number;
}

export interface RunResult {
  system: System;
  members: number;
  held: boolean;
  reason?: string;
  registerMs?: number;
  steady?: SteadyResult;
  detection?: DetectionResult;
}

export interface VsEtcdResult {
  at: string;
  benchmark: 'vs-etcd';
  machine: { cores: number; memoryGb: number; node: string };
  config: Record<string, unknown>;
  etcdVersion: string;
  runs: RunResult[];
  summary: {
    maxMembers: Record<System, number>;
    comparedAtMembers: number;
    detectP99Ms: { relaycast: number | null; etcd: number | null };
    serverCpuUsPerMemberS: { relaycast: number | null; etcd: number | null };
    cpuPerMemberRatio: number | null;
    coordinatorOnly: { comparedAtMembers: number; cpuPerMemberRatio: number | null; detectP99Ms: { relaycastCoordinator: number | null; etcd: number | null } };
  };
  lastLine: string;
}

const DEFAULTS: VsEtcdOptions = {
  sizes: [1000, 5000, 10_000, 20_000, 50_000, 100_000],
  steadyS: 30,
  warmupS: 3,
  stopMembers: 50,
  systems: [...SYSTEMS],
  membersPerSim: 25_000,
  membersPerRelay: 25_000,
  etcdLeasesPerClient: 5000,
  etcdLoopMs: 500,
  etcdRegisterConcurrency: 10,
  registerTimeoutS: undefined,
  detectTimeoutS: 15,
  write: true,
  resultName: 'vs-etcd',
  log: (line) => process.stderr.write(`${line}\n`),
};

const CLUSTER = 'bench';
const HEARTBEAT_INTERVAL_MS = 500;
const DOWN_AFTER_MS = 2000;
/** The coordinator's defaults, spelled out: heartbeat 500 ms, suspect 1 s, lease 1.5 s, down 2 s. */
const COORDINATOR_FLAGS = ['--heartbeat-interval-ms', String(HEARTBEAT_INTERVAL_MS), '--suspect-after-ms', '1000', '--lease-ttl-ms', '1500', '--down-after-ms', String(DOWN_AFTER_MS), '--log-level', 'warn'];
const RELAY_FLUSH_MS = 100; // the relay default
/**
 * The member simulators (bench/leaf-sim.ts, bench/relay-sim.ts): paced by
 * the clock, so a busy simulator does not lower the rate it offers, and
 * driven over the control channel (stats, stopping members).
 */
const SIM_FLAGS = ['--cluster', CLUSTER, '--pace', 'clock', '--control'];
/** Registration paced at 10,000 attaches/s per simulated relay (see bench/relay-sim.ts --attaches-per-batch). */
const RELAY_SIM_ATTACHES_PER_BATCH = 1000;
const ETCD_TTL_S = 2; // etcd's minimum TTL with default election timeout (1 s): ceil(1.5 × 1 s)
const ETCD_KEY_PREFIX = '/vs-etcd/members/';
/** Detection: the member stops are spread over this long (one etcd keepalive interval, two relaycast ones). */
const DETECT_SPREAD_MS = 1000;
/** A system holds N when its members' renewals reach this share of the expected rate. */
const KEEP_UP_SHARE = 0.9;

/** Per-member keepalive interval of etcd's Go client: the first send-loop turn after response + TTL/3. */
export function etcdKeepaliveIntervalMs(ttlS: number, loopMs: number): number {
  return loopMs * Math.ceil((ttlS * 1000) / 3 / loopMs);
}

// ---------------------------------------------------------------------------
// Measurement helpers

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function machineJiffies(): { busy: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function safeCpuMs(pid: number): number {
  try {
    return processCpuMs(pid);
  } catch {
    return NaN;
  }
}

function safeRssMb(pid: number): number {
  try {
    return processRssMb(pid);
  } catch {
    return NaN;
  }
}

function sumStats(all: SimStats[]): SimStats {
  return all.reduce((a, s) => ({ sent: a.sent + s.sent, renewed: a.renewed + s.renewed, lost: a.lost + s.lost, errors: a.errors + s.errors, live: a.live + s.live }), { sent: 0, renewed: 0, lost: 0, errors: 0, live: 0 });
}

/** Random distinct indices in [0, n). */
function pick(n: number, k: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(k, n)) chosen.add(Math.floor(Math.random() * n));
  return [...chosen].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------
// One system under test, behind one interface

/** A member the watcher reports gone, by name, at the watcher's clock. */
interface Watcher {
  /** name → first time seen gone. */
  gone: Map<string, number>;
  downs: number;
  suspects: number;
  /** Times the watch stream ended and was resumed from the last revision seen. */
  resumed: number;
  close(): void;
}

interface Deployment {
  /** Server processes to measure. */
  server: { name: string; pid: number }[];
  sims: Sim[];
  /** Simulator index and member index inside it → the name the watcher reports. */
  memberName(sim: number, member: number): string;
  membersPerSim: number;
  expectedPacketsPerS: number;
  startWatcher(): Promise<Watcher>;
  /** Extra measurements for the steady window (relaycast: packets the coordinator accepted). */
  counters?(): Promise<{ coordinatorPackets: number }>;
  /** Every member is still registered and alive at the server (after the window). */
  allAlive(): Promise<{ ok: boolean; detail: string }>;
  stop(): Promise<void>;
}

function spawnSims(count: number, perSim: number, name: string, script: string, args: (sim: number, members: number) => string[]): Sim[] {
  const sims: Sim[] = [];
  for (let s = 0; s * perSim < count; s++) {
    const n = Math.min(perSim, count - s * perSim);
    sims.push(new Sim(`${name} ${s}`, path.join(__dirname, script), args(s, n)));
  }
  return sims;
}

interface WatchStream {
  on(event: 'error' | 'end', listener: () => void): unknown;
  cancel(): void;
}

/**
 * A watcher over one stream at a time: `start` opens a stream and handles
 * its data; a stream that ends or fails is opened again after 50 ms (counted
 * in `resumed`) until close(), which also closes the client. Returns the
 * watcher and its open() (call it once to begin).
 */
function resubscribingWatcher(start: () => WatchStream, closeClient: () => void): { watcher: Watcher; open: () => void } {
  let closed = false;
  let call: WatchStream | undefined;
  const watcher: Watcher = { gone: new Map(), downs: 0, suspects: 0, resumed: 0, close: () => { closed = true; call?.cancel(); closeClient(); } };
  const open = () => {
    const current = start();
    call = current;
    const reopen = () => {
      if (closed || call !== current) return;
      call = undefined;
      watcher.resumed += 1;
      setTimeout(() => { if (!closed) open(); }, 50);
    };
    current.on('error', reopen);
    current.on('end', reopen);
  };
  return { watcher, open };
}

function relaycastWatcher(address: string): Promise<Watcher> {
  const client = membershipClient(address);
  let lastRevision: number | undefined;
  const { watcher, open } = resubscribingWatcher(() => {
    // A watcher the coordinator ends (e.g. too far behind) resumes after the last revision it saw, as a client should.
    const current = client.Watch(lastRevision === undefined ? { clusterId: CLUSTER } : { clusterId: CLUSTER, afterRevision: lastRevision });
    current.on('data', (event: WatchEvent__Output) => {
      lastRevision = event.revision;
      if (event.node?.kind !== 'MEMBER_KIND_NODE') return;
      if (event.type === 'EVENT_TYPE_DOWN') {
        watcher.downs += 1;
        if (!watcher.gone.has(event.node.nodeId)) watcher.gone.set(event.node.nodeId, Date.now());
      } else if (event.type === 'EVENT_TYPE_SUSPECT') {
        watcher.suspects += 1;
      }
    });
    return current;
  }, () => client.close());
  open();
  // The watch is registered once the coordinator counts it.
  const admin = adminClient(address);
  return (async () => {
    try {
      for (let i = 0; i < 50; i++) {
        const status = await unary(admin, 'GetStatus', { clusterId: CLUSTER });
        if (status.watchers > 0) break;
        await sleep(100);
      }
    } finally {
      admin.close();
    }
    return watcher;
  })();
}

async function deployRelaycast(members: number, options: VsEtcdOptions, simulatedRelays: boolean, cluster: LocalCluster): Promise<Deployment> {
  const { proc: coordinator, address } = await cluster.startCoordinator(COORDINATOR_FLAGS);
  const relayCount = Math.max(1, Math.ceil(members / options.membersPerRelay));
  const server = [{ name: 'coordinator', pid: coordinator.pid }];
  let sims: Sim[];
  let perSim: number;
  let memberName: (sim: number, member: number) => string;
  if (simulatedRelays) {
    perSim = options.membersPerRelay;
    sims = spawnSims(members, perSim, 'relay-sim', 'relay-sim.js', (s, n) => [address, `relay-${s}`, String(n), String(HEARTBEAT_INTERVAL_MS), String(RELAY_FLUSH_MS), ...SIM_FLAGS, '--attaches-per-batch', String(RELAY_SIM_ATTACHES_PER_BATCH)]);
    memberName = (s, i) => `relay-${s}-${i}`;
  } else {
    const relays: string[] = [];
    for (let r = 0; r < relayCount; r++) {
      const relay = await cluster.startRelay(`relay-${r}`, address, ['--log-level', 'warn', '--cluster', CLUSTER]);
      relays.push(relay.address);
      server.push({ name: `relay-${r}`, pid: relay.proc.pid });
    }
    perSim = options.membersPerSim;
    sims = spawnSims(members, perSim, 'leaf-sim', 'leaf-sim.js', (s, n) => [relays[s % relays.length]!, String(n), `s${s}`, String(HEARTBEAT_INTERVAL_MS), ...SIM_FLAGS]);
    memberName = (s, i) => `s${s}-${i}`;
  }
  const admin = adminClient(address);
  return {
    server,
    sims,
    memberName,
    membersPerSim: perSim,
    expectedPacketsPerS: (members * 1000) / HEARTBEAT_INTERVAL_MS,
    startWatcher: () => relaycastWatcher(address),
    counters: async () => ({ coordinatorPackets: (await unary(admin, 'GetStatus', { clusterId: CLUSTER })).livenessPacketsTotal }),
    allAlive: async () => {
      const status = await unary(admin, 'GetStatus', { clusterId: CLUSTER });
      const alive = status.members.filter((m) => m.kind === 'MEMBER_KIND_NODE' && m.state === 'NODE_STATE_ALIVE').reduce((a, m) => a + m.count, 0);
      return { ok: alive === members, detail: `${alive} of ${members} nodes ALIVE` };
    },
    stop: async () => {
      admin.close();
      await Promise.all(sims.map((s) => s.close()));
      await cluster.stopAll(3000);
    },
  };
}

function etcdWatcher(address: string): Promise<Watcher> {
  const client = new (etcdServices().Watch)(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  let lastRevision: number | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('etcd watch not created within 10 s')), 10_000);
    const { watcher, open } = resubscribingWatcher(() => {
      const current = client.Watch();
      current.on('data', (response: WatchResponse) => {
        if (response.created) {
          clearTimeout(timer);
          resolve(watcher);
        }
        if (response.header) lastRevision = Number(response.header.revision);
        for (const event of response.events) {
          if (event.type.toUpperCase() !== 'DELETE' || !event.kv) continue;
          watcher.downs += 1;
          const name = event.kv.key.toString().slice(ETCD_KEY_PREFIX.length);
          if (!watcher.gone.has(name)) watcher.gone.set(name, Date.now());
        }
        if (response.canceled) current.cancel();
      });
      current.write({ create_request: { key: Buffer.from(ETCD_KEY_PREFIX), range_end: prefixRangeEnd(ETCD_KEY_PREFIX), ...(lastRevision !== undefined ? { start_revision: lastRevision + 1 } : {}) } });
      return current;
    }, () => client.close());
    open();
  });
}

async function deployEtcd(members: number, options: VsEtcdOptions, etcd: EtcdInstance): Promise<Deployment> {
  const kv = new (etcdServices().KV)(etcd.address, grpc.credentials.createInsecure());
  const sims = spawnSims(members, options.membersPerSim, 'etcd-sim', 'vs-etcd-etcd-sim.js', (s, n) => [
    etcd.address, String(n), `s${s}`, ETCD_KEY_PREFIX, String(ETCD_TTL_S), String(options.etcdLeasesPerClient), String(options.etcdLoopMs), String(options.etcdRegisterConcurrency),
  ]);
  return {
    server: [{ name: 'etcd', pid: etcd.proc.pid }],
    sims,
    memberName: (s, i) => `s${s}-${i}`,
    membersPerSim: options.membersPerSim,
    expectedPacketsPerS: (members * 1000) / etcdKeepaliveIntervalMs(ETCD_TTL_S, options.etcdLoopMs),
    startWatcher: () => etcdWatcher(etcd.address),
    allAlive: async () => {
      const response = await new Promise<{ count: string }>((resolve, reject) =>
        kv.Range({ key: Buffer.from(ETCD_KEY_PREFIX), range_end: prefixRangeEnd(ETCD_KEY_PREFIX), count_only: true }, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res))));
      const count = Number(response.count);
      return { ok: count === members, detail: `${count} of ${members} member keys present` };
    },
    stop: async () => {
      kv.close();
      await Promise.all(sims.map((s) => s.close()));
      await etcd.stop();
    },
  };
}

// ---------------------------------------------------------------------------
// One (system, N) run

/** Cleanups for whatever is running now, for an interrupted benchmark. */
const active = new Set<() => Promise<void>>();

async function runOne(system: System, members: number, options: VsEtcdOptions, etcdBinary: string | undefined): Promise<RunResult> {
  const log = options.log;
  let deployment: Deployment | undefined;
  let watcher: Watcher | undefined;
  const cluster = system === 'etcd' ? undefined : new LocalCluster('relaycast-vs-etcd-');
  const cleanup = async () => {
    watcher?.close();
    if (deployment) await deployment.stop();
    else if (cluster) await cluster.stopAll(3000);
  };
  active.add(cleanup);
  try {
    const started = Date.now();
    if (system === 'etcd') {
      const etcd = await startEtcd(etcdBinary!);
      track(etcd.proc);
      deployment = await deployEtcd(members, options, etcd).catch(async (err: unknown) => {
        await etcd.stop();
        throw err;
      });
    } else {
      deployment = await deployRelaycast(members, options, system === 'relaycast-coordinator', cluster!).finally(() => cluster!.running().forEach(track));
    }
    const dep = deployment;
    const registerStarted = Date.now();
    const registerTimeoutMs = (options.registerTimeoutS ?? 30 + members / 250) * 1000;
    // Registration ends when every simulator is ready; it fails at once when a
    // member loses its lease meanwhile (a spurious expiry), or at the timeout.
    const ready = Promise.all(dep.sims.map((sim) => sim.proc.ready(registerTimeoutMs)));
    let registered = false;
    let readyError: Error | undefined;
    ready.then(() => (registered = true), (err: Error) => (readyError = err));
    while (!registered && readyError === undefined) {
      await sleep(500);
      if (registered || readyError !== undefined) break;
      const live = dep.sims.filter((s) => !s.proc.exited);
      const stats = sumStats(await Promise.all(live.map((s) => s.stats().catch(() => ({ sent: 0, renewed: 0, lost: 0, errors: 0, live: 0 })))));
      if (stats.lost > 0) return { system, members, held: false, reason: `${stats.lost} leases lost during registration (${stats.live} of ${members} registered and alive after ${Math.round((Date.now() - registerStarted) / 1000)} s)` };
      const exited = dep.sims.find((s) => s.proc.exited);
      if (exited !== undefined) readyError = new Error(`${exited.proc.name} exited: ${exited.proc.lines.filter((l) => !l.startsWith('{')).slice(-1)[0] ?? 'no message'}`);
    }
    if (readyError !== undefined) {
      const stats = sumStats(await Promise.all(dep.sims.filter((s) => !s.proc.exited).map((s) => s.stats().catch(() => ({ sent: 0, renewed: 0, lost: 0, errors: 0, live: 0 })))));
      const exited = dep.sims.find((s) => s.proc.exited);
      const why = exited !== undefined ? `${exited.proc.name} exited: ${exited.proc.lines.filter((l) => !l.startsWith('{')).slice(-1)[0] ?? 'no message'}` : readyError.message.split('\n')[0];
      return { system, members, held: false, reason: `registration failed after ${Math.round((Date.now() - registerStarted) / 1000)} s (${stats.live} of ${members} alive, ${stats.lost} lost): ${why}` };
    }
    const registerMs = Date.now() - registerStarted;
    log(`vs-etcd ${system} N=${members}: registered in ${registerMs} ms (deployed in ${registerStarted - started} ms)`);

    watcher = await dep.startWatcher();
    await sleep(options.warmupS * 1000);

    // Steady window.
    const serverPids = dep.server.map((s) => s.pid);
    const clientPids = dep.sims.map((s) => s.pid);
    const cpuServer0 = serverPids.map(safeCpuMs);
    const cpuClient0 = clientPids.map(safeCpuMs);
    const self0 = process.cpuUsage();
    const jiffies0 = machineJiffies();
    const stats0 = sumStats(await Promise.all(dep.sims.map((s) => s.stats())));
    const counters0 = dep.counters ? await dep.counters() : undefined;
    const t0 = Date.now();
    const rssMax = dep.server.map(() => 0);
    while (Date.now() - t0 < options.steadyS * 1000) {
      await sleep(Math.min(1000, options.steadyS * 1000 - (Date.now() - t0)));
      serverPids.forEach((pid, k) => (rssMax[k] = Math.max(rssMax[k]!, safeRssMb(pid))));
    }
    const cpuServer1 = serverPids.map(safeCpuMs);
    const cpuClient1 = clientPids.map(safeCpuMs);
    const self1 = process.cpuUsage(self0);
    const jiffies1 = machineJiffies();
    const elapsedMs = Date.now() - t0;
    const stats1 = sumStats(await Promise.all(dep.sims.map((s) => s.stats())));
    const counters1 = dep.counters ? await dep.counters() : undefined;
    const seconds = elapsedMs / 1000;
    const pct = (ms: number) => round((ms / elapsedMs) * 100);
    const serverCpuMs = cpuServer1.reduce((a, v, k) => a + v - cpuServer0[k]!, 0);
    const clientCpuMs = cpuClient1.reduce((a, v, k) => a + v - cpuClient0[k]!, 0);
    const cores = os.cpus().length;
    const machineCpuPct = round(((jiffies1.busy - jiffies0.busy) / Math.max(1, jiffies1.total - jiffies0.total)) * cores * 100);
    const selfCpuMs = (self1.user + self1.system) / 1000;
    const steady: SteadyResult = {
      seconds: round(seconds),
      serverCpuPct: pct(serverCpuMs),
      serverCpuUsPerMemberS: round((serverCpuMs * 1000) / seconds / members, 3),
      serverCpuUsPerPacket: round((serverCpuMs * 1000) / Math.max(1, stats1.sent - stats0.sent), 2),
      serverRssMb: rssMax.reduce((a, b) => a + b, 0),
      server: dep.server.map((s, k) => ({ name: s.name, cpuPct: pct(cpuServer1[k]! - cpuServer0[k]!), rssMb: rssMax[k]! })),
      clientCpuPct: pct(clientCpuMs),
      packetsPerS: Math.round((stats1.sent - stats0.sent) / seconds),
      expectedPacketsPerS: Math.round(dep.expectedPacketsPerS),
      renewedPerS: Math.round((stats1.renewed - stats0.renewed) / seconds),
      ...(counters0 && counters1 ? { coordinatorPacketsPerS: Math.round((counters1.coordinatorPackets - counters0.coordinatorPackets) / seconds) } : {}),
      spuriousDowns: watcher.downs,
      suspects: watcher.suspects,
      watchResumed: watcher.resumed,
      lostLeases: stats1.lost,
      machineCpuPct,
      otherCpuPct: Math.max(0, round(machineCpuPct - pct(serverCpuMs + clientCpuMs + selfCpuMs))),
      loadAvg: os.loadavg().map((l) => round(l, 2)),
    };
    const alive = await dep.allAlive().catch((err: Error) => ({ ok: false, detail: `cannot check: ${err.message}` }));
    const problems: string[] = [];
    if (steady.spuriousDowns > 0) problems.push(`${steady.spuriousDowns} spurious ${system === 'etcd' ? 'expiries (DELETE)' : 'DOWN'}`);
    if (steady.lostLeases > 0) problems.push(`${steady.lostLeases} leases lost`);
    if (steady.renewedPerS < KEEP_UP_SHARE * steady.expectedPacketsPerS) problems.push(`renewals ${steady.renewedPerS}/s of ${steady.expectedPacketsPerS}/s expected`);
    if (!alive.ok) problems.push(alive.detail);
    log(`vs-etcd ${system} N=${members}: steady ${JSON.stringify(steady)}`);
    if (problems.length > 0) return { system, members, held: false, reason: problems.join('; '), registerMs, steady };

    // Detection: stop random members, time until the watcher sees each gone.
    // The stops are spread evenly over DETECT_SPREAD_MS, so that they fall at
    // every phase of the members' keepalive cycles (etcd's Go client renews a
    // client's leases in bursts; stopping all at one instant would measure one phase).
    const victims = pick(members, options.stopMembers);
    const downsBefore = watcher.downs;
    const stoppedAt = new Map<string, number>();
    await Promise.all(victims.map(async (v, k) => {
      await sleep((k * DETECT_SPREAD_MS) / victims.length);
      const s = Math.floor(v / dep.membersPerSim);
      const i = v % dep.membersPerSim;
      const at = await dep.sims[s]!.stopMembers([i]);
      stoppedAt.set(dep.memberName(s, i), at);
    }));
    const deadline = Date.now() + options.detectTimeoutS * 1000;
    const w = watcher;
    while (Date.now() < deadline && [...stoppedAt.keys()].some((name) => !w.gone.has(name))) await sleep(20);
    const latencies = [...stoppedAt].filter(([name]) => w.gone.has(name)).map(([name, at]) => w.gone.get(name)! - at).sort((a, b) => a - b);
    const detection: DetectionResult = {
      stopped: stoppedAt.size,
      seen: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies[latencies.length - 1] ?? NaN),
      spurious: w.downs - downsBefore - latencies.length,
    };
    log(`vs-etcd ${system} N=${members}: detection ${JSON.stringify(detection)}`);
    const detectProblems: string[] = [];
    if (detection.seen < detection.stopped) detectProblems.push(`only ${detection.seen} of ${detection.stopped} stopped members seen gone within ${options.detectTimeoutS} s`);
    if (detection.spurious > 0) detectProblems.push(`${detection.spurious} spurious during detection`);
    return { system, members, held: detectProblems.length === 0, ...(detectProblems.length > 0 ? { reason: detectProblems.join('; ') } : {}), registerMs, steady, detection };
  } catch (err) {
    // A simulator that exited says why (e.g. a relay link refused because the relay was declared DOWN).
    const exited = deployment?.sims.find((sim) => sim.proc.exited);
    const why = exited !== undefined ? `${exited.proc.name} exited: ${exited.proc.lines.filter((l) => !l.startsWith('{')).slice(-1)[0] ?? 'no message'}` : (err as Error).message.split('\n')[0];
    return { system, members, held: false, reason: `failed: ${why}` };
  } finally {
    active.delete(cleanup);
    await cleanup().catch((err: Error) => log(`vs-etcd ${system} N=${members}: cleanup: ${err.message}`));
  }
}

// ---------------------------------------------------------------------------
// The whole comparison

/** Stops whatever a running runVsEtcd() has started (for a caller that is interrupted). */
export async function abortVsEtcd(): Promise<void> {
  await Promise.allSettled([...active].map((cleanup) => cleanup()));
}

export async function runVsEtcd(partial: Partial<VsEtcdOptions> = {}): Promise<VsEtcdResult> {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<VsEtcdOptions>;
  const options: VsEtcdOptions = { ...DEFAULTS, ...given };
  const sizes = [...options.sizes].sort((a, b) => a - b);
  for (const n of sizes) if (!Number.isInteger(n) || n < options.stopMembers || n < 1) throw new Error(`vs-etcd: bad size ${n} (must be an integer ≥ --stop ${options.stopMembers})`);
  const log = options.log;
  let etcdBinary: string | undefined;
  let etcdVersion = 'not run';
  const systems = [...options.systems];
  if (systems.includes('etcd')) {
    try {
      etcdBinary = ensureEtcd(log);
      const others = otherEtcdPids();
      if (others.length > 0) log(`vs-etcd: note: other etcd processes are running (pids ${others.join(', ')}); they share the CPU`);
      etcdVersion = readEtcdVersion(etcdBinary);
    } catch (err) {
      // The relaycast side still runs; the result says why etcd did not.
      etcdVersion = `unavailable: ${(err as Error).message}`;
      log(`vs-etcd: etcd ${etcdVersion}; running relaycast only`);
      systems.splice(systems.indexOf('etcd'), 1);
    }
  }
  const runs: RunResult[] = [];
  const stopped = new Set<System>();
  for (const n of sizes) {
    for (const system of SYSTEMS) {
      if (!systems.includes(system) || stopped.has(system)) continue;
      const result = await runOne(system, n, options, etcdBinary);
      runs.push(result);
      log(`vs-etcd ${system} N=${n}: ${result.held ? 'holds' : `does not hold: ${result.reason}`}`);
      if (!result.held) stopped.add(system);
    }
  }

  const held = (system: System) => runs.filter((r) => r.system === system && r.held);
  const maxOf = (system: System) => Math.max(0, ...held(system).map((r) => r.members));
  const at = (system: System, n: number) => runs.find((r) => r.system === system && r.members === n && r.held);
  const largestCommon = (a: System, b: System) => Math.max(0, ...held(a).map((r) => r.members).filter((n) => at(b, n) !== undefined));
  const common = largestCommon('relaycast', 'etcd');
  const cpu = (system: System, n: number) => at(system, n)?.steady?.serverCpuUsPerMemberS ?? null;
  const p99 = (system: System, n: number) => at(system, n)?.detection?.p99Ms ?? null;
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? round(a / b, 2) : null);
  const commonCoord = largestCommon('relaycast-coordinator', 'etcd');
  const summary: VsEtcdResult['summary'] = {
    maxMembers: { relaycast: maxOf('relaycast'), 'relaycast-coordinator': maxOf('relaycast-coordinator'), etcd: maxOf('etcd') },
    comparedAtMembers: common,
    detectP99Ms: { relaycast: p99('relaycast', common), etcd: p99('etcd', common) },
    serverCpuUsPerMemberS: { relaycast: cpu('relaycast', common), etcd: cpu('etcd', common) },
    cpuPerMemberRatio: ratio(cpu('etcd', common), cpu('relaycast', common)),
    coordinatorOnly: {
      comparedAtMembers: commonCoord,
      cpuPerMemberRatio: ratio(cpu('etcd', commonCoord), cpu('relaycast-coordinator', commonCoord)),
      detectP99Ms: { relaycastCoordinator: p99('relaycast-coordinator', commonCoord), etcd: p99('etcd', commonCoord) },
    },
  };
  const fmt = (x: number | null) => (x === null ? 'n/a' : String(x));
  const lastLine = `vs-etcd: max_members relaycast=${summary.maxMembers.relaycast} etcd=${summary.maxMembers.etcd} detect_p99_ms relaycast=${fmt(summary.detectP99Ms.relaycast)} etcd=${fmt(summary.detectP99Ms.etcd)} cpu_per_member_ratio=${fmt(summary.cpuPerMemberRatio)}`;
  const result: VsEtcdResult = {
    at: new Date().toISOString(),
    benchmark: 'vs-etcd',
    machine: machine(),
    config: {
      sizes,
      steadyS: options.steadyS,
      warmupS: options.warmupS,
      stopMembers: options.stopMembers,
      systems: options.systems,
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      downAfterMs: DOWN_AFTER_MS,
      coordinatorFlags: COORDINATOR_FLAGS,
      relayFlushMs: RELAY_FLUSH_MS,
      membersPerSim: options.membersPerSim,
      membersPerRelay: options.membersPerRelay,
      etcdTtlS: ETCD_TTL_S,
      etcdLoopMs: options.etcdLoopMs,
      etcdKeepaliveIntervalMs: etcdKeepaliveIntervalMs(ETCD_TTL_S, options.etcdLoopMs),
      etcdLeasesPerClient: options.etcdLeasesPerClient,
      etcdRegisterConcurrency: options.etcdRegisterConcurrency,
      keepUpShare: KEEP_UP_SHARE,
    },
    etcdVersion,
    runs,
    summary,
    lastLine,
  };
  if (options.write) {
    const { at: _at, ...rest } = result;
    writeResult(options.resultName, rest);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Output

function cell(x: number | undefined | null, digits = 1): string {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A Markdown table of the runs. */
export function vsEtcdTable(result: VsEtcdResult): string {
  const lines = [
    '| system | members | holds | register s | server CPU % | server µs/member/s | server RSS MB | client CPU % | packets/s | spurious | detect p50 / p99 / max ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of result.runs) {
    const s = r.steady;
    const d = r.detection;
    lines.push(`| ${r.system} | ${r.members.toLocaleString('en-US')} | ${r.held ? 'yes' : `no: ${r.reason ?? ''}`} | ${cell(r.registerMs === undefined ? undefined : r.registerMs / 1000)} | ${cell(s?.serverCpuPct)} | ${cell(s?.serverCpuUsPerMemberS, 2)} | ${cell(s?.serverRssMb, 0)} | ${cell(s?.clientCpuPct)} | ${cell(s?.packetsPerS, 0)} | ${s ? s.spuriousDowns + s.lostLeases : '—'} | ${d ? `${cell(d.p50Ms, 0)} / ${cell(d.p99Ms, 0)} / ${cell(d.maxMs, 0)}` : '—'} |`);
  }
  return lines.join('\n');
}

function parseArgs(argv: string[]): Partial<VsEtcdOptions> {
  const options: Partial<VsEtcdOptions> = {};
  const number = (flag: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value) || value < min) throw new Error(`${flag} needs a number ≥ ${min}, got ${text}`);
    return value;
  };
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k]!;
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = () => inline ?? argv[++k];
    switch (name) {
      case '--sizes': options.sizes = (value() ?? '').split(',').filter((s) => s !== '').map((s) => number('--sizes', s, 1)); break;
      case '--steady-s': options.steadyS = number(name, value(), 1); break;
      case '--warmup-s': options.warmupS = number(name, value(), 0); break;
      case '--stop': options.stopMembers = number(name, value(), 1); break;
      case '--systems': {
        const systems = (value() ?? '').split(',').filter((s) => s !== '');
        for (const s of systems) if (!SYSTEMS.includes(s as System)) throw new Error(`--systems: unknown system ${s} (known: ${SYSTEMS.join(', ')})`);
        options.systems = systems as System[];
        break;
      }
      case '--etcd-loop-ms': options.etcdLoopMs = number(name, value(), 1); break;
      case '--etcd-leases-per-client': options.etcdLeasesPerClient = number(name, value(), 1); break;
      case '--etcd-register-concurrency': options.etcdRegisterConcurrency = number(name, value(), 1); break;
      case '--members-per-sim': options.membersPerSim = number(name, value(), 1); break;
      case '--register-timeout-s': options.registerTimeoutS = number(name, value(), 1); break;
      case '--no-write': options.write = false; break;
      case '--help': case '-h':
        process.stdout.write('usage: node dist/bench/vs-etcd.js [--sizes 1000,5000,...] [--steady-s 30] [--warmup-s 3] [--stop 50] [--systems relaycast,relaycast-coordinator,etcd] [--etcd-loop-ms 500] [--etcd-leases-per-client 5000] [--etcd-register-concurrency 10] [--members-per-sim 25000] [--register-timeout-s S] [--no-write]\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${flag} (try --help)`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  let options: Partial<VsEtcdOptions>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`vs-etcd: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`vs-etcd: ${signal}: stopping everything started\n`);
    void abortVsEtcd().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const result = await runVsEtcd(options);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\n${vsEtcdTable(result)}\n\n`);
  process.stdout.write(`${result.lastLine}\n`);
  process.exit(0);
}

// Nothing we started outlives us, even on a crash.
process.on('exit', () => {
  for (const p of trackedProcesses()) if (!p.exited) p.child.kill('SIGKILL');
});

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  });
}
