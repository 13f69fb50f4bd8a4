/**
 * Renders bench/results/REPORT.md and its SVG charts (vega-lite) from the
 * result files in bench/results/ — without running anything, so the report
 * can be re-rendered at any time:
 *
 *   npm run build && node dist/bench/report.js
 *
 * Every figure is shown with the command that produced it, the machine it
 * ran on and its goal from the brief's "Figures to beat" table; a goal not
 * met says NOT met. A result file that is missing is reported as missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

// ---------------------------------------------------------------------------
// Result files (only the fields the report reads; every field may be absent)

interface Machine {
  cores: number;
  memoryGb: number;
  node: string;
}

interface ResultBase {
  at?: string;
  benchmark?: string;
  machine?: Machine;
  /** The command that produced the file (set by bench/all.ts and bench/restart.ts). */
  command?: string;
}

interface HeartbeatRun {
  mode: 'relayed' | 'direct' | 'end-to-end';
  leaves: number;
  held: boolean;
  reason?: string;
  usPerPacket?: number;
  cpuCorePct?: number;
  rssMb?: number;
  falseEvents?: number;
}

interface HeartbeatResult extends ResultBase {
  intervalMs?: number;
  results: HeartbeatRun[];
  summary: { directUsPerPacket: number | null; relayedUsPerPacket: number | null; ratio: number | null; comparedAtLeaves: number; maxLeavesRelayed: number; falseDowns: number };
}

interface BroadcastResult extends ResultBase {
  recipients: number;
  nodes?: number;
  rate: number;
  raw: number;
  ratio: number;
  duplicates: number;
  seconds: number;
  coordinatorRssMaxMb?: number;
}

interface FailoverResult extends ResultBase {
  downAfterMs?: number;
  runs: Array<{ audience: number; detectP50Ms: number; detectP99Ms: number; detectMaxMs: number; reassignP50Ms?: number | null; reassignP99Ms?: number | null }>;
  summary: { kills: number; detectP50Ms: number; detectP99Ms: number; reassignP50Ms: number | null; reassignP99Ms: number | null; audienceRatioEffect: number | null };
  /** The run on settings tuned for fast detection, under full-speed delivery. */
  tuned?: { audience: number; detectP50Ms: number; detectP99Ms: number; detectMaxMs: number; falseDowns: number; flags?: { coordinator: string[]; relay: string[] } };
}

interface VsEtcdRun {
  system: string;
  members: number;
  held: boolean;
  reason?: string;
  steady?: { serverCpuPct?: number; serverCpuUsPerMemberS?: number; serverRssMb?: number; spuriousDowns?: number; lostLeases?: number };
  detection?: { p50Ms?: number; p99Ms?: number; maxMs?: number; seen?: number; stopped?: number };
}

interface VsEtcdResult extends ResultBase {
  config?: { heartbeatIntervalMs?: number; etcdKeepaliveIntervalMs?: number; etcdTtlS?: number; steadyS?: number };
  etcdVersion?: string;
  runs: VsEtcdRun[];
  summary?: {
    maxMembers?: Record<string, number>;
    comparedAtMembers?: number;
    detectP99Ms?: { relaycast: number | null; etcd: number | null };
    cpuPerMemberRatio?: number | null;
  };
}

interface RestartResult extends ResultBase {
  audience: number;
  nodes?: number;
  uploadSeconds?: number;
  rssBeforeMaxMb?: number;
  completion?: { state: string; countsAddUp: boolean; gatewayUniqueDelivered: number; gatewayDuplicates: number; rssMaxToCompletionMb?: number };
  summary: { audience: number; servingMs: number; resumedMs: number; rssBeforeMb: number; rssAfterMb: number; deliveredBeforeKill: number; deliveredLoaded: number; checkpointKept: boolean; nothingLost?: boolean };
}

interface ChaosResult extends ResultBase {
  ok?: boolean;
  audience?: number;
  lost?: number;
  seed?: number;
  failures?: unknown[];
}

export interface Results {
  heartbeat?: HeartbeatResult;
  broadcast?: BroadcastResult;
  failover?: FailoverResult;
  'vs-etcd'?: VsEtcdResult;
  restart?: RestartResult;
  chaos?: ChaosResult;
}

