/**
 * Simulated time, processes and network for the deterministic simulator.
 *
 * Everything that happens is an event in one queue ordered by (time, insertion
 * order), so one seed gives one history. A process that crashes loses every
 * event addressed to its old incarnation; a paused process (SIGSTOP) keeps
 * them and runs them, late, when it resumes — as a frozen OS process would.
 *
 * Connections are FIFO per direction, like a TCP stream. Faults: random
 * delay (so messages on different connections reorder), connection resets,
 * partitions (traffic is held, as TCP would retransmit, until the partition
 * heals or the connection is torn down by keepalive), duplicated unary
 * requests (a client retry), and crashed or paused peers.
 */
import { MinHeap } from '../../platform/min-heap';
import type { Clock } from '../../platform/clock';
import type { Random } from '../../gateway/core/random';

export const WALL_START_MS = 1_700_000_000_000;
/** A run is a few hundred thousand events at most; more is a livelock in the system or the simulator. */
const STEPS_MAX = 3_000_000;

export class SimClock implements Clock {
  nowMs = 0;
  monotonicMs(): number {
    return this.nowMs;
  }
  wallMs(): number {
    return WALL_START_MS + this.nowMs;
  }
}

interface Entry {
  atMs: number;
  seq: number;
  run: () => void;
}

const before = (a: Entry, b: Entry) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);

/** A simulated OS process: crash() discards its pending events, pause() holds them. */
export class Proc {
  incarnation = 0;
  up = true;
  paused = false;
  /** Events that fell due while paused, run in order on resume. */
  held: Array<() => void> = [];
  constructor(readonly name: string) {}
}

export interface NetworkFaults {
  delayMinMs: number;
  delayMaxMs: number;
  /** Chance that a message resets its connection instead of arriving. */
  resetChance: number;
  /** Chance that a unary request reaches the server twice. */
  duplicateChance: number;
  /** A partitioned connection is torn down after this long (keepalive). */
  keepaliveTimeoutMs: number;
}

export class World {
  readonly clock = new SimClock();
  /** A min-heap on (atMs, seq). */
  private readonly queue = new MinHeap<Entry>(before);
  private seq = 0;
  /** Pairs of process names that cannot reach each other. */
  private readonly cut = new Set<string>();
  private readonly conns = new Set<Conn>();
  steps = 0;

  constructor(
    readonly random: Random,
    readonly faults: NetworkFaults,
  ) {}

  get nowMs(): number {
    return this.clock.nowMs;
  }

  /** Run `fn` after `delayMs` as `proc` (if it is still the same incarnation), or as the world. */
  after(delayMs: number, proc: Proc | undefined, fn: () => void): void {
    this.at(this.clock.nowMs + Math.max(0, delayMs), proc, fn);
  }

  /**
   * Run `fn` at `atMs` (not before now). Events at the same time run in the
   * order they were scheduled; use absolute times where order matters, since
   * now + (t - now) need not equal t in floating point.
   */
  at(atMs: number, proc: Proc | undefined, fn: () => void): void {
    const incarnation = proc?.incarnation ?? 0;
    this.queue.push({
      atMs: Math.max(this.clock.nowMs, atMs),
      seq: this.seq++,
      run: () => {
        if (proc === undefined) return fn();
        if (!proc.up || proc.incarnation !== incarnation) return;
        if (proc.paused) proc.held.push(fn);
        else fn();
      },
    });
  }

