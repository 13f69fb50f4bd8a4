import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { MembershipCache, type MembershipChange } from './membership-cache';
import type { ListNodesRequest } from '../protocol/generated/relaycast/v1/ListNodesRequest';
import type { ListNodesResponse__Output } from '../protocol/generated/relaycast/v1/ListNodesResponse';
import type { Member__Output } from '../protocol/generated/relaycast/v1/Member';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import type { WatchRequest } from '../protocol/generated/relaycast/v1/WatchRequest';

const TEST_TIMEOUT_MS = 30_000;
const WAIT_MS = 15_000;
const COORDINATOR_ARGS = ['--down-after-ms', '600', '--suspect-after-ms', '300', '--lease-ttl-ms', '450', '--heartbeat-interval-ms', '100'];

/** Resolves with the first 'change' passing `test`; rejects after `timeoutMs`. Subscribe before causing the change. */
function nextChange(cache: MembershipCache, test: (change: MembershipChange) => boolean, timeoutMs = WAIT_MS, what = 'change'): Promise<MembershipChange> {
  return new Promise((resolve, reject) => {
    const onChange = (change: MembershipChange): void => {
      if (!test(change)) return;
      clearTimeout(timer);
      cache.off('change', onChange);
      resolve(change);
    };
    const timer = setTimeout(() => {
      cache.off('change', onChange);
      reject(new Error(`no ${what} within ${timeoutMs} ms; cache has ${JSON.stringify(cache.all().map((m) => [m.nodeKey, m.state]))}`));
    }, timeoutMs);
    cache.on('change', onChange);
  });
}

