/** Exponential back-off with jitter: attempt n waits in [ceiling/2, ceiling], ceiling = min(max, min·2ⁿ). */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