  /** Run events until `untilMs`, or until `stop()` holds after an event. Returns true if stopped early. */
  run(untilMs: number, stop: () => boolean = () => false): boolean {
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.atMs > untilMs) {
        this.clock.nowMs = Math.max(this.clock.nowMs, untilMs);
        return false;
      }
      this.queue.pop();
      this.clock.nowMs = next.atMs;
      this.steps += 1;
      if (this.steps > STEPS_MAX) throw new Error(`more than ${STEPS_MAX} events by ${next.atMs.toFixed(1)} ms: a livelock`);
      next.run();
      if (stop()) return true;
    }
  }

  uniform(min: number, max: number): number {
    return min + this.random() * (max - min);
  }

  chance(p: number): boolean {
    return p > 0 && this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  delay(): number {
    return this.uniform(this.faults.delayMinMs, this.faults.delayMaxMs);
  }

  crash(proc: Proc): void {
    proc.up = false;
    proc.paused = false;
    proc.held = [];
    proc.incarnation += 1;
    for (const conn of [...this.conns]) if (conn.a === proc || conn.b === proc) conn.reset(proc);
  }

  restart(proc: Proc): void {
    proc.up = true;
  }

  pause(proc: Proc): void {
    proc.paused = true;
  }

  resume(proc: Proc): void {
    if (!proc.up) return;
    proc.paused = false;
    const held = proc.held;
    proc.held = [];
    for (const fn of held) {
      if (!proc.up || proc.paused) break;
      fn();
    }
  }

  partition(a: string, b: string): void {
    this.cut.add(pairKey(a, b));
    const startedMs = this.nowMs;
    for (const conn of this.conns) {
      if (!conn.crosses(a, b)) continue;
      this.after(this.faults.keepaliveTimeoutMs, undefined, () => {
        if (this.cut.has(pairKey(a, b)) && this.nowMs - startedMs >= this.faults.keepaliveTimeoutMs) conn.reset(undefined);
      });
    }
  }

  heal(a: string, b: string): void {
    this.cut.delete(pairKey(a, b));
    for (const conn of this.conns) if (conn.crosses(a, b)) conn.release();
  }

  healAll(): void {
    const pairs = [...this.cut];
    this.cut.clear();
    for (const conn of this.conns) for (const p of pairs) if (conn.crosses(...(p.split('|') as [string, string]))) conn.release();
  }

  reachable(a: Proc, b: Proc): boolean {
    return !this.cut.has(pairKey(a.name, b.name));
  }

  /**
   * Open a connection from `a` to `b`. `onOpen` runs at `a` once it is up,
   * or `onFail` if `b` is down or unreachable (after a connect timeout).
   */
  connect<AB, BA>(a: Proc, b: Proc, handlers: { atB: (conn: Conn<AB, BA>) => ConnEnd<AB>; atA: ConnEnd<BA> }, onFail: (reason: string) => void): Conn<AB, BA> {
    const conn = new Conn<AB, BA>(this, a, b);
    this.conns.add(conn);
    conn.endA = handlers.atA;
    if (!b.up) {
      this.after(this.delay(), a, () => onFail(`${b.name} refused the connection`));
      conn.closed = true;
      this.conns.delete(conn);
      return conn;
    }
    if (!this.reachable(a, b)) {
      this.after(1000, a, () => onFail(`connect to ${b.name} timed out`));
      conn.closed = true;
      this.conns.delete(conn);
      return conn;
    }
    // What a sends right away arrives after the accept, in order.
    conn.lastAtB = this.nowMs + this.delay();
    this.at(conn.lastAtB, b, () => {
      if (conn.closed) return;
      conn.bIncarnation = b.incarnation;
      conn.endB = handlers.atB(conn);
    });
    return conn;
  }

  forget(conn: Conn): void {
    this.conns.delete(conn);
  }

  /**
   * A unary call from `a` to `b`: `serve` runs at b and answers through
   * `respond`; `onReply` runs at a with the answer, or with an error after
   * `timeoutMs` (b down, unreachable, or slow).
   */
  call<Req, Res>(a: Proc, b: Proc, request: Req, serve: (request: Req, respond: (res: Res) => void) => void, onReply: (res: Res | { error: string }) => void, timeoutMs: number): void {
    let settled = false;
    const settle = (res: Res | { error: string }) => {
      if (settled) return;
      settled = true;
      onReply(res);
    };
    this.after(timeoutMs, a, () => settle({ error: `call to ${b.name} timed out` }));
    if (!b.up) return this.after(this.delay(), a, () => settle({ error: `${b.name} is unavailable` }));
    if (!this.reachable(a, b)) return;
    const copies = this.chance(this.faults.duplicateChance) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.after(this.delay(), b, () => {
        serve(request, (res) => {
          if (!this.reachable(a, b)) return;
          this.after(this.delay(), a, () => settle(res));
        });
      });
    }
  }
}

export interface ConnEnd<In> {
  message(message: In): void;
  closed(reason: string): void;
}

/** A bidirectional FIFO stream between a (client) and b (server). */
export class Conn<AB = unknown, BA = unknown> {
  closed = false;
  endA: ConnEnd<BA> | undefined;
  endB: ConnEnd<AB> | undefined;
  bIncarnation = -1;
  lastAtA = 0;
  lastAtB = 0;
  /** Messages held by a partition, per direction, in order. */
  private heldToA: BA[] = [];
  private heldToB: AB[] = [];

  constructor(
    private readonly world: World,
    readonly a: Proc,
    readonly b: Proc,
  ) {}

  crosses(x: string, y: string): boolean {
    return (this.a.name === x && this.b.name === y) || (this.a.name === y && this.b.name === x);
  }

  toB(message: AB): void {
    if (this.closed) return;
    if (!this.world.reachable(this.a, this.b)) return void this.heldToB.push(message);
    if (this.world.chance(this.world.faults.resetChance)) return this.reset(undefined);
    const atMs = Math.max(this.world.nowMs + this.world.delay(), this.lastAtB);
    this.lastAtB = atMs;
    // Sent before a close still arrives, as data written before a status does.
    this.world.at(atMs, this.b, () => {
      if (this.b.incarnation === this.bIncarnation) this.endB?.message(message);
    });
  }

  toA(message: BA): void {
    if (this.closed) return;
    if (!this.world.reachable(this.a, this.b)) return void this.heldToA.push(message);
    if (this.world.chance(this.world.faults.resetChance)) return this.reset(undefined);
    const atMs = Math.max(this.world.nowMs + this.world.delay(), this.lastAtA);
    this.lastAtA = atMs;
    this.world.at(atMs, this.a, () => this.endA?.message(message));
  }

  /** A partition healed: what TCP was retransmitting arrives, in order. */
  release(): void {
    const toB = this.heldToB;
    const toA = this.heldToA;
    this.heldToB = [];
    this.heldToA = [];
    for (const m of toB) this.toB(m);
    for (const m of toA) this.toA(m);
  }

  /** Either side closes (or the network resets it): both ends learn after a delay, except a crashed one. */
  reset(by: Proc | undefined, reason = 'connection reset'): void {
    if (this.closed) return;
    this.closed = true;
    this.heldToA = [];
    this.heldToB = [];
    this.world.forget(this);
    // Each end learns of the close after whatever was already sent to it.
    const now = this.world.nowMs;
    if (by !== this.a) this.world.at(Math.max(now + this.world.delay(), this.lastAtA), this.a, () => this.endA?.closed(reason));
    if (by !== this.b && this.endB !== undefined) {
      const endB = this.endB;
      const incarnation = this.bIncarnation;
      this.world.at(Math.max(now + this.world.delay(), this.lastAtB), this.b, () => {
        if (this.b.incarnation === incarnation) endB.closed(reason);
      });
    }
  }
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
