/**
 * The single executable (`npm run build:bin`, docs/binary.md): built (or
 * reused when up to date), copied alone into an empty directory with no
 * node_modules, then `--help`, `--version` and a one-node cluster: a
 * coordinator and a node from the binary, both ready, the node registered
 * as seen by the binary's own `nodes list`, and LevelDB files on disk (the
 * embedded native addon loaded).
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../testing/local-cluster';

const ROOT = path.join(__dirname, '..');
const BUILD_SCRIPT = path.join(ROOT, 'dist', 'scripts', 'build-bin.js');
/** A cold build is ~10 s (most of it postject rewriting a 100 MB file); generous for a loaded machine. */
const BUILD_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 20_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function execRun(file: string, args: string[], env: NodeJS.ProcessEnv, timeout: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
      resolve({ code, stdout, stderr: err !== null && code === null ? `${stderr}\n${err.message}` : stderr });
    });
  });
}

describe('the relaycast single executable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relaycast-bin-'));
  const binary = path.join(dir, 'relaycast');
  // Only the binary's own environment: no NODE_OPTIONS from the runner, and
  // the embedded files extracted inside this test's directory.
  // The cluster runs on loopback without TLS: servers and client commands alike.
  const env: NodeJS.ProcessEnv = { ...process.env, RELAYCAST_BIN_CACHE_DIR: path.join(dir, 'cache'), RELAYCAST_LOG_LEVEL: 'info', RELAYCAST_PLAINTEXT: 'true' };
  delete env.NODE_OPTIONS;
  delete env.RELAYCAST_COORDINATOR;
  const processes: ManagedProcess[] = [];

  const relaycast = (args: string[]) => execRun(binary, args, env, RUN_TIMEOUT_MS);

  function start(name: string, args: string[]): ManagedProcess {
    const proc = new ManagedProcess(name, spawn(binary, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    processes.push(proc);
    return proc;
  }

  beforeAll(async () => {
    expect(fs.existsSync(BUILD_SCRIPT), 'dist/scripts/build-bin.js is missing: run `npm run build`').toBe(true);
    const build = await execRun(process.execPath, [BUILD_SCRIPT], process.env, BUILD_TIMEOUT_MS);
    expect(build.code, `build-bin failed:\n${build.stdout}\n${build.stderr}`).toBe(0);
    fs.copyFileSync(path.join(ROOT, 'dist-bin', 'relaycast'), binary);
    fs.chmodSync(binary, 0o755);
  }, BUILD_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop(5_000)));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('runs alone: --help lists the commands, --version matches package.json', async () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['relaycast']);
    const help = await relaycast(['--help']);
    expect(help.code, help.stderr).toBe(0);
    for (const name of ['coordinator', 'relay', 'node', 'gateway-sim', 'demo', 'broadcast', 'nodes', 'status']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(help.stderr).toBe('');
    const version = await relaycast(['--version']);
    expect(version.code, version.stderr).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('starts a coordinator and a node that registers', async () => {
    const coordinatorData = path.join(dir, 'coordinator');
    const coordinator = start('coordinator', ['coordinator', '--listen', '127.0.0.1:0', '--data-dir', coordinatorData]);
    const { address } = await coordinator.ready(READY_TIMEOUT_MS);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);

    const node = start('node n1', ['node', '--id', 'n1', '--coordinator', address]);
    const ready = await node.ready(READY_TIMEOUT_MS);
    expect(ready.ready).toBe('node');

    // Registered: the binary's own client command sees it alive (polled, bounded).
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let members: Array<{ nodeId: string; state: string }> = [];
    let last: Run | undefined;
    while (Date.now() < deadline) {
      last = await relaycast(['nodes', 'list', '--json', '--coordinator', address]);
      if (last.code === 0) {
        members = JSON.parse(last.stdout) as typeof members;
        if (members.some((m) => m.nodeId === 'n1' && m.state === 'NODE_STATE_ALIVE')) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(members.map((m) => [m.nodeId, m.state]), `nodes list: ${last?.stdout} ${last?.stderr}`).toEqual([['n1', 'NODE_STATE_ALIVE']]);

    // LevelDB (the embedded native addon) wrote its files.
    expect(fs.existsSync(path.join(coordinatorData, 'CURRENT'))).toBe(true);
    // The embedded files went to the cache directory given, not next to the binary; the node (stateless) wrote nothing.
    expect(fs.readdirSync(dir).sort()).toEqual(['cache', 'coordinator', 'relaycast']);

    expect(await node.stop(5_000)).toBe(0);
    expect(await coordinator.stop(5_000)).toBe(0);
  });
});
