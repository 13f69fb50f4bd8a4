/**
 * Progress of a broadcast as numbers and text, pure: done / total, a rate
 * over a recent window (so the ETA follows the current pace, not the
 * average since the start), and the ETA.
 */
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';

/** Long enough to smooth the coordinator's checkpoint steps, short enough to follow a change of pace. */
export const RATE_WINDOW_MS = 10_000;
/** Snapshots arrive every few hundred ms; this bounds the window's memory whatever the interval. */
const RATE_SAMPLES_MAX = 512;

export const FINAL_STATES: ReadonlySet<string> = new Set(['BROADCAST_STATE_COMPLETED', 'BROADCAST_STATE_CANCELLED', 'BROADCAST_STATE_FAILED']);

export function isFinal(b: Pick<Broadcast__Output, 'state'>): boolean {
  return FINAL_STATES.has(b.state);
}

/** BROADCAST_STATE_RUNNING → RUNNING, NODE_STATE_ALIVE → ALIVE. */
export function shortEnum(value: string): string {
  return value.replace(/^(BROADCAST_STATE|NODE_STATE|MEMBER_KIND|SHARD_STATE|EVENT_TYPE)_/, '');
}

/** Recipients in a final state. */
export function doneOf(b: Broadcast__Output): number {
  const c = b.counts;
  return c === null ? 0 : c.delivered + c.skippedUnreachable + c.deadLettered;
}

/** Recipients per second over the last `windowMs` of (time, done) samples. */
export class RateEstimator {
  private readonly samples: Array<{ atMs: number; done: number }> = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  add(atMs: number, done: number): void {
    const last = this.samples[this.samples.length - 1];
    // Done can drop when dead letters are retried; the old samples no longer describe the pace.
    if (last !== undefined && (done < last.done || atMs < last.atMs)) this.samples.length = 0;
    this.samples.push({ atMs, done });
    // Keep one sample older than the window so the rate always spans the whole window.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= atMs - this.windowMs) this.samples.shift();
    if (this.samples.length > RATE_SAMPLES_MAX) this.samples.splice(0, this.samples.length - RATE_SAMPLES_MAX);
  }

  /** Undefined until two samples some time apart exist. */
  ratePerS(): number | undefined {
    if (this.samples.length < 2) return undefined;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const spanMs = last.atMs - first.atMs;
    return spanMs <= 0 ? undefined : ((last.done - first.done) * 1000) / spanMs;
  }
}

/** Milliseconds left at `ratePerS`, or undefined when there is no pace to go by. */
export function etaMs(remaining: number, ratePerS: number | undefined): number | undefined {
  if (remaining <= 0) return 0;
  if (ratePerS === undefined || !(ratePerS > 0)) return undefined;
  return (remaining / ratePerS) * 1000;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 950 ms → "1s", 75 s → "1m 15s", 2 h 5 min → "2h 05m"; undefined → "--". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '--';
  const totalS = Math.round(ms / 1000);
  if (totalS < 60) return `${totalS}s`;
  const totalM = Math.floor(totalS / 60);
  if (totalM < 60) return `${totalM}m ${String(totalS % 60).padStart(2, '0')}s`;
  const h = Math.floor(totalM / 60);
  if (h < 48) return `${h}h ${String(totalM % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

export function formatRate(ratePerS: number | undefined): string {
  return ratePerS === undefined ? '--/s' : `${formatCount(ratePerS)}/s`;
}

/** 0.4567 → "45.7%"; never shows 100% before everything is done. */
export function formatPercent(done: number, total: number): string {
  if (total <= 0) return '0.0%';
  const pct = Math.floor((done / total) * 1000) / 10;
  return `${pct.toFixed(1)}%`;
}

export interface ProgressView {
  readonly state: string;
  readonly done: number;
  readonly total: number;
  readonly delivered: number;
  readonly skipped: number;
  readonly deadLettered: number;
  readonly inFlight: number;
  readonly ratePerS: number | undefined;
  readonly etaMs: number | undefined;
}

export function progressView(b: Broadcast__Output, ratePerS: number | undefined): ProgressView {
  const c = b.counts ?? { total: 0, delivered: 0, skippedUnreachable: 0, deadLettered: 0, inFlight: 0, pending: 0 };
  const done = doneOf(b);
  const running = b.state === 'BROADCAST_STATE_RUNNING';
  return {
    state: shortEnum(b.state),
    done,
    total: c.total,
    delivered: c.delivered,
    skipped: c.skippedUnreachable,
    deadLettered: c.deadLettered,
    inFlight: c.inFlight,
    ratePerS: running ? ratePerS : isFinal(b) ? averageRate(b, done) : undefined,
    etaMs: isFinal(b) ? 0 : running ? etaMs(c.total - done, ratePerS) : undefined,
  };
}

/** A finished broadcast's pace over its whole run. */
function averageRate(b: Broadcast__Output, done: number): number | undefined {
  const spanMs = b.finishedAtUnixMs - b.createdAtUnixMs;
  return b.finishedAtUnixMs > 0 && spanMs > 0 ? (done * 1000) / spanMs : undefined;
}

/**
 * The values the progress bar's format string shows. The names avoid
 * cli-progress's own tokens ({total}, {eta}, {value}, ...), which would
 * shadow them.
 */
export function progressFields(v: ProgressView): Record<string, string> {
  return {
    state: v.state.padEnd(9),
    doneText: formatCount(v.done),
    totalText: formatCount(v.total),
    pct: formatPercent(v.done, v.total).padStart(6),
    rate: formatRate(v.ratePerS),
    etaText: formatDuration(v.etaMs),
    skipped: formatCount(v.skipped),
    dead: formatCount(v.deadLettered),
  };
}

/** One line per update where a redrawn bar is not possible (output is not a terminal). */
export function progressLine(v: ProgressView): string {
  const f = progressFields(v);
  return `${f.state} ${f.pct}  ${f.doneText}/${f.totalText}  ${f.rate}  ETA ${f.etaText}  skipped ${f.skipped}  dead-lettered ${f.dead}`;
}
