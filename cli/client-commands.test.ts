/**
 * The client commands against an in-process fake Broadcasts service: exit
 * codes, the upload cancelled at a bad row with nothing created, JSON
 * output, and usage errors that never reach the network.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { relaycastV1 } from '../protocol/proto';
import { broadcastsClient } from '../client/client';
import { uploadAudienceFrom } from '../client/audience-upload';
import type { Broadcast } from '../protocol/generated/relaycast/v1/Broadcast';
import type { CreateBroadcastRequest__Output } from '../protocol/generated/relaycast/v1/CreateBroadcastRequest';
import type { Recipient, Recipient__Output } from '../protocol/generated/relaycast/v1/Recipient';
import { isClientInvocation, runClientCli } from './client-commands';
import { EXIT } from './exit-codes';
import { byteBoundedChunks } from './broadcast-create';
import { connectionCause } from './connection';

// The fake coordinator below listens without TLS; the CLI uses TLS unless told otherwise.
process.env.RELAYCAST_PLAINTEXT ??= 'true';

class Capture {
  text = '';
  readonly isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

interface Fake {
  uploads: Array<{ recipients: Recipient__Output[]; refused: boolean; completed: boolean }>;
  creates: CreateBroadcastRequest__Output[];
}

const fake: Fake = { uploads: [], creates: [] };
let server: grpc.Server;
let address: string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relaycast-cli-'));

function snapshot(req: CreateBroadcastRequest__Output, state: string, delivered: number): Broadcast {
  const total = fake.uploads.find((u) => u.completed)?.recipients.length ?? 0;
  return { broadcastId: 'bc-test', clusterId: req.clusterId, state: state as Broadcast['state'], template: req.template, requestId: req.requestId, counts: { total, delivered, skippedUnreachable: 0, deadLettered: 0, inFlight: total - delivered, pending: 0 }, createdAtUnixMs: 1000, finishedAtUnixMs: state === 'BROADCAST_STATE_COMPLETED' ? 3000 : 0 };
}

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(relaycastV1().Broadcasts.service, {
    UploadAudience(call: grpc.ServerReadableStream<{ recipients: Recipient__Output[] }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      // Like the coordinator: a recipient without an id fails the whole upload.
      const upload = { recipients: [] as Recipient__Output[], refused: false, completed: false };
      fake.uploads.push(upload);
      call.on('data', (chunk: { recipients: Recipient__Output[] }) => {
        if (upload.refused) return;
        if (chunk.recipients.some((r) => r.id === '')) {
          upload.refused = true;
          upload.recipients.length = 0;
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'id is required' });
          return;
        }
        upload.recipients.push(...chunk.recipients);
      });
      call.on('end', () => {
        if (upload.refused) return;
        upload.completed = true;
        callback(null, { uploadId: `up-${fake.uploads.length}`, recipients: upload.recipients.length });
      });
    },
    CreateBroadcast(call: grpc.ServerUnaryCall<CreateBroadcastRequest__Output, Broadcast>, callback: grpc.sendUnaryData<Broadcast>) {
      fake.creates.push(call.request);
      callback(null, snapshot(call.request, 'BROADCAST_STATE_RUNNING', 0));
    },
    WatchBroadcast(call: grpc.ServerWritableStream<{ broadcastId: string }, Broadcast>) {
      const req = fake.creates[fake.creates.length - 1]!;
      call.write(snapshot(req, 'BROADCAST_STATE_RUNNING', 1));
      call.write(snapshot(req, 'BROADCAST_STATE_COMPLETED', fake.uploads.find((u) => u.completed)!.recipients.length));
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  address = `127.0.0.1:${port}`;
});

afterAll(() => {
  server.forceShutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  fake.uploads.length = 0;
  fake.creates.length = 0;
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runClientCli(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const csvRows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `u${from + i},Name-${from + i}`).join('\n');

describe('broadcast create against a fake coordinator', () => {
  it('uploads the whole file, creates with the upload id, follows to COMPLETED, exit 0', async () => {
    const file = write('ok.csv', `recipient_id,name\n${csvRows(12_000)}\n`);
    const r = await cli(['--coordinator', address, 'broadcast', 'create', '--audience', file, '--template', 'Hi {{name}}', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.OK);
    const out = JSON.parse(r.stdout) as Broadcast;
    expect(out.state).toBe('BROADCAST_STATE_COMPLETED');
    expect(out.counts?.delivered).toBe(12_000);
    expect(fake.uploads).toHaveLength(1);
    expect(fake.uploads[0]!.recipients).toHaveLength(12_000);
    expect(fake.uploads[0]!.recipients[11_999]).toEqual({ id: 'u11999', vars: [{ key: 'name', value: 'Name-11999' }] });
    expect(fake.creates).toHaveLength(1);
    expect(fake.creates[0]).toMatchObject({ uploadId: 'up-1', template: 'Hi {{name}}', clusterId: 'default', requestId: 'cli-up-1' });
  });

  it('with --detach prints the id and does not watch', async () => {
    const file = write('detach.jsonl', '{"id":"a","vars":{"name":"A"}}\n{"id":"b","vars":{"name":"B"}}\n');
    const r = await cli(['broadcast', '--coordinator', address, 'create', '--audience', file, '--template', 'Hi {{name}}', '--detach', '--only-reachable', '--shard-size', '7', '--request-id', 'r-1']);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toBe('bc-test\n');
    expect(r.stderr).toMatch(/uploaded 2 recipients/);
    expect(fake.creates[0]).toMatchObject({ requestId: 'r-1', options: { onlyReachable: true, shardSize: 7 } });
  });

  it('a bad row after the first chunks cancels the upload and creates nothing, exit 3 with the line', async () => {
    const file = write('bad.csv', `recipient_id,name\n${csvRows(12_000)}\nbroken-row-without-name\n${csvRows(10, 12_000)}\n`);
    const r = await cli(['--coordinator', address, 'broadcast', 'create', '--audience', file, '--template', 'Hi {{name}}']);
    expect(r.code).toBe(EXIT.BAD_AUDIENCE);
    expect(r.stderr).toMatch(/bad\.csv:12002: 1 fields, but the header has 2; nothing was created/);
    expect(r.stdout).toBe('');
    expect(fake.creates).toHaveLength(0);
    // Chunks were already streaming; the upload was abandoned so that the coordinator keeps none of it.
    expect(fake.uploads).toHaveLength(1);
    expect(fake.uploads[0]!.completed).toBe(false);
    expect(fake.uploads[0]!.refused).toBe(true);
  });

  it('a bad first row never opens an upload', async () => {
    const file = write('bad-early.jsonl', '{"id":"a"}\n{"id":"b",\n');
    const r = await cli(['--coordinator', address, '--json', 'broadcast', 'create', '--audience', file, '--template', 'Hi']);
    expect(r.code).toBe(EXIT.BAD_AUDIENCE);
    const error = JSON.parse(r.stderr) as { error: { code: string; message: string; exitCode: number } };
    expect(error.error).toMatchObject({ code: 'BAD_AUDIENCE', exitCode: 3 });
    expect(error.error.message).toMatch(/bad-early\.jsonl:2: not valid JSON/);
    expect(fake.uploads).toHaveLength(0);
    expect(fake.creates).toHaveLength(0);
  });

  it('warns about recipients that lack a required variable', async () => {
    const file = write('missing.jsonl', '{"id":"a","vars":{"name":"A"}}\n{"id":"b"}\n');
    const r = await cli(['--coordinator', address, 'broadcast', 'create', '--audience', file, '--template', 'Hi {{name}}', '--detach']);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stderr).toMatch(/warning: 1 recipient\(s\) have no value for \{\{name\}\}/);
  });
});

describe('errors before any call', () => {
  // Nothing listens on port 1: any call would fail with exit 1, so exit 2 or 3 proves none was made.
  const nowhere = ['--coordinator', '127.0.0.1:1'];

  it('usage errors exit 2', async () => {
    expect((await cli([...nowhere, 'broadcast', 'create', '--template', 'x'])).stderr).toMatch(/required option '--audience <file>'/);
    expect((await cli([...nowhere, 'broadcast', 'create', '--audience', 'a.csv'])).code).toBe(EXIT.USAGE);
    const badTemplate = await cli([...nowhere, 'broadcast', 'create', '--audience', 'a.csv', '--template', 'Hi {{name']);
    expect(badTemplate.code).toBe(EXIT.USAGE);
    expect(badTemplate.stderr).toMatch(/--template: unclosed "\{\{"/);
    expect((await cli([...nowhere, 'broadcast', 'frobnicate'])).code).toBe(EXIT.USAGE);
    expect((await cli([...nowhere, 'nodes', 'list', '--state', 'sleepy'])).code).toBe(EXIT.USAGE);
    expect((await cli(['--coordinator', 'nowhere', 'status'])).stderr).toMatch(/expected HOST:PORT/);
    expect((await cli([...nowhere, '--timeout-ms', '0', 'status'])).code).toBe(EXIT.USAGE);
    expect((await cli([...nowhere, 'broadcast', 'retry', 'bc-1', '--sequences', '1,x'])).code).toBe(EXIT.USAGE);
    expect((await cli([...nowhere, 'broadcast', 'get'])).code).toBe(EXIT.USAGE);
  });

  it('help exits 0', async () => {
    const help = await cli(['broadcast', 'create', '--help']);
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toMatch(/--audience <file>/);
    expect(help.stdout).toMatch(/RELAYCAST_COORDINATOR/);
    expect(help.stdout).toMatch(/Exit codes:/);
  });

  it('a missing file or an unknown type exits 3', async () => {
    const missing = await cli([...nowhere, 'broadcast', 'create', '--audience', path.join(dir, 'nope.csv'), '--template', 'x']);
    expect(missing.code).toBe(EXIT.BAD_AUDIENCE);
    expect(missing.stderr).toMatch(/nope\.csv: no such file; nothing was created/);
    const txt = await cli([...nowhere, 'broadcast', 'create', '--audience', write('a.txt', 'id\nu\n'), '--template', 'x']);
    expect(txt.code).toBe(EXIT.BAD_AUDIENCE);
    expect(txt.stderr).toMatch(/unknown audience file type/);
  });

  it('an unreachable coordinator exits 1 with a hint', async () => {
    const r = await cli([...nowhere, 'status']);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.stderr).toMatch(/cannot reach the coordinator at 127\.0\.0\.1:1 \(connect ECONNREFUSED 127\.0\.0\.1:1\); is it running\?/);
  });
});

describe('pieces', () => {
  it('isClientInvocation routes client commands and leading global options only', () => {
    expect(isClientInvocation(['broadcast', 'list'])).toBe(true);
    expect(isClientInvocation(['--json', 'status'])).toBe(true);
    expect(isClientInvocation(['--coordinator=1.2.3.4:5', 'status'])).toBe(true);
    expect(isClientInvocation(['coordinator'])).toBe(false);
    expect(isClientInvocation(['--help'])).toBe(false);
    expect(isClientInvocation(['toString'])).toBe(false);
    expect(isClientInvocation([])).toBe(false);
  });

  it('connectionCause keeps the socket error of a grpc-js connection failure', () => {
    expect(connectionCause('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ')).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(connectionCause('Connection dropped')).toBe('Connection dropped');
  });

  it('byteBoundedChunks splits chunks of long rows', async () => {
    const long = (i: number): Recipient => ({ id: `u${i}`, vars: [{ key: 'v', value: 'x'.repeat(100) }] });
    async function* source() {
      yield Array.from({ length: 10 }, (_, i) => long(i));
    }
    const sizes: number[] = [];
    for await (const chunk of byteBoundedChunks(source(), 350)) sizes.push(chunk.length);
    // About 119 bytes each: two fit under 350.
    expect(sizes).toEqual([2, 2, 2, 2, 2]);
  });

  it('uploadAudienceFrom rethrows the source error and abandons the upload', async () => {
    const client = broadcastsClient(address);
    try {
      async function* failing() {
        yield [{ id: 'a' }];
        // Long enough for the server to have the call open.
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw new Error('bad row');
      }
      await expect(uploadAudienceFrom(client, failing())).rejects.toThrow('bad row');
      expect(fake.uploads).toHaveLength(1);
      expect(fake.uploads[0]!.completed).toBe(false);
      expect(fake.uploads[0]!.refused).toBe(true);
    } finally {
      client.close();
    }
  });
});
