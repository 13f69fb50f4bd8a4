/**
 * API tokens on the public services, across real processes: a coordinator
 * with --tokens-file (plaintext here; tokens do not depend on TLS). Calls
 * without a token or with a wrong one are UNAUTHENTICATED; a read token may
 * look but not act (PERMISSION_DENIED); an admin token may do both. Health,
 * reflection and the nodes' own traffic need no token. The CLI sends the
 * token from --token-file or RELAYCAST_TOKEN.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, relaycastBin } from '../testing/local-cluster';
import { adminClient, broadcastsClient, membershipClient, unary } from '../client/client';
import type { AdminClient } from '../protocol/generated/relaycast/v1/Admin';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import { bearerTokenInterceptor } from '../platform/api-auth';
import { until } from './helpers';

const run = promisify(execFile);
const READ_TOKEN = 'read-0123456789abcdef0123456789abcdef';
const ADMIN_TOKEN = 'admin-fedcba9876543210fedcba9876543210';

type Clients = { admin: AdminClient; broadcasts: BroadcastsClient; members: MembershipClient };

/** Clients whose every call carries `authorization: Bearer <token>` (none for undefined). */
function clientsWith(address: string, token: string | undefined): Clients {
  const interceptors = token === undefined ? [] : [bearerTokenInterceptor(token)];
  const insecure = grpc.credentials.createInsecure();
  return { admin: adminClient(address, insecure, { interceptors }), broadcasts: broadcastsClient(address, insecure, { interceptors }), members: membershipClient(address, insecure, { interceptors }) };
}

