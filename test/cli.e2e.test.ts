/**
 * The client CLI against real processes on loopback (coordinator, one relay,
 * three nodes, the gateway simulator): `relaycast broadcast create` from a
 * 50,000-line CSV and from a JSONL with variables, the --json output checked
 * against the simulator's ledger, bad files refused with nothing created,
 * steering (pause, resume, cancel), dead letters, and the nodes and status
 * commands. The CLI is the real binary, run once per command.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalCluster, relaycastBin, type ManagedProcess } from '../testing/local-cluster';
import { broadcastsClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { DeadLetter__Output } from '../protocol/generated/relaycast/v1/DeadLetter';
import type { Member__Output } from '../protocol/generated/relaycast/v1/Member';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';

/** One CLI run's bound: generous for a loaded 2-core machine, far below the test timeouts. */
const CLI_TIMEOUT_MS = 40_000;
const CSV_RECIPIENTS = 50_000;
/**
 * Failure detection slower than the defaults: this file tests the CLI, not
 * takeover, and on a starved machine a node that misses its heartbeats would
 * be declared down and its in-flight batches redelivered (duplicates).
 */
const COORDINATOR_ARGS = ['--suspect-after-ms', '4000', '--down-after-ms', '8000', '--lease-ttl-ms', '6000', '--log-level', 'warn'];
/** A drained node finishes in-flight work, leaves and exits; bounded generously for a loaded machine. */
const NODE_EXIT_TIMEOUT_MS = 20_000;
/** The simulator fails ids ending in 3 permanently and finds ids ending in 7 unreachable. */
const SIM_ARGS = ['--permanent-failure-suffixes', '3', '--unreachable-suffixes', '7'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('relaycast client CLI against a real cluster', () => {
  const cluster = new LocalCluster('relaycast-cli-');
  let coordinator: string;
  let client: BroadcastsClient;
  let sim: GatewaySimulatorClient;
  const nodes = new Map<string, ManagedProcess>();

  /** `relaycast <args>` with the coordinator given by RELAYCAST_COORDINATOR, as a script would. */
  function relaycast(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(process.execPath, [relaycastBin(), ...args], { env: { ...process.env, RELAYCAST_COORDINATOR: coordinator, RELAYCAST_PLAINTEXT: 'true', ...env }, timeout: CLI_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function json<T>(args: string[]): Promise<T> {
    const r = await relaycast([...args, '--json']);
    expect(r.code, `relaycast ${args.join(' ')} failed: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as T;
  }

  const listBroadcasts = async (): Promise<Broadcast__Output[]> => (await unary(client, 'ListBroadcasts', { clusterId: 'default', pageSize: 1000 })).broadcasts;
  const stats = () => unary(sim, 'GetStats', {});
  const texts = async (broadcastId: string, sequences: number[]) =>
    (await unary(sim, 'GetDelivered', { idempotencyKeys: sequences.map((s) => `${broadcastId}/${s}`) })).texts;

  function file(name: string, text: string): string {
    const full = path.join(cluster.dir, name);
    fs.writeFileSync(full, text);
    return full;
  }

  beforeAll(async () => {
    ({ address: coordinator } = await cluster.startCoordinator(COORDINATOR_ARGS));
    const simProc = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', '--log-level', 'warn', ...SIM_ARGS]);
    const [gateway, relay] = await Promise.all([simProc.ready().then((r) => r.address), cluster.startRelay('relay-1', coordinator, ['--log-level', 'warn'])]);
    await Promise.all(['n1', 'n2', 'n3'].map(async (id) => {
      nodes.set(id, await cluster.startNode(id, { relays: [relay.address] }, ['--gateway', gateway, '--log-level', 'warn']));
    }));
    client = broadcastsClient(coordinator);
    sim = gatewaySimulatorClient(gateway);
  }, 60_000);

  beforeEach(async () => {
    await unary(sim, 'Reset', {});
  });

  afterAll(async () => {
    client?.close();
    sim?.close();
    await cluster.stopAll();
  });

  let csvBroadcast: Broadcast__Output;

  it('creates from a 50,000-line CSV, follows it to the end, and --json has the counts the gateway saw', async () => {
    // Every tenth row has no code: the empty cell leaves the variable unset and the fallback applies.
    const rows = Array.from({ length: CSV_RECIPIENTS }, (_, i) => `u${i},Name-${i},${i % 10 === 0 ? '' : `C${i}`}`);
    const audience = file('audience.csv', `recipient_id,name,code\n${rows.join('\n')}\n`);
    const r = await relaycast(['broadcast', 'create', '--audience', audience, '--template', 'Hello {{name}}, code {{code|none}}', '--only-reachable', '--json']);
    expect(r.code, r.stderr).toBe(0);
    csvBroadcast = JSON.parse(r.stdout) as Broadcast__Output;
    const c = csvBroadcast.counts!;
    expect(csvBroadcast.state).toBe('BROADCAST_STATE_COMPLETED');
    expect(c.total).toBe(CSV_RECIPIENTS);
    expect(c.deadLettered).toBe(CSV_RECIPIENTS / 10);
    expect(c.skippedUnreachable).toBe(CSV_RECIPIENTS / 10);
    expect(c.delivered).toBe(CSV_RECIPIENTS - CSV_RECIPIENTS / 5);
    expect(c.inFlight + c.pending).toBe(0);

    const s = await stats();
    expect(s.uniqueDelivered).toBe(c.delivered);
    expect(s.duplicates).toBe(0);
    // Sequence i is row i: the upload keeps the file's order.
    expect(await texts(csvBroadcast.broadcastId, [0, 1, 12_345, 49_999])).toEqual([
      'Hello Name-0, code none', 'Hello Name-1, code C1', 'Hello Name-12345, code C12345', 'Hello Name-49999, code C49999',
    ]);
    expect(await texts(csvBroadcast.broadcastId, [3, 7])).toEqual(['', '']);
  }, 60_000);

  it('creates from a JSONL with variables (--detach), and watch --json streams snapshots to COMPLETED', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify(i % 2 === 0
        ? { id: `j${i}x`, vars: { name: `N${i}`, n: i } }
        : { id: `j${i}x`, vars: [{ key: 'name', value: `N${i}` }] }));
    const audience = file('audience.jsonl', `${lines.join('\n')}\n`);
    const created = await relaycast(['broadcast', 'create', '--audience', audience, '--template', '{{name}} #{{n|odd}} ({{recipient.id}})', '--detach']);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^bc-\S+$/);
    expect(created.stderr).toMatch(/uploaded 2,000 recipients/);

    const watched = await relaycast(['broadcast', 'watch', id, '--json', '--interval-ms', '100']);
    expect(watched.code, watched.stderr).toBe(0);
    const snapshots = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as Broadcast__Output);
    const last = snapshots[snapshots.length - 1]!;
    expect(last.state).toBe('BROADCAST_STATE_COMPLETED');
    expect(last.counts).toMatchObject({ total: 2000, delivered: 2000, skippedUnreachable: 0, deadLettered: 0 });
    expect((await stats()).uniqueDelivered).toBe(2000);
    expect(await texts(id, [0, 1, 1998])).toEqual(['N0 #0 (j0x)', 'N1 #odd (j1x)', 'N1998 #1998 (j1998x)']);

    const [got, listed] = await Promise.all([json<Broadcast__Output>(['broadcast', 'get', id]), json<Broadcast__Output[]>(['broadcast', 'list'])]);
    expect(got).toMatchObject({ broadcastId: id, state: 'BROADCAST_STATE_COMPLETED', template: '{{name}} #{{n|odd}} ({{recipient.id}})' });
    expect(listed.map((b) => b.broadcastId)).toEqual(expect.arrayContaining([csvBroadcast.broadcastId, id]));
  }, 60_000);

  it('refuses bad audience files with the line, exit 3, and creates nothing', async () => {
    const before = (await listBroadcasts()).length;
    // Past the first 10,000-recipient chunk, so the upload is already streaming when the bad row is read.
    const good = Array.from({ length: 15_000 }, (_, i) => `b${i},x`).join('\n');
    const cases: Array<{ file: string; message: RegExp }> = [
      { file: file('late-bad-row.csv', `id,name\n${good}\nb15000\nb15001,x\n`), message: /late-bad-row\.csv:15002: 1 fields, but the header has 2; nothing was created/ },
      { file: file('no-id.csv', 'user,name\nu1,Ada\n'), message: /no-id\.csv:1: the header has no recipient id column/ },
      { file: file('bad-line.jsonl', '{"id":"a"}\n{"id":"b","vars":{"name":{"first":"B"}}}\n'), message: /bad-line\.jsonl:2: variable "name" must be a string, number or boolean/ },
      { file: file('audience.xlsx', 'whatever'), message: /audience\.xlsx: unknown audience file type/ },
      { file: path.join(cluster.dir, 'missing.csv'), message: /missing\.csv: no such file/ },
    ];
    const [asJson, ...runs] = await Promise.all([
      relaycast(['broadcast', 'create', '--audience', cases[1]!.file, '--template', 'x', '--json']),
      ...cases.map((c) => relaycast(['broadcast', 'create', '--audience', c.file, '--template', 'Hi {{name|there}}'])),
    ]);
    for (const [i, r] of runs.entries()) {
      expect(r.code, `${cases[i]!.file}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(cases[i]!.message);
      expect(r.stdout).toBe('');
    }
    expect(asJson.code).toBe(3);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'BAD_AUDIENCE', exitCode: 3 } });

    expect((await listBroadcasts()).length).toBe(before);
    const s = await stats();
    expect(s.attempts).toBe(0);
  }, 60_000);

  it('lists dead letters, retries chosen ones, and reports a missing broadcast with exit 1', async () => {
    const id = csvBroadcast.broadcastId;
    const [all, firstPage, missing] = await Promise.all([
      json<DeadLetter__Output[]>(['broadcast', 'dead-letters', id, '--limit', '0']),
      relaycast(['broadcast', 'dead-letters', id, '--limit', '2']),
      relaycast(['broadcast', 'get', 'bc-does-not-exist']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND: broadcast "bc-does-not-exist" does not exist/);
    expect(all).toHaveLength(CSV_RECIPIENTS / 10);
    expect(all.every((d) => d.recipientId.endsWith('3') && d.reason.length > 0)).toBe(true);
    expect(firstPage.stdout.split('\n')[0]).toMatch(/^SEQUENCE\s+RECIPIENT\s+ATTEMPTS\s+REASON/);
    expect(firstPage.stdout.trim().split('\n')).toHaveLength(3);

    // Still failing at the simulator, so the retried ones come back as dead letters.
    const retried = await json<{ retried: number }>(['broadcast', 'retry', id, '--sequences', `${all[0]!.sequence},${all[1]!.sequence}`]);
    expect(retried.retried).toBe(2);
    const watched = await relaycast(['broadcast', 'watch', id]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/COMPLETED/);
    expect(watched.stdout).toMatch(/dead-lettered\s+5,000/);
  }, 60_000);

  it('pauses, resumes and cancels; watch of a cancelled broadcast exits 4', async () => {
    // 25 s of work at the rate limit: still running after the CLI calls below, however slow the machine.
    const audience = file('slow.csv', `id\n${Array.from({ length: 5000 }, (_, i) => `s${i}x`).join('\n')}\n`);
    const created = await relaycast(['broadcast', 'create', '--audience', audience, '--template', 'Hi', '--rate-limit-per-s', '200', '--detach']);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect((await json<Broadcast__Output>(['broadcast', 'pause', id])).state).toBe('BROADCAST_STATE_PAUSED');
    const human = await relaycast(['broadcast', 'resume', id]);
    // Resumed broadcasts go back to PENDING until their shards are handed out.
    expect(human.stdout.trim()).toMatch(new RegExp(`^broadcast ${id} is (PENDING|RUNNING)$`));
    expect((await json<Broadcast__Output>(['broadcast', 'cancel', id])).state).toBe('BROADCAST_STATE_CANCELLED');
    const watched = await relaycast(['broadcast', 'watch', id]);
    expect(watched.code).toBe(4);
    expect(watched.stdout).toMatch(new RegExp(`broadcast ${id} CANCELLED`));
    expect((await listBroadcasts()).filter((b) => b.broadcastId === id).map((b) => b.state)).toEqual(['BROADCAST_STATE_CANCELLED']);
  }, 60_000);

  it('nodes list and status --json describe the cluster', async () => {
    const [members, relaysOnly, status, text, active] = await Promise.all([
      json<Member__Output[]>(['nodes', 'list']),
      json<Member__Output[]>(['nodes', 'list', '--kind', 'relay']),
      json<{ coordinator: string; status: { version: string; relayLinks: number }; relays: Member__Output[]; nodes: Record<string, number>; broadcasts: { active: unknown[]; finished: number } }>(['status']),
      relaycast(['status']),
      json<Broadcast__Output[]>(['broadcast', 'list', '--active']),
    ]);
    const byId = new Map(members.map((m) => [m.nodeId, m]));
    for (const id of ['n1', 'n2', 'n3']) expect(byId.get(id)).toMatchObject({ kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_ALIVE', relayId: 'relay-1' });
    expect(byId.get('relay-1')).toMatchObject({ kind: 'MEMBER_KIND_RELAY', state: 'NODE_STATE_ALIVE' });
    expect(relaysOnly.map((m) => m.nodeId)).toEqual(['relay-1']);

    expect(status.coordinator).toBe(coordinator);
    expect(status.status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.status.relayLinks).toBe(1);
    expect(status.nodes).toEqual({ alive: 3 });
    expect(status.relays.map((r) => r.nodeId)).toEqual(['relay-1']);
    expect(status.broadcasts.active).toEqual([]);
    expect(status.broadcasts.finished).toBe(3);

    expect(active).toEqual([]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/nodes\s+3 alive/);
  }, 30_000);

  it('nodes drain --wait returns once the node has LEFT, and the node process exits 0', async () => {
    const r = await relaycast(['nodes', 'drain', 'n3', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const drained = JSON.parse(r.stdout) as { node: Member__Output; shards: number };
    expect(drained.node).toMatchObject({ nodeKey: 'default/n3', state: 'NODE_STATE_LEFT' });
    const exit = await Promise.race([nodes.get('n3')!.exit(), new Promise((resolve) => setTimeout(() => resolve('still running'), NODE_EXIT_TIMEOUT_MS))]);
    expect(exit).toMatchObject({ code: 0 });
    const left = await json<Member__Output[]>(['nodes', 'list', '--state', 'left']);
    expect(left.map((m) => m.nodeId)).toEqual(['n3']);

    const again = await relaycast(['nodes', 'drain', 'n3']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/FAILED_PRECONDITION/);
  }, 45_000);
});
