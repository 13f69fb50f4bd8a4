/**
 * npm run bench — every benchmark, one after the other, with sizes that
 * finish in about 15 minutes on a 2-core machine; then bench/results/
 * latest.json (every result plus the machine) and bench/results/REPORT.md
 * with its SVG charts (bench/report.ts).
 *
 * Each benchmark runs as its own process (node dist/bench/<name>.js with
 * the flags or environment below), in its own process group: a benchmark
 * that crashes or overruns its time bound is stopped with everything it
 * started, and the others still run. Each writes bench/results/<name>.json
 * as when run alone; this script adds the command that produced it.
 *
 * Flags: --only heartbeat,restart (a subset, in the usual order)
 *        --dry-run (print the plan and exit)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { machine } from './measure';
import { BENCHMARKS, renderReport, resultsDir, type BenchmarkName } from './report';

interface Step {
  name: BenchmarkName;
  args: string[];
  env: Record<string, string>;
  /** Stopped (with everything it started) after this long. */
  timeoutS: number;
}

/** Expected times on 2 cores, 24 GB: ≈2.5, 1, 3.5, 3.5 and 2 minutes. */
const PLAN: Step[] = [
  // Relayed at 1k–100k nodes; direct until it stops holding (5k on 2 cores); real relays + leaves at 1k.
  { name: 'heartbeat', args: [], env: { HEARTBEAT_BENCH_SIZES: '1000,5000,20000,100000', HEARTBEAT_BENCH_WINDOW_MS: '10000', HEARTBEAT_BENCH_E2E_MAX: '1000' }, timeoutS: 600 },
  { name: 'broadcast', args: [], env: { BROADCAST_BENCH_RECIPIENTS: '1000000', BROADCAST_BENCH_NODES: '4' }, timeoutS: 420 },
  // Ten kills at each audience: the small and the large one, to show reassignment does not grow.
  { name: 'failover', args: [], env: { FAILOVER_BENCH_KILLS: '10', FAILOVER_BENCH_AUDIENCES: '100000,5000000' }, timeoutS: 900 },
  // 10 s steady windows instead of 30; on 2 cores relaycast with real relays and etcd stop holding at 5k, the coordinator alone goes on.
  { name: 'vs-etcd', args: ['--sizes', '1000,5000,20000', '--steady-s', '10', '--warmup-s', '2'], env: {}, timeoutS: 900 },
  // 2M rather than the goal's 10M (≈8 minutes alone): `npm run bench:restart` runs the full size.
  { name: 'restart', args: ['--audience', '2000000'], env: {}, timeoutS: 600 },
];

function commandOf(step: Step): string {
  const env = Object.entries(step.env).map(([k, v]) => `${k}=${v} `).join('');
  return `${env}node dist/bench/${step.name}.js${step.args.map((a) => ` ${a}`).join('')} (part of npm run bench)`;
}

interface StepOutcome {
  name: BenchmarkName;
  command: string;
  seconds: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** bench/results/<name>.json was written by this run. */
  fresh: boolean;
  lastLine: string;
}

/** Stops the running benchmark's process group (for Ctrl-C and exits). */
let stopCurrent: (() => void) | undefined;

function runStep(step: Step): Promise<Omit<StepOutcome, 'fresh' | 'command'>> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, `${step.name}.js`), ...step.args], {
      env: { ...process.env, ...step.env },
      stdio: ['ignore', 'pipe', 'inherit'],
      // Its own process group, so that a stop reaches everything it started.
      detached: true,
    });
    let lastLine = '';
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.trim() !== '') lastLine = line;
    });
    let timedOut = false;
    const stopGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`bench: ${step.name} ran past ${step.timeoutS} s; stopping it\n`);
      stopGroup('SIGTERM');
      setTimeout(() => stopGroup('SIGKILL'), 10_000).unref();
    }, step.timeoutS * 1000);
    stopCurrent = () => stopGroup('SIGKILL');
    child.on('exit', (exitCode, signal) => {
      clearTimeout(timer);
      stopCurrent = undefined;
      // Whatever it left behind in its group goes too.
      stopGroup('SIGKILL');
      resolve({ name: step.name, seconds: Math.round((Date.now() - started) / 100) / 10, exitCode, signal, timedOut, lastLine });
    });
  });
}

