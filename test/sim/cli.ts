/**
 * npm run sim -- --seed N          replay one seed, with its fault schedule
 * npm run sim -- --seeds N [--from K] [--variant V]
 *                                  a campaign of N seeds starting at K
 * A failing seed is printed with the command that replays it.
 */
import { runSeed, type RunResult, type Variant } from './scenario';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function describe(result: RunResult): string {
  const lines = [`seed ${result.seed}: ${result.ok ? 'ok' : 'FAILED'} (${result.shape}; ${(result.simulatedMs / 1000).toFixed(1)} s simulated, ${result.steps} events)`];
  for (const f of result.faults) lines.push(`  fault  ${f}`);
  for (const v of result.violations) lines.push(`  VIOLATION [${v.invariant}] at ${v.atMs.toFixed(1)} ms: ${v.detail}`);
  lines.push(`  stats  ${JSON.stringify(result.stats)}`);
  return lines.join('\n');
}

function main(): void {
  const variant = (arg('variant') ?? 'correct') as Variant;
  const one = arg('seed');
  if (one !== undefined) {
    const result = runSeed(Number(one), { variant });
    console.log(describe(result));
    process.exit(result.ok ? 0 : 1);
  }
  const count = Number(arg('seeds') ?? '100');
  const from = Number(arg('from') ?? '1');
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(from)) {
    console.error('usage: npm run sim -- --seed N | --seeds N [--from K] [--variant correct|lease-outlives-down]');
    process.exit(2);
  }
  const started = Date.now();
  const failed: RunResult[] = [];
  let faults = 0;
  let simulatedMs = 0;
  for (let seed = from; seed < from + count; seed++) {
    const result = runSeed(seed, { variant });
    faults += result.faults.length;
    simulatedMs += result.simulatedMs;
    if (!result.ok) {
      failed.push(result);
      console.log(describe(result));
      console.log(`  replay: npm run sim -- --seed ${seed}${variant === 'correct' ? '' : ` --variant ${variant}`}`);
    }
    if ((seed - from + 1) % 500 === 0) console.error(`${seed - from + 1}/${count} seeds, ${failed.length} failed`);
  }
  const summary = { seeds: count, from, variant, failed: failed.map((r) => r.seed), faults, simulatedHours: +(simulatedMs / 3_600_000).toFixed(2), wallSeconds: +((Date.now() - started) / 1000).toFixed(1) };
  console.log(JSON.stringify(summary));
  console.log(`sim: seeds=${count} failed=${failed.length} faults=${faults} simulated_h=${summary.simulatedHours} wall_s=${summary.wallSeconds}`);
  process.exit(failed.length === 0 ? 0 : 1);
}

main();