export const BENCHMARKS = ['heartbeat', 'broadcast', 'failover', 'vs-etcd', 'restart'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** The command each benchmark runs with its full default sizes. */
export const DEFAULT_COMMANDS: Record<BenchmarkName | 'chaos', string> = {
  heartbeat: 'npm run bench:heartbeat',
  broadcast: 'npm run bench:broadcast',
  failover: 'npm run bench:failover',
  'vs-etcd': 'npm run bench:vs-etcd',
  restart: 'npm run bench:restart',
  chaos: 'npm run chaos',
};

/** Goals from the brief's "Figures to beat" table (and the task's RSS bound for restart). */
export const GOALS = {
  detectP99Ms: 2000,
  detectTunedMs: 500,
  relayedMembers: 100_000,
  relayedCpuCorePct: 100,
  relayedVsDirect: 20,
  throughputRatio: 0.5,
  reassignP99Ms: 100,
  restartServingMs: 2000,
  restartRssMb: 300,
};

/** bench/results in the source tree (this file runs from bench/ or dist/bench/). */
export function resultsDir(): string {
  const root = [path.join(__dirname, '..'), path.join(__dirname, '..', '..')].find((p) => fs.existsSync(path.join(p, 'package.json')));
  if (root === undefined) throw new Error('cannot find the package root from ' + __dirname);
  return path.join(root, 'bench', 'results');
}

export function readResults(dir = resultsDir()): Results {
  const results: Results = {};
  for (const name of [...BENCHMARKS, 'chaos'] as const) {
    const file = path.join(dir, `${name}.json`);
    if (!fs.existsSync(file)) continue;
    try {
      (results as Record<string, unknown>)[name] = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      process.stderr.write(`report: skipping ${file}: ${(err as Error).message}\n`);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------
// Formatting

const num = (x: number | null | undefined, digits = 0): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }));
const short = (n: number): string => (n >= 1_000_000 ? `${num(n / 1_000_000, 1)}M` : n >= 1000 ? `${num(n / 1000, 1)}k` : String(n));

type Status = 'met' | 'NOT met' | 'not measured';
const statusText = (s: Status): string => (s === 'met' ? 'met' : s === 'NOT met' ? '**NOT met**' : '_not measured_');
const check = (ok: boolean | undefined): Status => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');

function provenance(r: ResultBase | undefined, name: BenchmarkName | 'chaos'): string {
  if (r === undefined) return `no result file (run \`${DEFAULT_COMMANDS[name]}\`)`;
  const m = r.machine;
  const machineText = m === undefined ? 'machine not recorded' : `${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}`;
  return `\`${r.command ?? DEFAULT_COMMANDS[name]}\` — ${machineText} — ${r.at ?? 'time not recorded'}`;
}

// ---------------------------------------------------------------------------
// Charts

type Spec = Record<string, unknown>;

const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

interface VegaLite {
  compile(spec: Spec): { spec: unknown };
}
interface Vega {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

let renderers: Promise<{ vl: VegaLite; vega: Vega }> | undefined;

async function toSvg(spec: Spec): Promise<string> {
  renderers ??= Promise.all([importEsm('vega-lite'), importEsm('vega')]).then(([vl, vega]) => ({ vl: vl as VegaLite, vega: vega as Vega }));
  const { vl, vega } = await renderers;
  const full: Spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 420 }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 640 }, title: { fontSize: 14, anchor: 'start' } },
    ...spec,
  };
  const view = new vega.View(vega.parse(vl.compile(full).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A vertical dashed goal line at x = value, labelled. */
function goalRuleX(value: number, label: string): Spec {
  return {
    data: { values: [{ x: value, label }] },
    layer: [
      { mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4], strokeWidth: 2 }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      { mark: { type: 'text', color: '#c0392b', align: 'left', dx: 4, baseline: 'bottom', y: -2, fontSize: 11 }, encoding: { x: { field: 'x', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  };
}

function goalRuleY(value: number, label: string): Spec {
  return {
    data: { values: [{ y: value, label }] },
    layer: [
      { mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4], strokeWidth: 2 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      { mark: { type: 'text', color: '#c0392b', align: 'left', baseline: 'bottom', dy: -3, x: 4, fontSize: 11 }, encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  };
}

/** Horizontal grouped bars: one group per `group`, one bar per `series`, value in `value`. */
function groupedBars(title: string, rows: Array<{ group: string; series: string; value: number }>, valueTitle: string, goal?: { value: number; label: string }, format = ',.0f'): Spec {
  const series = new Set(rows.map((r) => r.series));
  const many = series.size > 1;
  const y = { field: 'group', type: 'nominal', title: null, sort: null };
  const yOffset = many ? { yOffset: { field: 'series', type: 'nominal', sort: null } } : {};
  const bars: Spec = {
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y, ...yOffset,
          x: { field: 'value', type: 'quantitative', title: valueTitle },
          color: many ? { field: 'series', type: 'nominal', title: null, sort: null, legend: { orient: 'bottom', columns: 3 } } : { value: '#4c78a8' },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
        encoding: { y, ...yOffset, x: { field: 'value', type: 'quantitative' }, text: { field: 'value', type: 'quantitative', format } },
      },
    ],
  };
  return { title, width: 560, height: { step: many ? 18 : 28 }, layer: goal === undefined ? [bars] : [bars, goalRuleX(goal.value, goal.label)] };
}

interface Chart {
  file: string;
  alt: string;
  spec: Spec;
}

function detectionChart(r: Results): Chart | undefined {
  const rows: Array<{ group: string; series: string; value: number }> = [];
  for (const run of r.failover?.runs ?? []) {
    for (const [series, value] of [['p50', run.detectP50Ms], ['p99', run.detectP99Ms], ['max', run.detectMaxMs]] as const) {
      if (Number.isFinite(value)) rows.push({ group: `relaycast, failover ${short(run.audience)}`, series, value });
    }
  }
  for (const run of r['vs-etcd']?.runs ?? []) {
    const d = run.detection;
    if (d === undefined) continue;
    const name = run.system === 'etcd' ? 'etcd, TTL 2 s' : run.system === 'relaycast' ? 'relaycast via relays' : 'relaycast, simulated relays';
    for (const [series, value] of [['p50', d.p50Ms], ['p99', d.p99Ms], ['max', d.maxMs]] as const) {
      if (value !== undefined && Number.isFinite(value)) rows.push({ group: `${name}, ${short(run.members)} members`, series, value });
    }
  }
  if (rows.length === 0) return undefined;
  return {
    file: 'detection.svg',
    alt: 'Failure detection latency, kill to down event (p50, p99, max), relaycast and etcd',
    spec: groupedBars('Failure detection: member stops → watcher sees it gone (ms)', rows, 'ms', { value: GOALS.detectP99Ms, label: 'goal: p99 ≤ 2 s' }),
  };
}

function heartbeatCpuChart(r: Results): Chart | undefined {
  const rows: Array<{ members: number; cpu: number; series: string; held: string }> = [];
  const hzOf = (ms: number | undefined) => (ms === undefined ? '' : `${num(1000 / ms, 1)} Hz`);
  const hb = r.heartbeat;
  for (const run of hb?.results ?? []) {
    if (run.cpuCorePct === undefined) continue;
    rows.push({ members: run.leaves, cpu: run.cpuCorePct, series: `${run.mode === 'end-to-end' ? 'relayed, real relays + leaves' : run.mode} (heartbeat bench, ${hzOf(hb!.intervalMs ?? 1000)})`, held: run.held ? 'holds' : 'does not hold' });
  }
  const ve = r['vs-etcd'];
  const hz = hzOf(ve?.config?.heartbeatIntervalMs ?? 500);
  const etcdHz = hzOf(ve?.config?.etcdKeepaliveIntervalMs);
  for (const run of ve?.runs ?? []) {
    const cpu = run.steady?.serverCpuPct;
    if (cpu === undefined) continue;
    const series = run.system === 'etcd' ? `etcd (vs-etcd bench, keepalive ${etcdHz})` : run.system === 'relaycast' ? `relaycast coordinator + relays (vs-etcd bench, ${hz})` : `relaycast coordinator, simulated relays (vs-etcd bench, ${hz})`;
    rows.push({ members: run.members, cpu, series, held: run.held ? 'holds' : 'does not hold' });
  }
  if (rows.length === 0) return undefined;
  return {
    file: 'heartbeat-cpu.svg',
    alt: 'Coordinator CPU against members for direct, relayed and etcd',
    spec: {
      title: 'Server CPU (% of one core) against members at steady liveness',
      width: 560,
      height: 320,
      layer: [
        {
          data: { values: rows },
          layer: [
            { mark: { type: 'line', point: false }, encoding: { x: { field: 'members', type: 'quantitative', scale: { type: 'log' }, title: 'members (log scale)' }, y: { field: 'cpu', type: 'quantitative', title: '% of one core' }, color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1 } } } },
            { mark: { type: 'point', filled: true, size: 70 }, encoding: { x: { field: 'members', type: 'quantitative' }, y: { field: 'cpu', type: 'quantitative' }, color: { field: 'series', type: 'nominal' }, shape: { field: 'held', type: 'nominal', title: null, scale: { domain: ['holds', 'does not hold'], range: ['circle', 'cross'] } } } },
          ],
        },
        goalRuleY(GOALS.relayedCpuCorePct, 'goal: 100k nodes at 1 Hz through relays < 1 core'),
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}

function heartbeatPerPacketChart(r: Results): Chart | undefined {
  const runs = (r.heartbeat?.results ?? []).filter((x) => x.usPerPacket !== undefined && x.mode !== 'end-to-end');
  if (runs.length === 0) return undefined;
  const rows = runs.map((x) => ({ group: `${short(x.leaves)} nodes`, series: `${x.mode}${x.held ? '' : ' (does not hold)'}`, value: x.usPerPacket! }));
  return {
    file: 'heartbeat-per-packet.svg',
    alt: 'Coordinator CPU per liveness packet, relayed and direct',
    spec: groupedBars('Coordinator CPU per liveness packet (µs), relayed vs direct', rows, 'µs of coordinator CPU per packet', undefined, ',.1f'),
  };
}

function throughputChart(r: Results): Chart | undefined {
  const b = r.broadcast;
  if (b === undefined) return undefined;
  const rows = [
    { group: 'raw grpc-js, 500-item batches, 2 processes', series: 'items/s', value: b.raw },
    { group: `relaycast end to end (${short(b.recipients)} recipients, ${b.nodes ?? '?'} nodes)`, series: 'items/s', value: b.rate },
  ];
  return {
    file: 'throughput.svg',
    alt: 'Broadcast throughput against the raw grpc-js limit measured in the same run',
    spec: groupedBars('Delivery throughput against the raw gRPC limit (same run)', rows, 'recipients (items) per second', { value: b.raw * GOALS.throughputRatio, label: 'goal: ≥ 50 % of raw' }),
  };
}

function reassignmentChart(r: Results): Chart | undefined {
  const runs = (r.failover?.runs ?? []).filter((x) => x.reassignP50Ms !== undefined && x.reassignP50Ms !== null);
  if (runs.length === 0) return undefined;
  const rows = runs.flatMap((x) => [
    { group: `audience ${short(x.audience)}`, series: 'p50', value: x.reassignP50Ms! },
    { group: `audience ${short(x.audience)}`, series: 'p99', value: x.reassignP99Ms ?? NaN },
  ]).filter((x) => Number.isFinite(x.value));
  const spec = groupedBars('Reassignment: DOWN event → orders for the whole remainder sent (ms)', rows, 'ms', { value: GOALS.reassignP99Ms, label: 'goal: ≤ 100 ms' }, ',.2f');
  return { file: 'reassignment.svg', alt: 'Reassignment latency at a small and a large audience', spec };
}

function restartChart(r: Results): Chart | undefined {
  const s = r.restart?.summary;
  if (s === undefined) return undefined;
  const times = [
    { group: 'health SERVING', series: 'ms after spawn', value: s.servingMs },
    { group: 'delivery resumed', series: 'ms after spawn', value: s.resumedMs },
  ];
  const rss = [
    { group: 'before the kill', series: 'MB', value: s.rssBeforeMb },
    { group: 'after restart (resumed + 5 s)', series: 'MB', value: s.rssAfterMb },
  ];
  const panel = (spec: Spec) => ({ ...spec, width: 300 });
  return {
    file: 'restart.svg',
    alt: 'Coordinator restart: time to serving and to resumed delivery, and RSS',
    spec: {
      title: `Coordinator kill -9 and restart with a ${short(s.audience)}-recipient broadcast half delivered`,
      hconcat: [
        panel(groupedBars('time from spawn (ms)', times, 'ms', { value: GOALS.restartServingMs, label: 'goal: serving < 2 s' })),
        panel(groupedBars('coordinator RSS (MB)', rss, 'MB', { value: GOALS.restartRssMb, label: 'goal: < 300 MB' })),
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}

// ---------------------------------------------------------------------------
// The report

interface GoalRow {
  what: string;
  goal: string;
  measured: string;
  status: Status;
  source: BenchmarkName;
}

/** NOT met on any failure; met only at the goal's full size with the completion checked. */
function restartStatus(rs: RestartResult | undefined): Status {
  if (rs === undefined) return 'not measured';
  const s = rs.summary;
  if (s.servingMs >= GOALS.restartServingMs || s.nothingLost === false || !s.checkpointKept) return 'NOT met';
  return s.audience >= 10_000_000 && s.nothingLost === true ? 'met' : 'not measured';
}

function goalRows(r: Results): GoalRow[] {
  const rows: GoalRow[] = [];
  const fo = r.failover;
  rows.push({
    what: 'failure detection (defaults)', goal: 'kill -9 → node-down event p99 ≤ 2 s', source: 'failover',
    measured: fo === undefined ? '—' : `p99 ${num(fo.summary.detectP99Ms)} ms (p50 ${num(fo.summary.detectP50Ms)} ms, ${fo.summary.kills} kills)`,
    status: fo === undefined ? 'not measured' : check(fo.summary.detectP99Ms <= GOALS.detectP99Ms),
  });
  const ve = r['vs-etcd'];
  const veP99 = ve?.summary?.detectP99Ms;
  if (ve !== undefined) {
    rows.push({
      what: 'failure detection vs etcd', goal: 'p99 ≤ 2 s (etcd lease TTL min ≈ 2 s)', source: 'vs-etcd',
      measured: `at ${num(ve.summary?.comparedAtMembers)} members: relaycast p99 ${num(veP99?.relaycast)} ms, etcd p99 ${num(veP99?.etcd)} ms`,
      status: veP99?.relaycast === null || veP99?.relaycast === undefined ? 'not measured' : check(veP99.relaycast <= GOALS.detectP99Ms),
    });
  }
  const tuned = fo?.tuned;
  rows.push({
    what: 'failure detection (tuned)', goal: 'tunable to ≤ 500 ms, no false downs under load', source: 'failover',
    measured: tuned === undefined ? 'no benchmark ran tuned settings' : `p99 ${num(tuned.detectP99Ms)} ms (p50 ${num(tuned.detectP50Ms)} ms), ${tuned.falseDowns} false downs, delivering ${num(tuned.audience)} recipients at full speed`,
    status: tuned === undefined ? 'not measured' : check(tuned.detectP99Ms <= GOALS.detectTunedMs && tuned.falseDowns === 0),
  });
  const hb = r.heartbeat;
  const at100k = hb?.results.find((x) => x.mode === 'relayed' && x.leaves >= GOALS.relayedMembers && x.held);
  rows.push({
    what: 'heartbeat load', goal: '≥ 100k nodes at 1 Hz through relays, < 1 core, no false downs', source: 'heartbeat',
    measured: hb === undefined ? '—' : at100k === undefined ? `largest relayed N held: ${num(hb.summary.maxLeavesRelayed)}` : `${num(at100k.leaves)} nodes: ${num(at100k.cpuCorePct, 1)} % of a core, ${hb.summary.falseDowns} false downs`,
    // Not measured unless a relayed run at the goal's size was tried.
    status: hb === undefined || !hb.results.some((x) => x.mode === 'relayed' && x.leaves >= GOALS.relayedMembers) ? 'not measured' : check(at100k !== undefined && (at100k.cpuCorePct ?? Infinity) < GOALS.relayedCpuCorePct && hb.summary.falseDowns === 0),
  });
  rows.push({
    what: 'relayed vs direct', goal: 'relayed ≥ 20× less coordinator CPU per heartbeat', source: 'heartbeat',
    measured: hb === undefined ? '—' : `${num(hb.summary.ratio, 1)}× at ${num(hb.summary.comparedAtLeaves)} nodes (direct ${num(hb.summary.directUsPerPacket, 1)} µs, relayed ${num(hb.summary.relayedUsPerPacket, 1)} µs per packet)`,
    status: hb === undefined || hb.summary.ratio === null ? 'not measured' : check(hb.summary.ratio >= GOALS.relayedVsDirect),
  });
  const b = r.broadcast;
  rows.push({
    what: 'delivery throughput', goal: 'end to end ≥ 50 % of raw grpc-js in the same run', source: 'broadcast',
    measured: b === undefined ? '—' : `${num(b.rate)} /s of raw ${num(b.raw)} /s = ${num(b.ratio * 100, 1)} % (${short(b.recipients)} recipients, ${b.duplicates} duplicates)`,
    status: b === undefined ? 'not measured' : check(b.ratio >= GOALS.throughputRatio),
  });
  rows.push({
    what: 'reassignment', goal: 'remainder reassigned ≤ 100 ms after the down event, any audience size', source: 'failover',
    measured: fo === undefined ? '—' : fo.runs.map((x) => `${short(x.audience)}: p99 ${num(x.reassignP99Ms, 2)} ms`).join('; '),
    status: fo === undefined || fo.summary.reassignP99Ms === null ? 'not measured' : check(fo.summary.reassignP99Ms <= GOALS.reassignP99Ms),
  });
  const rs = r.restart;
  const nothingLost = rs?.summary.nothingLost;
  rows.push({
    what: 'coordinator restart', goal: `restart with a 10M-recipient broadcast: serving < 2 s, nothing lost`, source: 'restart',
    measured: rs === undefined ? '—' : `${short(rs.summary.audience)} recipients: serving after ${num(rs.summary.servingMs)} ms, delivery resumed after ${num(rs.summary.resumedMs)} ms; ${nothingLost === undefined ? `completion not checked (checkpoint kept: ${rs.summary.checkpointKept ? 'yes' : 'NO'})` : nothingLost ? 'nothing lost' : 'LOST recipients'}`,
    status: restartStatus(rs),
  });
  rows.push({
    what: 'coordinator restart memory', goal: 'RSS < 300 MB after restart (task goal)', source: 'restart',
    measured: rs === undefined ? '—' : `${num(rs.summary.rssAfterMb)} MB after, ${num(rs.summary.rssBeforeMb)} MB before the kill`,
    status: rs === undefined ? 'not measured' : check(rs.summary.rssAfterMb < GOALS.restartRssMb),
  });
  return rows;
}

function section(title: string, name: BenchmarkName, r: Results, chart: Chart | undefined, body: string[]): string[] {
  return [
    `## ${title}`,
    '',
    `Source: ${provenance(r[name], name)}.`,
    '',
    ...(chart === undefined ? [] : [`![${chart.alt}](${chart.file})`, '']),
    ...body,
    '',
  ];
}

function markdown(r: Results, charts: Map<string, Chart>): string {
  const machines = new Set(Object.values(r).map((x: ResultBase | undefined) => (x?.machine === undefined ? '' : `${x.machine.cores} cores, ${x.machine.memoryGb} GB, Node ${x.machine.node}`)).filter((m) => m !== ''));
  const lines: string[] = [
    '# relaycast benchmark report',
    '',
    `Rendered ${new Date().toISOString()} by \`node dist/bench/report.js\` from \`bench/results/*.json\` (re-render at any time without re-running: \`npm run build && node dist/bench/report.js\`; run everything: \`npm run bench\`).`,
    '',
    `Machine${machines.size === 1 ? '' : 's'}: ${[...machines].join('; ') || 'not recorded'}. All processes of a benchmark (coordinator, relays, nodes, gateway simulator, load generators) share this one machine.`,
    '',
    '## Goals at a glance',
    '',
    '| what | goal (brief: "Figures to beat") | measured | status | command |',
    '| --- | --- | --- | --- | --- |',
    ...goalRows(r).map((g) => `| ${g.what} | ${g.goal} | ${g.measured} | ${statusText(g.status)} | \`${r[g.source]?.command ?? DEFAULT_COMMANDS[g.source]}\` |`),
    '',
  ];

  const fo = r.failover;
  lines.push(...section('Failure detection', 'failover', r, charts.get('detection'), [
    `Goal: kill -9 → node-down event p99 ≤ ${GOALS.detectP99Ms} ms on defaults${fo?.downAfterMs === undefined ? '' : ` (down after ${fo.downAfterMs} ms)`}. Best known: Kubernetes 40–50 s, Kafka session 45 s, etcd lease TTL min ≈ 2 s, memberlist 1 s probe + suspicion.`,
    '',
    '"relaycast, failover N": kill -9 of a node during a broadcast to N recipients (failover bench).',
    ...(r['vs-etcd'] === undefined ? [] : [`"… members" rows come from ${provenance(r['vs-etcd'], 'vs-etcd')}${r['vs-etcd'].etcdVersion ? ` (etcd ${r['vs-etcd'].etcdVersion})` : ''}: 50 members go silent at once; "relaycast via relays" is nodes → real relays → coordinator, "relaycast, simulated relays" is the coordinator fed by simulated relays, "etcd, TTL 2 s" is one etcd member with 2 s leases (its minimum) and a watch on the key prefix.`]),
    '',
    '| run | p50 ms | p99 ms | max ms | goal p99 ≤ 2 s |',
    '| --- | --- | --- | --- | --- |',
    ...(fo?.runs ?? []).map((x) => `| failover bench, audience ${num(x.audience)} | ${num(x.detectP50Ms)} | ${num(x.detectP99Ms)} | ${num(x.detectMaxMs)} | ${statusText(check(x.detectP99Ms <= GOALS.detectP99Ms))} |`),
    ...(fo?.tuned === undefined ? [] : [`| failover bench, tuned settings (${fo.tuned.flags?.coordinator.join(' ') ?? ''}), full-speed delivery, audience ${num(fo.tuned.audience)} | ${num(fo.tuned.detectP50Ms)} | ${num(fo.tuned.detectP99Ms)} | ${num(fo.tuned.detectMaxMs)} | ${statusText(check(fo.tuned.detectP99Ms <= GOALS.detectTunedMs))} (goal ≤ 500 ms); ${fo.tuned.falseDowns} false downs |`]),
    ...(r['vs-etcd']?.runs ?? []).filter((x) => x.detection !== undefined).map((x) => `| vs-etcd: ${x.system}, ${num(x.members)} members | ${num(x.detection!.p50Ms)} | ${num(x.detection!.p99Ms)} | ${num(x.detection!.maxMs)} | ${x.system === 'etcd' ? '(reference)' : statusText(check((x.detection!.p99Ms ?? Infinity) <= GOALS.detectP99Ms))} |`),
  ]));

  const hb = r.heartbeat;
  lines.push(...section('Heartbeat load', 'heartbeat', r, charts.get('heartbeat-cpu'), [
    `Goals: one coordinator tracks ≥ ${num(GOALS.relayedMembers)} nodes at 1 Hz through relays using < 1 core; relayed costs ≥ ${GOALS.relayedVsDirect}× less coordinator CPU per heartbeat than direct. Best known: etcd lease keepalive ≈ 40–75k req/s on big hardware.`,
    ...(r['vs-etcd'] === undefined ? [] : ['', `Lines marked "vs-etcd bench" come from ${provenance(r['vs-etcd'], 'vs-etcd')}; they count all server processes (coordinator + relays, or etcd) at that benchmark's liveness rate.`]),
    '',
    ...(charts.has('heartbeat-per-packet') ? [`![${charts.get('heartbeat-per-packet')!.alt}](${charts.get('heartbeat-per-packet')!.file})`, ''] : []),
    '| mode | nodes | holds | µs/packet | coordinator CPU % | RSS MB |',
    '| --- | --- | --- | --- | --- | --- |',
    ...(hb?.results ?? []).map((x) => `| ${x.mode} | ${num(x.leaves)} | ${x.held ? 'yes' : `no (${x.reason ?? ''})`} | ${num(x.usPerPacket, 1)} | ${num(x.cpuCorePct, 1)} | ${num(x.rssMb)} |`),
    ...(r['vs-etcd'] === undefined ? [] : [
      '',
      '| vs-etcd system | members | holds | server CPU % | server µs per member-second | server RSS MB |',
      '| --- | --- | --- | --- | --- | --- |',
      ...r['vs-etcd'].runs.map((x) => `| ${x.system} | ${num(x.members)} | ${x.held ? 'yes' : `no (${x.reason ?? ''})`} | ${num(x.steady?.serverCpuPct, 1)} | ${num(x.steady?.serverCpuUsPerMemberS, 2)} | ${num(x.steady?.serverRssMb)} |`),
    ]),
  ]));

  const b = r.broadcast;
  lines.push(...section('Delivery throughput', 'broadcast', r, charts.get('throughput'), [
    `Goal: end-to-end broadcast ≥ ${GOALS.throughputRatio * 100} % of the raw grpc-js limit measured in the same run (the brief quotes ≈ 640k items/s for raw grpc-js in 500-item batches).`,
    '',
    ...(b === undefined ? ['No result.'] : [
      '| recipients | seconds | end-to-end /s | raw /s | ratio | goal ≥ 0.5 | duplicates | coordinator RSS max |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${num(b.recipients)} | ${num(b.seconds, 2)} | ${num(b.rate)} | ${num(b.raw)} | ${num(b.ratio, 3)} | ${statusText(check(b.ratio >= GOALS.throughputRatio))} | ${b.duplicates} | ${num(b.coordinatorRssMaxMb)} MB |`,
    ]),
  ]));

  lines.push(...section('Reassignment after a node dies', 'failover', r, charts.get('reassignment'), [
    `Goal: the remainder is reassigned ≤ ${GOALS.reassignP99Ms} ms after the down event, independent of audience size (ranges, not lists). Best known: Kafka rebalances in seconds; Borg reschedules after several missed polls.`,
    '',
    ...(fo === undefined ? ['No result.'] : [
      '| audience | reassign p50 ms | reassign p99 ms | goal ≤ 100 ms |',
      '| --- | --- | --- | --- |',
      ...fo.runs.map((x) => `| ${num(x.audience)} | ${num(x.reassignP50Ms, 2)} | ${num(x.reassignP99Ms, 2)} | ${statusText(check(x.reassignP99Ms === null || x.reassignP99Ms === undefined ? undefined : x.reassignP99Ms <= GOALS.reassignP99Ms))} |`),
      '',
      `Audience effect (p50 at the largest / at the smallest audience): ${num(fo.summary.audienceRatioEffect, 2)}.`,
    ]),
  ]));

  const rs = r.restart;
  lines.push(...section('Coordinator restart', 'restart', r, charts.get('restart'), [
    `Goal: coordinator restart with a 10M-recipient broadcast: serving again < ${GOALS.restartServingMs / 1000} s, nothing lost; RSS < ${GOALS.restartRssMb} MB (task goal).`,
    '',
    ...(rs === undefined ? ['No result.'] : [
      '| audience | serving ms | resumed ms | RSS before MB | RSS after MB | delivered before kill | loaded (checkpoint) | nothing lost |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${num(rs.summary.audience)} | ${num(rs.summary.servingMs)} (${statusText(check(rs.summary.servingMs < GOALS.restartServingMs))}) | ${num(rs.summary.resumedMs)} | ${num(rs.summary.rssBeforeMb)} | ${num(rs.summary.rssAfterMb)} (${statusText(check(rs.summary.rssAfterMb < GOALS.restartRssMb))}) | ${num(rs.summary.deliveredBeforeKill)} | ${num(rs.summary.deliveredLoaded)} | ${rs.summary.nothingLost === undefined ? 'not checked' : rs.summary.nothingLost ? `yes${rs.completion ? ` (${num(rs.completion.gatewayUniqueDelivered)} unique at the gateway, ${num(rs.completion.gatewayDuplicates)} duplicates)` : ''}` : '**NO**'} |`,
      '',
      'Serving: spawn of the new process → gRPC health SERVING (it answers NOT_SERVING while it loads). Resumed: spawn → the gateway simulator sees recipients it had not seen before and the restarted coordinator has recorded progress past what it loaded. RSS after: the largest sample from spawn until 5 s after delivery resumed. Duplicates are redeliveries of what was in flight past the last checkpoint; the gateway simulator honours idempotency keys, so none reached a recipient twice.',
      ...(rs.rssBeforeMaxMb !== undefined || rs.completion?.rssMaxToCompletionMb !== undefined ? ['', `While delivering, the coordinator's RSS grows with the audience read so far: largest ${num(rs.rssBeforeMaxMb)} MB before the kill, ${num(rs.completion?.rssMaxToCompletionMb)} MB from the restart to the end of the broadcast.`] : []),
      ...(rs.summary.audience < 10_000_000 ? ['', `**Note:** this run used ${num(rs.summary.audience)} recipients, below the goal's 10,000,000; run \`npm run bench:restart\` for the full size.`] : []),
    ]),
  ]));

  const chaos = r.chaos;
  if (chaos !== undefined) {
    lines.push('## Chaos', '', `Source: ${provenance(chaos, 'chaos')}.`, '', `Audience ${num(chaos.audience)}, seed ${chaos.seed ?? '—'}: ${chaos.ok ? 'every invariant held' : '**invariants violated**'}; lost ${chaos.lost ?? '—'}.`, '');
  }
  return lines.join('\n');
}

/** Writes REPORT.md and the charts into `dir`; returns the files written. */
export async function renderReport(dir = resultsDir(), results = readResults(dir)): Promise<string[]> {
  const charts = new Map<string, Chart>();
  for (const [key, make] of [
    ['detection', detectionChart],
    ['heartbeat-cpu', heartbeatCpuChart],
    ['heartbeat-per-packet', heartbeatPerPacketChart],
    ['throughput', throughputChart],
    ['reassignment', reassignmentChart],
    ['restart', restartChart],
  ] as const) {
    const chart = make(results);
    if (chart !== undefined) charts.set(key, chart);
  }
  const written: string[] = [];
  for (const chart of charts.values()) {
    const file = path.join(dir, chart.file);
    fs.writeFileSync(file, await toSvg(chart.spec));
    written.push(file);
  }
  const report = path.join(dir, 'REPORT.md');
  fs.writeFileSync(report, markdown(results, charts));
  written.push(report);
  return written;
}

if (require.main === module) {
  renderReport().then(
    (files) => process.stdout.write(`report: wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`),
    (err: unknown) => {
      process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    },
  );
}