/** Reads bench/results/<name>.json; when this run wrote it, records the command in it. */
function collect(dir: string, step: Step, startedMs: number): { fresh: boolean; result: unknown } {
  const file = path.join(dir, `${step.name}.json`);
  if (!fs.existsSync(file)) return { fresh: false, result: undefined };
  const result = JSON.parse(fs.readFileSync(file, 'utf8')) as { at?: string; [key: string]: unknown };
  const fresh = result.at !== undefined && Date.parse(result.at) >= startedMs;
  if (!fresh) return { fresh, result };
  const { at, benchmark, ...rest } = result;
  const annotated = { at, benchmark, command: commandOf(step), ...rest };
  fs.writeFileSync(file, JSON.stringify(annotated, null, 2) + '\n');
  return { fresh, result: annotated };
}

function parseArgs(argv: readonly string[]): { only: Set<BenchmarkName>; dryRun: boolean } {
  let only = new Set<BenchmarkName>(BENCHMARKS);
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',').filter((s) => s !== '');
      for (const n of names) if (!(BENCHMARKS as readonly string[]).includes(n)) throw new Error(`--only: unknown benchmark ${n} (known: ${BENCHMARKS.join(', ')})`);
      only = new Set(names as BenchmarkName[]);
    } else if (arg === '--dry-run') dryRun = true;
    else throw new Error(`unknown flag ${arg} (flags: --only a,b  --dry-run)`);
  }
  return { only, dryRun };
}

async function main(): Promise<void> {
  // The benchmarks run in their own process groups, so Ctrl-C does not reach them: pass it on.
  process.on('exit', () => stopCurrent?.());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      process.stderr.write(`bench: ${signal}: stopping the running benchmark\n`);
      stopCurrent?.();
      process.exit(130);
    });
  }
  const { only, dryRun } = parseArgs(process.argv.slice(2));
  const steps = PLAN.filter((s) => only.has(s.name));
  if (dryRun) {
    for (const s of steps) process.stdout.write(`${commandOf(s)}\n`);
    return;
  }
  const dir = resultsDir();
  const started = Date.now();
  const outcomes: StepOutcome[] = [];
  const results: Record<string, unknown> = {};
  for (const step of steps) {
    process.stderr.write(`\nbench: ${step.name}: ${commandOf(step)}\n`);
    const stepStarted = Date.now();
    const outcome = await runStep(step);
    const { fresh, result } = collect(dir, step, stepStarted);
    outcomes.push({ ...outcome, command: commandOf(step), fresh });
    process.stderr.write(`bench: ${step.name} ${outcome.exitCode === 0 && fresh ? 'done' : 'FAILED'} in ${outcome.seconds} s${fresh ? '' : ' (its result file was not written; the report keeps the previous one)'}\n`);
    if (result !== undefined) results[step.name] = result;
  }
  // Benchmarks not run this time keep their last results in latest.json too.
  for (const name of BENCHMARKS) {
    const file = path.join(dir, `${name}.json`);
    if (results[name] === undefined && fs.existsSync(file)) results[name] = JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  const latest = {
    at: new Date().toISOString(),
    benchmark: 'all',
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: machine(),
    totalSeconds: Math.round((Date.now() - started) / 1000),
    steps: outcomes,
    results,
  };
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(latest, null, 2) + '\n');
  const files = await renderReport(dir);
  process.stdout.write(JSON.stringify({ totalSeconds: latest.totalSeconds, steps: outcomes.map(({ name, seconds, exitCode, fresh }) => ({ name, seconds, exitCode, fresh })) }, null, 2) + '\n');
  for (const o of outcomes) process.stdout.write(`${o.lastLine || `${o.name}: no summary line (exit ${o.exitCode ?? o.signal})`}\n`);
  process.stdout.write(`bench: all done in ${latest.totalSeconds} s; wrote bench/results/latest.json, ${files.map((f) => path.basename(f)).join(', ')}\n`);
  if (outcomes.some((o) => o.exitCode !== 0 || !o.fresh)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
