/**
 * npm run chaos — a broadcast under node, relay, coordinator and gateway
 * faults (see bench/chaos-scenario.ts and docs/chaos.md). Prints the
 * report as JSON, then one summary line last; exits 1 when something was
 * lost, a fenced node's old lease reached the gateway after it expired, or
 * the broadcast did not complete in time. Progress logs go to stderr.
 *
 *   --seed N            seeds every choice (default: from the time; printed)
 *   --audience N        recipients (default 200000)
 *   --duration-s N      broadcast length without faults: sets its rate limit (default 60)
 *   --node-kills N      kill -9 + restart of random nodes (default 3)
 *   --outage-ms N       gateway outage length, 0 for none (default 3000)
 *   --timeout-s N       bound on the broadcast (default 240)
 *   --gateway-fencing M refuse (default): the simulator refuses deliveries
 *                       that arrive after their lease expired; record: it only
 *                       records them, to see what the nodes alone do
 *   --log-level L       progress log level on stderr (default info)
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { CHAOS_DEFAULTS, ChaosRun, summaryLine } from './chaos-scenario';
import { writeResult, machine } from './measure';

function positiveInt(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name}: expected a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return value;
}

function fencing(text: string | undefined): 'refuse' | 'record' {
  if (text === undefined || text === 'refuse' || text === 'record') return text ?? 'refuse';
  throw new Error(`--gateway-fencing: expected refuse or record, got ${JSON.stringify(text)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      audience: { type: 'string' },
      'duration-s': { type: 'string' },
      'node-kills': { type: 'string' },
      'outage-ms': { type: 'string' },
      'timeout-s': { type: 'string' },
      'gateway-fencing': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const seed = positiveInt('seed', values.seed, Date.now() % 4_294_967_296, 0);
  const log = pino({ level: values['log-level'] ?? 'info', base: { component: 'chaos' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
  const options = {
    ...CHAOS_DEFAULTS,
    seed,
    log,
    audience: positiveInt('audience', values.audience, CHAOS_DEFAULTS.audience),
    durationMs: positiveInt('duration-s', values['duration-s'], CHAOS_DEFAULTS.durationMs / 1000) * 1000,
    nodeKills: positiveInt('node-kills', values['node-kills'], CHAOS_DEFAULTS.nodeKills, 0),
    gatewayOutageMs: positiveInt('outage-ms', values['outage-ms'], CHAOS_DEFAULTS.gatewayOutageMs, 0),
    completionTimeoutMs: positiveInt('timeout-s', values['timeout-s'], CHAOS_DEFAULTS.completionTimeoutMs / 1000) * 1000,
    gatewayFencing: fencing(values['gateway-fencing']),
  };
  process.stderr.write(`chaos: seed ${seed} (repeat with --seed ${seed})\n`);
  const run = new ChaosRun(options);
  // Ctrl-C, SIGTERM and a run past every bound all end the cluster first.
  let interrupted = false;
  const interrupt = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`chaos: ${signal}: stopping every process of the run\n`);
    void run.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupt('SIGINT'));
  process.once('SIGTERM', () => interrupt('SIGTERM'));
  const hardStopMs = options.completionTimeoutMs + 180_000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`chaos: still running after ${hardStopMs} ms; giving up\n`);
    void run.stop().finally(() => process.exit(1));
  }, hardStopMs);
  watchdog.unref();
  const report = await run.run();
  clearTimeout(watchdog);
  const file = writeResult('chaos', { benchmark: 'chaos', machine: machine(), ...report });
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.stderr.write(`chaos: report written to ${file}\n`);
  if (!report.ok) process.stderr.write(`chaos: FAILED\n  ${report.failures.join('\n  ')}\n`);
  process.stdout.write(summaryLine(report) + '\n');
  return report.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`chaos: ${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
