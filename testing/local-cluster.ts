/**
 * Starts real relaycast processes on loopback with ephemeral ports, for the
 * demo, the tests and the benchmarks. Every wait is bounded and every
 * process started is tracked so that stopAll() can clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** bin/relaycast.js, found from this file's place in the source or dist tree. */
export function relaycastBin(): string {
  for (const candidate of [path.join(__dirname, '..', 'bin', 'relaycast.js'), path.join(__dirname, '..', '..', 'bin', 'relaycast.js')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('cannot find bin/relaycast.js');
}

export interface ReadyLine {
  ready: string;
  address: string;
  [key: string]: unknown;
}

export class ManagedProcess {
  readonly lines: string[] = [];
  private exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<{ test: (line: string) => boolean; resolve: (line: string) => void }>();
  private readonly listeners = new Set<(line: string) => void>();
  exited = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly linesMax = 20_000,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      readline.createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first line (past or future) that passes `test`. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number, what = 'line'): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve: (line: string) => { clearTimeout(timer); resolve(line); } };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms; last output:\n${this.lines.slice(-15).join('\n')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      void this.exitPromise.then(() => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before ${what}; last output:\n${this.lines.slice(-15).join('\n')}`));
      });
    });
  }

  async ready(timeoutMs = 15_000): Promise<ReadyLine> {
    const line = await this.waitForLine((l) => l.startsWith('{"ready"'), timeoutMs, 'ready line');
    return JSON.parse(line) as ReadyLine;
  }

  /**
   * Calls `listener` with every future line, for callers that must see all
   * of a long run's output (`lines` keeps only the most recent ones).
   * Returns a function that removes the listener.
   */
  onEachLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 5_000): Promise<number | null> {
    if (this.exited) return (await this.exitPromise).code;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const { code } = await this.exitPromise;
    clearTimeout(timer);
    return code;
  }

  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }

  private onLine(line: string): void {
    if (this.lines.length >= this.linesMax) this.lines.splice(0, this.linesMax / 2);
    this.lines.push(line);
    for (const listener of this.listeners) listener(line);
    for (const waiter of this.waiters) {
      if (waiter.test(line)) {
        this.waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }
}

export interface LocalClusterOptions {
  /**
   * Start every process with RELAYCAST_PLAINTEXT=true (the default): a
   * loopback cluster for the demo, tests and benchmarks needs no
   * certificates. With false, give each process its --tls-* flags.
   */
  plaintext?: boolean;
}

export class LocalCluster {
  readonly dir: string;
  private readonly processes: ManagedProcess[] = [];
  private readonly plaintext: boolean;

  constructor(prefix = 'relaycast-', options: LocalClusterOptions = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.plaintext = options.plaintext ?? true;
  }

  /** Runs `relaycast <args>` with RELAYCAST_* from `env` (plaintext unless the cluster was made with plaintext: false). */
  spawn(name: string, args: string[], env: Record<string, string> = {}): ManagedProcess {
    const transport = this.plaintext ? { RELAYCAST_PLAINTEXT: 'true' } : { RELAYCAST_PLAINTEXT: '' };
    const child = spawn(process.execPath, [relaycastBin(), ...args], {
      env: { ...process.env, RELAYCAST_LOG_LEVEL: process.env.RELAYCAST_LOG_LEVEL ?? 'info', ...transport, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const managed = new ManagedProcess(name, child);
    this.processes.push(managed);
    return managed;
  }

  /** Runs a Node script (e.g. a benchmark helper) under the same tracking. */
  spawnScript(name: string, script: string, args: string[]): ManagedProcess {
    const child = spawn(process.execPath, [script, ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const managed = new ManagedProcess(name, child);
    this.processes.push(managed);
    return managed;
  }

  async startCoordinator(extra: string[] = [], name = 'coordinator', dataDir = path.join(this.dir, 'coordinator')): Promise<{ proc: ManagedProcess; address: string }> {
    const proc = this.spawn(name, ['coordinator', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extra]);
    return { proc, address: (await proc.ready()).address };
  }

  async startRelay(id: string, coordinator: string, extra: string[] = []): Promise<{ proc: ManagedProcess; address: string }> {
    const proc = this.spawn(`relay ${id}`, ['relay', '--id', id, '--coordinator', coordinator, '--listen', '127.0.0.1:0', ...extra]);
    return { proc, address: (await proc.ready()).address };
  }

  async startNode(id: string, endpoints: { relays?: string[]; coordinator?: string }, extra: string[] = []): Promise<ManagedProcess> {
    // Nodes are stateless: no data directory.
    const args = ['node', '--id', id];
    if (endpoints.relays !== undefined && endpoints.relays.length > 0) args.push('--relays', endpoints.relays.join(','));
    if (endpoints.coordinator !== undefined) args.push('--coordinator', endpoints.coordinator);
    const proc = this.spawn(`node ${id}`, [...args, ...extra]);
    await proc.ready();
    return proc;
  }

  /** Every process started so far (exited ones included). */
  running(): readonly ManagedProcess[] {
    return this.processes;
  }

  /** SIGTERM everything still running (SIGKILL after a bound), then remove the temp dir. */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(graceMs)));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
