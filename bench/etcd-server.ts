/**
 * A throw-away etcd for benchmarks: finds (or installs, with Debian's
 * `etcd-server` package) the `etcd` binary, starts a single member on
 * loopback with free ports and a temporary data directory, and stops it.
 *
 * The distro's own etcd service is kept out of the way: the install runs
 * with a policy-rc.d that forbids starting services (added only for the
 * install when none exists), and a service that runs anyway after our
 * install is stopped and disabled through the service manager.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ManagedProcess } from '../testing/local-cluster';
import { etcdServices } from './etcd-proto';

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(command: string, args: string[], log: (line: string) => void, timeoutMs = 600_000): boolean {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    encoding: 'utf8',
  });
  if (result.status !== 0) log(`  exit ${result.status ?? result.signal}: ${(result.stderr || result.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
  return result.status === 0;
}

/** The etcd version line, e.g. "etcd Version: 3.4.23". */
export function etcdVersion(binary: string): string {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return (result.stdout ?? '').split('\n').find((l) => l.startsWith('etcd Version'))?.replace('etcd Version:', '').trim() ?? 'unknown';
}

/**
 * Path of the etcd binary; installs `etcd-server` with apt-get when there
 * is none (root only). Throws with a clear message when it cannot.
 */
export function ensureEtcd(log: (line: string) => void): string {
  const found = which('etcd');
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) throw new Error('etcd is not installed and we are not root: install it with `apt-get install -y etcd-server`');
  // Keep the package's service from starting while it installs.
  const addedPolicy = !fs.existsSync(POLICY_RC_D);
  if (addedPolicy) fs.writeFileSync(POLICY_RC_D, '#!/bin/sh\n# added by relaycast bench/vs-etcd for the etcd-server install\nexit 101\n', { mode: 0o755 });
  try {
    if (!run('apt-get', ['install', '-y', '--no-install-recommends', 'etcd-server'], log)) {
      if (!run('apt-get', ['update'], log) || !run('apt-get', ['install', '-y', '--no-install-recommends', 'etcd-server'], log)) {
        throw new Error('apt-get install -y etcd-server failed');
      }
    }
  } finally {
    if (addedPolicy) fs.rmSync(POLICY_RC_D, { force: true });
  }
  stopDistroService(log);
  const installed = which('etcd') ?? (fs.existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : undefined);
  if (installed === undefined) throw new Error('etcd-server installed but no etcd binary found');
  return installed;
}

/** Stops and disables the distro's etcd service if a service manager runs it. */
function stopDistroService(log: (line: string) => void): void {
  let init = '';
  try {
    init = fs.readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    // unknown
  }
  if (init === 'systemd' && which('systemctl') !== undefined) {
    const active = spawnSync('systemctl', ['is-active', '--quiet', 'etcd']).status === 0;
    const enabled = spawnSync('systemctl', ['is-enabled', '--quiet', 'etcd']).status === 0;
    if (active || enabled) run('systemctl', ['disable', '--now', 'etcd'], log, 60_000);
  } else if (fs.existsSync('/etc/init.d/etcd')) {
    const status = spawnSync('/etc/init.d/etcd', ['status'], { stdio: 'ignore', timeout: 10_000 }).status;
    if (status === 0) run('/etc/init.d/etcd', ['stop'], log, 60_000);
  }
}

/** Pids of etcd processes we did not start (they would share the CPU). */
export function otherEtcdPids(except: number[] = []): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'etcd' && !except.includes(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface EtcdInstance {
  proc: ManagedProcess;
  /** HOST:PORT of the client (gRPC) listener. */
  address: string;
  dataDir: string;
  version: string;
  stop(): Promise<void>;
}

/** Starts one etcd member on loopback; resolves once it answers gRPC. */
export async function startEtcd(binary: string, extraArgs: string[] = [], readyTimeoutMs = 30_000): Promise<EtcdInstance> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relaycast-vs-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  // No ETCD_* from the environment: only the flags below configure it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
  const child = spawn(binary, [
    '--name', 'vs-etcd',
    '--data-dir', path.join(dataDir, 'data'),
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `vs-etcd=${peer}`,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', `vs-etcd-${process.pid}`,
    '--logger', 'zap',
    '--log-level', 'warn',
    ...extraArgs,
  ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new ManagedProcess('etcd', child);
  const address = `127.0.0.1:${clientPort}`;
  const stop = async () => {
    await proc.stop(5_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(address, proc, readyTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, address, dataDir, version: etcdVersion(binary), stop };
}

async function waitReady(address: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const kv = new (etcdServices().KV)(address, grpc.credentials.createInsecure());
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (proc.exited) throw new Error(`etcd exited at start; last output:\n${proc.lines.slice(-15).join('\n')}`);
      const ok = await new Promise<boolean>((resolve) => {
        kv.Range({ key: Buffer.from('vs-etcd-ready') }, { deadline: Date.now() + 1_000 }, (err: grpc.ServiceError | null) => resolve(err === null));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`etcd not ready within ${timeoutMs} ms; last output:\n${proc.lines.slice(-15).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    kv.close();
  }
}