function nextEvent<K extends 'sync' | 'warning'>(cache: MembershipCache, name: K, timeoutMs = WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' within ${timeoutMs} ms`)), timeoutMs);
    cache.once(name as 'sync', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Waits until the coordinator has logged (and so persisted) the registration of `nodeKey`. */
function registered(coordinator: ManagedProcess, nodeKey: string): Promise<string> {
  return coordinator.waitForLine((l) => l.includes('"event":"REGISTERED"') && l.includes(`"nodeKey":"${nodeKey}"`), WAIT_MS, `REGISTERED ${nodeKey}`);
}

const keys = (members: readonly Member__Output[]): string[] => members.map((m) => m.nodeKey);

describe('MembershipCache against a real coordinator', () => {
  let cluster: LocalCluster | undefined;
  let cache: MembershipCache | undefined;

  afterEach(async () => {
    cache?.close();
    cache = undefined;
    await cluster?.stopAll();
    cluster = undefined;
  });

  it('lists existing nodes on start (across pages)', async () => {
    cluster = new LocalCluster('relaycast-cache-');
    const { proc: coordinator, address } = await cluster.startCoordinator(COORDINATOR_ARGS);
    await Promise.all(['n1', 'n2', 'n3'].map((id) => cluster!.startNode(id, { coordinator: address })));
    await Promise.all(['n1', 'n2', 'n3'].map((id) => registered(coordinator, `default/${id}`)));

    cache = new MembershipCache({ address, clusterId: 'default', pageSize: 2 });
    await cache.start();

    expect(keys(cache.healthy())).toEqual(['default/n1', 'default/n2', 'default/n3']);
    expect(keys(cache.all())).toEqual(['default/n1', 'default/n2', 'default/n3']);
    expect(cache.get('default/n2')).toMatchObject({ nodeId: 'n2', clusterId: 'default', kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_ALIVE' });
    expect(cache.get('default/nope')).toBeUndefined();
    expect(cache.revision).toBeGreaterThanOrEqual(3);
  }, TEST_TIMEOUT_MS);

  it('sees a node started later through the watch', async () => {
    cluster = new LocalCluster('relaycast-cache-');
    const { address } = await cluster.startCoordinator(COORDINATOR_ARGS);
    cache = new MembershipCache({ address, clusterId: 'default' });
    await cache.start();
    expect(cache.healthy()).toEqual([]);

    const appeared = nextChange(cache, (c) => c.member.nodeKey === 'default/late', WAIT_MS, 'change for default/late');
    await cluster.startNode('late', { coordinator: address });
    const change = await appeared;

    expect(change).toMatchObject({ type: 'EVENT_TYPE_REGISTERED', source: 'watch', previous: undefined });
    expect(change.revision).toBe(cache.revision);
    expect(keys(cache.healthy())).toEqual(['default/late']);
  }, TEST_TIMEOUT_MS);

  it('drops a SIGKILLed node from healthy() once it is DOWN', async () => {
    cluster = new LocalCluster('relaycast-cache-');
    const { proc: coordinator, address } = await cluster.startCoordinator(COORDINATOR_ARGS);
    const [victim] = await Promise.all([cluster.startNode('victim', { coordinator: address }), cluster.startNode('keeper', { coordinator: address })]);
    await Promise.all([registered(coordinator, 'default/victim'), registered(coordinator, 'default/keeper')]);
    cache = new MembershipCache({ address, clusterId: 'default' });
    await cache.start();
    expect(keys(cache.healthy())).toEqual(['default/keeper', 'default/victim']);

    const down = nextChange(cache, (c) => c.member.nodeKey === 'default/victim' && c.type === 'EVENT_TYPE_DOWN', WAIT_MS, 'DOWN for default/victim');
    victim!.kill('SIGKILL');
    const change = await down;

    expect(change.member.state).toBe('NODE_STATE_DOWN');
    expect(keys(cache.healthy())).toEqual(['default/keeper']);
    expect(cache.get('default/victim')?.state).toBe('NODE_STATE_DOWN');
  }, TEST_TIMEOUT_MS);

  it('recovers after a coordinator restart on the same address and data dir', async () => {
    cluster = new LocalCluster('relaycast-cache-');
    const dataDir = path.join(cluster.dir, 'coordinator');
    const first = await cluster.startCoordinator(COORDINATOR_ARGS, 'coordinator', dataDir);
    await cluster.startNode('n1', { coordinator: first.address });
    await registered(first.proc, 'default/n1');
    cache = new MembershipCache({ address: first.address, clusterId: 'default' });
    await cache.start();
    expect(keys(cache.healthy())).toEqual(['default/n1']);

    const warned = nextEvent(cache, 'warning');
    await first.proc.stop();
    await warned;
    const resynced = nextEvent(cache, 'sync');
    // Same port (the later --listen wins), so the cache's address stays valid.
    const second = await cluster.startCoordinator([...COORDINATOR_ARGS, '--listen', first.address], 'coordinator-2', dataDir);
    expect(second.address).toBe(first.address);
    await resynced;
    expect(cache.get('default/n1')).toBeDefined();

    const appeared = nextChange(cache, (c) => c.member.nodeKey === 'default/n2' && c.type === 'EVENT_TYPE_REGISTERED', WAIT_MS, 'REGISTERED default/n2');
    await cluster.startNode('n2', { coordinator: second.address });
    await appeared;
    expect(keys(cache.healthy())).toContain('default/n2');
  }, TEST_TIMEOUT_MS);
});

// ---- protocol details against a scripted client ----

class FakeStream extends EventEmitter {
  cancelled = false;
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    setImmediate(() => {
      this.emit('error', Object.assign(new Error('1 CANCELLED: Cancelled on client'), { code: grpc.status.CANCELLED }));
      this.emit('status', { code: grpc.status.CANCELLED, details: 'Cancelled on client', metadata: new grpc.Metadata() });
    });
  }
  fail(code: grpc.status, details: string): void {
    this.emit('error', Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details }));
    this.emit('status', { code, details, metadata: new grpc.Metadata() });
  }
  push(event: WatchEvent__Output): void {
    this.emit('data', event);
  }
}

class FakeClient {
  readonly lists: ListNodesRequest[] = [];
  readonly watches: Array<{ request: WatchRequest; stream: FakeStream }> = [];
  closed = false;
  constructor(public respond: (request: ListNodesRequest) => ListNodesResponse__Output | Error) {}
  listNodes(request: ListNodesRequest, _options: grpc.CallOptions, callback: (err: Error | null, response?: ListNodesResponse__Output) => void): { cancel(): void } {
    this.lists.push(request);
    const result = this.respond(request);
    setImmediate(() => (result instanceof Error ? callback(result) : callback(null, result)));
    return { cancel: () => undefined };
  }
  watch(request: WatchRequest): FakeStream {
    const stream = new FakeStream();
    this.watches.push({ request, stream });
    return stream;
  }
  close(): void {
    this.closed = true;
  }
  asClient(): MembershipClient {
    return this as unknown as MembershipClient;
  }
}

function member(nodeId: string, state: Member__Output['state'], stateRevision: number, kind: Member__Output['kind'] = 'MEMBER_KIND_NODE'): Member__Output {
  return {
    nodeKey: `c1/${nodeId}`, clusterId: 'c1', nodeId, kind, state, address: '127.0.0.1:1', labels: [],
    capacityWeight: 1, leaseEpoch: 1, lastLivenessAgeMs: 0, relayId: '', stateRevision,
  };
}

function event(revision: number, type: WatchEvent__Output['type'], node: Member__Output): WatchEvent__Output {
  return { revision, type, node, reason: 'test', atUnixMs: 0 };
}

async function until(test: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('MembershipCache protocol', () => {
  let cache: MembershipCache | undefined;
  afterEach(() => {
    cache?.close();
    cache = undefined;
  });

  it('pages, watches from the first page revision and skips events a later page already reflects', async () => {
    const fake = new FakeClient((req) =>
      req.pageToken === ''
        ? { nodes: [member('a', 'NODE_STATE_ALIVE', 1), member('b', 'NODE_STATE_SUSPECT', 2)], revision: 5, nextPageToken: 'c1/b' }
        : { nodes: [member('c', 'NODE_STATE_DOWN', 7), member('r', 'NODE_STATE_ALIVE', 3, 'MEMBER_KIND_RELAY')], revision: 7, nextPageToken: '' });
    cache = new MembershipCache({ client: fake.asClient(), clusterId: 'c1', pageSize: 2 });
    const changes: MembershipChange[] = [];
    cache.on('change', (c) => changes.push(c));
    await cache.start();

    expect(fake.lists.map((r) => [r.clusterId, r.pageSize, r.pageToken])).toEqual([['c1', 2, ''], ['c1', 2, 'c1/b']]);
    expect(fake.watches).toHaveLength(1);
    expect(fake.watches[0]!.request).toEqual({ clusterId: 'c1', afterRevision: 5 });
    expect(cache.revision).toBe(5);
    expect(changes.map((c) => [c.type, c.member.nodeId, c.source])).toEqual([
      ['EVENT_TYPE_REGISTERED', 'a', 'list'], ['EVENT_TYPE_SUSPECT', 'b', 'list'], ['EVENT_TYPE_DOWN', 'c', 'list'], ['EVENT_TYPE_REGISTERED', 'r', 'list'],
    ]);
    // healthy: nodes that hold a lease (ALIVE, SUSPECT); not relays, not DOWN.
    expect(keys(cache.healthy())).toEqual(['c1/a', 'c1/b']);
    changes.length = 0;

    const stream = fake.watches[0]!.stream;
    stream.push(event(6, 'EVENT_TYPE_SUSPECT', member('c', 'NODE_STATE_SUSPECT', 6))); // page 2 (rev 7) already has c DOWN
    stream.push(event(7, 'EVENT_TYPE_DOWN', member('c', 'NODE_STATE_DOWN', 7)));
    stream.push(event(8, 'EVENT_TYPE_DRAINING', member('a', 'NODE_STATE_DRAINING', 8)));
    expect(changes.map((c) => [c.type, c.member.nodeId, c.source, c.revision, c.previous?.state])).toEqual([
      ['EVENT_TYPE_DRAINING', 'a', 'watch', 8, 'NODE_STATE_ALIVE'],
    ]);
    expect(cache.get('c1/c')?.state).toBe('NODE_STATE_DOWN');
    expect(cache.revision).toBe(8);
    expect(keys(cache.healthy())).toEqual(['c1/b']);
  });

  it('re-lists and re-watches when the watch fails with OUT_OF_RANGE, emitting the differences', async () => {
    let revision = 4;
    let nodes = [member('a', 'NODE_STATE_ALIVE', 3), member('b', 'NODE_STATE_ALIVE', 4)];
    const fake = new FakeClient(() => ({ nodes, revision, nextPageToken: '' }));
    cache = new MembershipCache({ client: fake.asClient(), clusterId: 'c1', backoffMinMs: 1, backoffMaxMs: 5 });
    const warnings: Error[] = [];
    cache.on('warning', (err) => warnings.push(err));
    await cache.start();
    const changes: MembershipChange[] = [];
    cache.on('change', (c) => changes.push(c));

    revision = 9;
    nodes = [member('a', 'NODE_STATE_DOWN', 9), member('n', 'NODE_STATE_ALIVE', 8)];
    fake.watches[0]!.stream.fail(grpc.status.OUT_OF_RANGE, 'revision 4 is compacted');
    await until(() => fake.watches.length === 2, 'a second watch');

    expect((warnings[0] as grpc.ServiceError).code).toBe(grpc.status.OUT_OF_RANGE);
    expect(fake.lists).toHaveLength(2);
    expect(fake.watches[1]!.request).toEqual({ clusterId: 'c1', afterRevision: 9 });
    expect(changes.map((c) => [c.type, c.member.nodeKey, c.source])).toEqual([
      ['EVENT_TYPE_DOWN', 'c1/a', 'list'], ['EVENT_TYPE_REGISTERED', 'c1/n', 'list'], ['REMOVED', 'c1/b', 'list'],
    ]);
    expect(keys(cache.healthy())).toEqual(['c1/n']);
    expect(cache.revision).toBe(9);
  });

  it('retries a failing first list with back-off, re-lists when the stream ends and on the refresh timer', async () => {
    let failuresLeft = 2;
    const fake = new FakeClient(() => (failuresLeft-- > 0 ? Object.assign(new Error('14 UNAVAILABLE: no connection'), { code: grpc.status.UNAVAILABLE }) : { nodes: [], revision: 1, nextPageToken: '' }));
    cache = new MembershipCache({ client: fake.asClient(), clusterId: 'c1', backoffMinMs: 1, backoffMaxMs: 5, refreshIntervalMs: 50 });
    const warnings: Error[] = [];
    cache.on('warning', (err) => warnings.push(err));
    await cache.start();
    expect(fake.lists).toHaveLength(3);
    expect(warnings).toHaveLength(2);

    // A clean end of the stream is a failure too: warn, list again, watch again.
    const stream = fake.watches[0]!.stream;
    stream.emit('status', { code: grpc.status.OK, details: '', metadata: new grpc.Metadata() });
    await until(() => fake.watches.length === 2, 'a watch after the stream ended');
    expect(warnings).toHaveLength(3);
    expect(fake.lists).toHaveLength(4);

    // The refresh timer lists again and replaces the watch (cancelling the old one).
    await until(() => fake.watches.length === 3, 'a watch after the refresh');
    expect(fake.watches[1]!.stream.cancelled).toBe(true);
    expect(warnings).toHaveLength(3); // our own cancel is not a warning
  });

  it('close() cancels the watch, rejects a pending start and leaves a borrowed client open', async () => {
    const fake = new FakeClient(() => ({ nodes: [], revision: 1, nextPageToken: '' }));
    cache = new MembershipCache({ client: fake.asClient(), clusterId: 'c1' });
    await cache.start();
    cache.close();
    expect(fake.watches[0]!.stream.cancelled).toBe(true);
    expect(fake.closed).toBe(false);

    const failing = new FakeClient(() => new Error('14 UNAVAILABLE'));
    const pending = new MembershipCache({ client: failing.asClient(), clusterId: 'c1', backoffMinMs: 1, backoffMaxMs: 2 });
    try {
      const started = pending.start();
      await until(() => failing.lists.length >= 2, 'a retried list');
      pending.close();
      await expect(started).rejects.toThrow(/closed/);
    } finally {
      pending.close();
    }
  });

  it('rejects bad options', () => {
    expect(() => new MembershipCache({ clusterId: 'c1' })).toThrow(/exactly one/);
    expect(() => new MembershipCache({ address: '127.0.0.1:1', clusterId: 'bad id' })).toThrow(/cluster/i);
    expect(() => new MembershipCache({ address: '127.0.0.1:1', clusterId: 'c1', pageSize: 5001 })).toThrow(/pageSize/);
    expect(() => new MembershipCache({ address: '127.0.0.1:1', clusterId: 'c1', refreshIntervalMs: 0 })).toThrow(/refreshIntervalMs/);
  });
});
