/**
 * The deterministic simulator in the suite: a fixed set of seeds must hold
 * every invariant, a seed must replay exactly, and a deliberately broken
 * variant must be caught (so the checkers can fail).
 */
import { describe, expect, it } from 'vitest';
import { runSeed, type RunResult } from './scenario';

/** Seeds 1..SEEDS run in `npm test`; longer campaigns: npm run sim -- --seeds 10000. */
const SEEDS = 1000;

const explain = (r: RunResult) =>
  [`seed ${r.seed} (${r.shape}); replay: npm run sim -- --seed ${r.seed}`, ...r.faults.map((f) => `  fault ${f}`), ...r.violations.slice(0, 5).map((v) => `  [${v.invariant}] at ${v.atMs.toFixed(1)} ms: ${v.detail}`)].join('\n');

describe('deterministic simulation', () => {
  it(`seeds 1..${SEEDS}: every invariant holds through crashes, pauses, partitions and gateway trouble, and every broadcast completes after healing`, () => {
    const failed: RunResult[] = [];
    let faults = 0;
    let takeovers = 0;
    let downs = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runSeed(seed);
      faults += result.faults.length;
      takeovers += result.stats.takeovers;
      downs += result.stats.downs;
      if (!result.ok) failed.push(result);
    }
    expect(failed.map(explain).join('\n\n')).toBe('');
    // The seeds really exercise failover, not only the happy path.
    expect(faults).toBeGreaterThan(SEEDS * 3);
    expect(downs).toBeGreaterThan(SEEDS / 5);
    expect(takeovers).toBeGreaterThan(SEEDS / 10);
  }, 180_000);

  it('a seed replays exactly: same faults, same outcome, same number of events', () => {
    for (const seed of [7, 42, 1234]) {
      const first = runSeed(seed);
      const again = runSeed(seed);
      expect(again).toEqual(first);
    }
  });

  it('catches a broken variant: a coordinator that hands work on before the lease it granted expires', () => {
    const caught: RunResult[] = [];
    for (let seed = 1; seed <= 60 && caught.length === 0; seed++) {
      const result = runSeed(seed, { variant: 'lease-outlives-down' });
      if (result.violations.some((v) => v.invariant === 'one-owner')) caught.push(result);
    }
    expect(caught.length, 'no seed of the broken variant was caught by the one-owner checker').toBe(1);
    // And the correct system passes that very seed.
    expect(runSeed(caught[0]!.seed).ok).toBe(true);
  });
});
