/**
 * The control channel between bench/vs-etcd.ts and its member simulators:
 * JSON lines on the simulator's stdin ({"id":1,"cmd":"stats"}), answered by
 * one JSON line on its stdout ({"reply":1,...}). A simulator exits when its
 * stdin closes, so none outlives the benchmark that started it.
 */
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { ManagedProcess } from '../testing/local-cluster';

/** What every simulator answers to {"cmd":"stats"}: counters since start. */
export interface SimStats {
  /** Keepalive/liveness packets sent. */
  sent: number;
  /** Renewals received (etcd: keepalive responses with TTL > 0; relaycast: LeaseRenewed / acked liveness). */
  renewed: number;
  /** Leases lost while the member was alive: etcd TTL <= 0, relaycast LeaseLost or rejected liveness. */
  lost: number;
  errors: number;
  /** Members registered and not stopped. */
  live: number;
}

export type Command = { cmd: 'stats' } | { cmd: 'stop'; members: number[] };

/** In a simulator: answer commands from stdin; exit when stdin closes. */
export function serveControl(handle: (command: Command) => object): void {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let message: { id: number } & Command;
    try {
      message = JSON.parse(line) as { id: number } & Command;
    } catch {
      return;
    }
    process.stdout.write(JSON.stringify({ reply: message.id, ...handle(message) }) + '\n');
  });
  rl.on('close', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** Child processes started here, for cleanup when the benchmark is interrupted. */
const started = new Set<ManagedProcess>();

/** Also kill `proc` if the benchmark exits while it runs. */
export function track(proc: ManagedProcess): void {
  if (started.has(proc) || proc.exited) return;
  started.add(proc);
  void proc.exit().then(() => started.delete(proc));
}

export function trackedProcesses(): ManagedProcess[] {
  return [...started];
}

/** A simulator process with a control channel. */
export class Sim {
  private nextId = 1;
  readonly proc: ManagedProcess;

  constructor(name: string, script: string, args: string[]) {
    const child = spawn(process.execPath, [script, ...args], { env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => undefined);
    this.proc = new ManagedProcess(name, child);
    track(this.proc);
  }

  get pid(): number {
    return this.proc.pid;
  }

  async request<T extends object>(command: Command, timeoutMs = 15_000): Promise<T> {
    const id = this.nextId++;
    const prefix = `{"reply":${id},`;
    const waiting = this.proc.waitForLine((line) => line.startsWith(prefix), timeoutMs, `reply ${id}`);
    this.proc.child.stdin!.write(JSON.stringify({ id, ...command }) + '\n');
    return JSON.parse(await waiting) as T;
  }

  stats(): Promise<SimStats> {
    return this.request<SimStats>({ cmd: 'stats' });
  }

  /** Stops the members (they go silent); resolves with the simulator's clock at the stop. */
  async stopMembers(members: number[]): Promise<number> {
    return (await this.request<{ at: number }>({ cmd: 'stop', members })).at;
  }

  async close(graceMs = 3_000): Promise<void> {
    if (this.proc.exited) return;
    this.proc.child.stdin!.end();
    await this.proc.stop(graceMs);
  }
}