function code(promise: Promise<unknown>): Promise<number> {
  return promise.then(() => grpc.status.OK, (err: grpc.ServiceError) => err.code);
}

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [relaycastBin(), ...args], { env: { ...process.env, RELAYCAST_PLAINTEXT: 'true', ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function bufCurl(args: string[]): Promise<string> {
  const { stdout } = await run(require.resolve('@bufbuild/buf/bin/buf'), ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], { timeout: 30_000 });
  return stdout;
}

describe('API tokens', () => {
  const cluster = new LocalCluster('relaycast-auth-');
  const tokensFile = path.join(cluster.dir, 'tokens');
  const readTokenFile = path.join(cluster.dir, 'read.token');
  let address: string;
  let none: Clients;
  let wrong: Clients;
  let reader: Clients;
  let admin: Clients;

  beforeAll(async () => {
    fs.writeFileSync(tokensFile, `# scope token name\nread ${READ_TOKEN} dashboards\nadmin ${ADMIN_TOKEN} ops\n`, { mode: 0o600 });
    fs.writeFileSync(readTokenFile, `${READ_TOKEN}\n`, { mode: 0o600 });
    ({ address } = await cluster.startCoordinator(['--tokens-file', tokensFile]));
    // A node needs no token: its session is not a public service.
    await cluster.startNode('n1', { coordinator: address });
    none = clientsWith(address, undefined);
    wrong = clientsWith(address, 'not-a-token-0123456789abcdef');
    reader = clientsWith(address, READ_TOKEN);
    admin = clientsWith(address, ADMIN_TOKEN);
    await until(async () => (await unary(admin.members, 'ListNodes', { clusterId: 'default', state: 'NODE_STATE_ALIVE' })).nodes.length === 1, 'n1 ALIVE', 20_000, 200);
  }, 60_000);

  afterAll(async () => {
    for (const clients of [none, wrong, reader, admin]) for (const client of Object.values(clients ?? {})) client.close();
    await cluster.stopAll();
  });

  it('a call without a token, or with a wrong one, is UNAUTHENTICATED', async () => {
    for (const clients of [none, wrong]) {
      expect(await code(unary(clients.admin, 'GetStatus', {}))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await code(unary(clients.members, 'ListNodes', { clusterId: 'default' }))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await code(unary(clients.broadcasts, 'CreateBroadcast', { clusterId: 'default', template: 'x', audience: [{ id: 'u1', vars: [] }] }))).toBe(grpc.status.UNAUTHENTICATED);
    }
    const err = await unary(none.admin, 'GetStatus', {}).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).details).toMatch(/needs an API token: send the metadata "authorization: Bearer <token>"/);
    expect(await code(unary(none.broadcasts, 'ListBroadcasts', { clusterId: 'default' }))).toBe(grpc.status.UNAUTHENTICATED);
    // Nothing was created by the refused calls.
    expect((await unary(admin.broadcasts, 'ListBroadcasts', { clusterId: 'default' })).broadcasts).toEqual([]);
  });

  it('a read token may call the read methods, streams included', async () => {
    expect(await code(unary(reader.admin, 'GetStatus', {}))).toBe(grpc.status.OK);
    expect((await unary(reader.members, 'ListNodes', { clusterId: 'default' })).nodes.map((n) => n.nodeId)).toEqual(['n1']);
    expect(await code(unary(reader.broadcasts, 'ListBroadcasts', { clusterId: 'default' }))).toBe(grpc.status.OK);
    const events: WatchEvent__Output[] = [];
    const watch = reader.members.Watch({ clusterId: 'default', afterRevision: 0 });
    watch.on('data', (e: WatchEvent__Output) => events.push(e));
    watch.on('error', () => undefined);
    await until(() => events.length > 0, 'a watch event with a read token', 10_000, 50);
    watch.cancel();
  });

  it('a read token on an admin method is PERMISSION_DENIED and changes nothing; an admin token may', async () => {
    const create = { clusterId: 'default', template: 'Hi {{recipient.id}}', audience: [{ id: 'u1', vars: [] }], options: { shardSize: 10 } };
    const denied = await unary(reader.broadcasts, 'CreateBroadcast', create).catch((e: grpc.ServiceError) => e);
    expect((denied as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((denied as grpc.ServiceError).details).toMatch(/CreateBroadcast needs an admin token; dashboards has scope read/);
    expect(await code(unary(reader.admin, 'DrainNode', { clusterId: 'default', nodeId: 'n1' }))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(unary(reader.members, 'Register', { clusterId: 'default', nodeId: 'x', instanceId: 'i', address: '', labels: [], capacityWeight: 1 }))).toBe(grpc.status.PERMISSION_DENIED);
    // A client stream is refused before its first chunk.
    const upload = await new Promise<number>((resolve) => {
      const call = reader.broadcasts.UploadAudience((err) => resolve(err === null ? grpc.status.OK : err.code));
      call.write({ recipients: [{ id: 'u1', vars: [] }] });
      call.end();
    });
    expect(upload).toBe(grpc.status.PERMISSION_DENIED);
    expect((await unary(admin.broadcasts, 'ListBroadcasts', { clusterId: 'default' })).broadcasts).toEqual([]);

    const created = await unary(admin.broadcasts, 'CreateBroadcast', create);
    expect(created.broadcastId).not.toBe('');
    expect(await code(unary(reader.broadcasts, 'CancelBroadcast', { broadcastId: created.broadcastId }))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(unary(reader.broadcasts, 'GetBroadcast', { broadcastId: created.broadcastId }))).toBe(grpc.status.OK);
    expect(await code(unary(admin.broadcasts, 'GetBroadcast', { broadcastId: created.broadcastId }))).toBe(grpc.status.OK);
  });

  it('health and reflection stay open', async () => {
    const services = (await bufCurl(['--list-services', `http://${address}`])).split('\n');
    expect(services).toContain('relaycast.v1.Broadcasts');
    const health = JSON.parse(await bufCurl(['-d', '{}', `http://${address}/grpc.health.v1.Health/Check`])) as { status: string };
    expect(health.status).toBe('SERVING');
  });

  it('the CLI sends its token from RELAYCAST_TOKEN or --token-file, and says what is missing', async () => {
    const missing = await cli(['status', '--coordinator', address], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/UNAUTHENTICATED: .*needs an API token.*give the API token with --token-file or RELAYCAST_TOKEN/);
    const status = await cli(['nodes', 'list', '--json', '--coordinator', address], { RELAYCAST_TOKEN: READ_TOKEN });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as Array<{ nodeId: string }>).map((n) => n.nodeId)).toContain('n1');
    const drain = await cli(['nodes', 'drain', 'n1', '--coordinator', address, '--token-file', readTokenFile], {});
    expect(drain.code).toBe(1);
    expect(drain.stderr).toMatch(/PERMISSION_DENIED: .*DrainNode needs an admin token/);
  });

  it('a bad tokens file stops the coordinator at start, naming the line', async () => {
    const bad = path.join(cluster.dir, 'bad-tokens');
    fs.writeFileSync(bad, `read ${READ_TOKEN}\nwrite ${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const result = await cli(['coordinator', '--listen', '127.0.0.1:0', '--data-dir', path.join(cluster.dir, 'unused'), '--tokens-file', bad], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:2: scope must be read or admin, got "write"`);
  });
});
