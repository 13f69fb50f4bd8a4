/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence on
 * every platform, so a simulator run with retries replays exactly.
 */
export type Random = () => number;

/** Uniform in [0, 1). Any integer seed; it is taken modulo 2^32. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
