/**
 * The coordinator's command path on an in-memory store that can be told to
 * fail: a failed write is fatal and explicit, nothing hangs, lifecycle
 * commands are atomic and take turns, and an upload whose write fails is
 * answered and leaves nothing behind. The services are driven through their
 * real handlers with minimal call objects (no sockets).
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { MemoryStore } from '../platform/store/memory-store';
import type { BatchOp } from '../platform/store/store';
import { ManualClock } from '../platform/clock';
import { createLogger } from '../platform/log';
import { Coordinator, type CoordinatorOptions } from './coordinator';
import { broadcastHandlers, shardDataHandlers } from './broadcast-service';
import type { SessionState } from './core/links';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { NodeMessage__Output } from '../protocol/generated/relaycast/v1/NodeMessage';

/** A MemoryStore whose batch() fails while `failWhen` says so (the write then has not happened). */
class FaultyStore extends MemoryStore {
  failWhen: (ops: readonly BatchOp[]) => boolean = () => false;
  failures = 0;
  override async batch(ops: readonly BatchOp[]): Promise<void> {
    if (this.failWhen(ops)) {
      this.failures += 1;
      throw new Error('injected: disk full');
    }
    return super.batch(ops);
  }
}

const OPTIONS: Omit<CoordinatorOptions, 'onFatal'> = {
  registry: {
    heartbeatIntervalMs: 500, suspectAfterMs: 1000, downAfterMs: 2000, leaseTtlMs: 1500, disconnectedDownMarginMs: 100,
    relayGraceMs: 3000, restartGraceMs: 0, eventsRetainedMax: 1000, failureCheckIntervalMs: 25,
  },
  scheduler: { shardsPerWeight: 2, splitSizeMin: 1, checkpointIntervalMs: 0, orderResendMs: 2000 },
  dataAddress: '127.0.0.1:1',
  failureCheckIntervalMs: 25,
  watchBufferEventsMax: 100,
  commitQueueMax: 100,
};

const log = createLogger('coordinator', 'silent');
const open: Coordinator[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
});

async function start(store: MemoryStore, clock = new ManualClock()) {
  const fatal: unknown[] = [];
  const coordinator = await Coordinator.open(store, clock, { ...OPTIONS, onFatal: (err) => fatal.push(err) }, log);
  open.push(coordinator);
  const api = broadcastHandlers(coordinator, store, { shardSizeDefault: 100, clusterIdDefault: 'default' });
  const data = shardDataHandlers(coordinator, store);
  return { coordinator, api, data, fatal, clock };
}

type Unary<Req, Res> = (call: { request: Req }, callback: (err: grpc.ServiceError | null, res?: Res) => void) => void;

/** Calls a unary handler; resolves with its answer or rejects with its status (bounded: a hang fails the test). */
function call<Req, Res>(handler: unknown, request: Req, timeoutMs = 2000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    (handler as Unary<Req, Res>)({ request } as never, (err, res) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(res as Res);
    });
  });
}

/** A node attached directly, holding whatever the scheduler orders it. */
async function attachNode(coordinator: Coordinator, nodeId: string): Promise<{ session: SessionState; leaseEpoch: number }> {
  const session: SessionState = { route: coordinator.newDirectRoute(), key: undefined, instanceId: '' };
  coordinator.addRoute(session.route, { send: () => undefined });
  const attach = { msg: 'attach', attach: { register: { clusterId: 'default', nodeId, instanceId: `${nodeId}-1`, address: '127.0.0.1:9', labels: [], capacityWeight: 1 }, leaseEpoch: 0 } } as unknown as NodeMessage__Output;
  const outcome = await coordinator.propose(() => coordinator.links.sessionMessage(session, attach), 'member');
  const leaseEpoch = Number(outcome.reply.message?.welcome?.registration?.leaseEpoch);
  expect(leaseEpoch).toBeGreaterThan(0);
  return { session, leaseEpoch };
}

const recipients = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `u${i}`, vars: [] }));

/** A completed broadcast of `n` recipients, every one dead-lettered by node n1 (recorded, then reported final). */
async function deadLettered(h: Awaited<ReturnType<typeof start>>, n: number): Promise<string> {
  const { coordinator, api, data } = h;
  const node = await attachNode(coordinator, 'n1');
  const created = await call<unknown, Broadcast__Output>(api.CreateBroadcast, { clusterId: '', template: 'hi {{recipient.id}}', audience: recipients(n), options: null, requestId: '', uploadId: '' });
  const id = created.broadcastId;
  const shard = coordinator.scheduler.shardsOf(id)[0]!;
  expect(shard.owner).toBe('default/n1');
  await call(data.ReportDeadLetters, {
    broadcastId: id, shardId: shard.shardId, epoch: shard.epoch, nodeKey: 'default/n1',
    deadLetters: Array.from({ length: n }, (_, i) => ({ broadcastId: id, sequence: i, recipientId: `u${i}`, reason: 'refused', attempts: 1 })),
  });
  const liveness = { msg: 'liveness', liveness: { seq: 1, leaseEpoch: node.leaseEpoch, progress: [{ broadcastId: id, shardId: shard.shardId, epoch: shard.epoch, watermark: n, delivered: 0, skippedUnreachable: 0, deadLettered: n, done: true, stopped: false }] } } as unknown as NodeMessage__Output;
  await coordinator.propose(() => coordinator.links.sessionMessage(node.session, liveness), 'member');
  expect(coordinator.scheduler.get(id)!.state).toBe('COMPLETED');
  return id;
}

async function deadLetterCount(h: Awaited<ReturnType<typeof start>>, id: string): Promise<number> {
  const page = await call<unknown, { deadLetters: unknown[] }>(h.api.ListDeadLetters, { broadcastId: id, pageSize: 5000, pageToken: '' });
  return page.deadLetters.length;
}

describe('the command path', () => {
  it('a failed store write is fatal: the caller gets UNAVAILABLE, onFatal runs once, later commands are refused at once, and a restart serves what was durable', async () => {
    const store = new FaultyStore();
    const h = await start(store);
    const before = await call<unknown, Broadcast__Output>(h.api.CreateBroadcast, { clusterId: '', template: 'a', audience: recipients(3), options: null, requestId: '', uploadId: '' });
    store.failWhen = () => true;
    await expect(call(h.api.CreateBroadcast, { clusterId: '', template: 'b', audience: recipients(3), options: null, requestId: '', uploadId: '' })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(h.fatal).toHaveLength(1);
    // Every later command is answered at once, never queued behind the failure.
    await expect(call(h.api.PauseBroadcast, { broadcastId: before.broadcastId })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringMatching(/cannot write to its store/) });
    await expect(h.coordinator.propose(() => 1, 'internal')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(h.fatal).toHaveLength(1);

    store.failWhen = () => false;
    const again = await start(store);
    expect(again.coordinator.scheduler.list('').map((b) => b.id)).toEqual([before.broadcastId]);
    await expect(call(again.api.PauseBroadcast, { broadcastId: before.broadcastId })).resolves.toMatchObject({ state: 'BROADCAST_STATE_PAUSED' });
  });

  it('a throwing listener is logged and cannot wedge later commits', async () => {
    const h = await start(new MemoryStore());
    h.coordinator.appliedListeners.add(() => {
      throw new Error('listener bug');
    });
    await attachNode(h.coordinator, 'n1'); // a REGISTERED event reaches the listener, which throws
    const created = await call<unknown, Broadcast__Output>(h.api.CreateBroadcast, { clusterId: '', template: 'a', audience: recipients(2), options: null, requestId: '', uploadId: '' });
    await expect(call(h.api.CancelBroadcast, { broadcastId: created.broadcastId })).resolves.toMatchObject({ state: 'BROADCAST_STATE_CANCELLED' });
    expect(h.fatal).toEqual([]);
  });

  it('API commands are refused with UNAVAILABLE while the commit queue is full; member commands are still taken', async () => {
    const store = new FaultyStore();
    const h = await start(store);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batch = store.batch.bind(store);
    store.batch = async (ops) => {
      await gate;
      return batch(ops);
    };
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < OPTIONS.commitQueueMax; i++) pending.push(h.coordinator.propose((tx) => tx.write([{ type: 'put', key: `x/${i}`, value: '1' }]), 'member'));
    expect(h.coordinator.busy).toBe(true);
    await expect(h.coordinator.propose((tx) => tx.write([{ type: 'put', key: 'x/api', value: '1' }]), 'api')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/busy/) });
    pending.push(h.coordinator.propose((tx) => tx.write([{ type: 'put', key: 'x/member', value: '1' }]), 'member'));
    const room = h.coordinator.whenRoom();
    release();
    await Promise.all(pending);
    await room;
    expect(h.coordinator.busy).toBe(false);
    expect(await store.get('x/member')).toBe('1');
    expect(await store.get('x/api')).toBeUndefined();
  });
});

describe('RetryDeadLetters', () => {
  it('is one atomic write: when the write fails, the dead letters stay listed and counted, also after a restart', async () => {
    const store = new FaultyStore();
    const h = await start(store);
    const id = await deadLettered(h, 5);
    // Fail the write that hands the dead letters back as shards.
    store.failWhen = (ops) => ops.some((op) => op.key.startsWith('s/'));
    await expect(call(h.api.RetryDeadLetters, { broadcastId: id, sequences: [] })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    store.failWhen = () => false;
    const again = await start(store);
    const counts = again.coordinator.scheduler.counts(id);
    expect(counts.dead).toBe(5);
    expect(await deadLetterCount(again, id)).toBe(5);
  });

  it('takes turns with a cancel sent at the same moment: the dead-letter list and counts.dead agree', async () => {
    const h = await start(new MemoryStore());
    const id = await deadLettered(h, 4);
    const retry = call<unknown, { retried: number }>(h.api.RetryDeadLetters, { broadcastId: id, sequences: [] });
    const cancel = call<unknown, Broadcast__Output>(h.api.CancelBroadcast, { broadcastId: id });
    const [retried, cancelled] = await Promise.all([retry, cancel]);
    expect(retried.retried).toBe(4);
    expect(cancelled.state).toBe('BROADCAST_STATE_CANCELLED');
    const counts = h.coordinator.scheduler.counts(id);
    expect(await deadLetterCount(h, id)).toBe(counts.dead);
    expect(counts.delivered + counts.skipped + counts.dead + counts.inFlight + counts.pending).toBe(4);
  });
});

describe('UploadAudience', () => {
  it('answers UNAVAILABLE when a chunk cannot be written, and keeps nothing of the upload', async () => {
    const store = new FaultyStore();
    const h = await start(store);
    let writes = 0;
    store.failWhen = (ops) => ops.some((op) => op.key.startsWith('a/')) && ++writes === 2;
    const stream = Object.assign(new EventEmitter(), { pause: () => undefined, resume: () => undefined });
    const answer = new Promise<grpc.ServiceError | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('UploadAudience never answered')), 2000);
      (h.api.UploadAudience as unknown as (c: unknown, cb: (err: grpc.ServiceError | null) => void) => void)(stream, (err) => {
        clearTimeout(timer);
        resolve(err);
      });
    });
    stream.emit('data', { recipients: recipients(10) });
    stream.emit('data', { recipients: recipients(10) });
    stream.emit('data', { recipients: recipients(10) });
    stream.emit('end');
    const err = await answer;
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringMatching(/could not store the audience/) });
    const left: string[] = [];
    for await (const [key] of store.scan({ gte: 'a/', lt: 'a/\uffff' })) left.push(key);
    for await (const [key] of store.scan({ gte: 'up/', lt: 'up/\uffff' })) left.push(key);
    expect(left).toEqual([]);
  });
});

describe('retention', () => {
  it('a finished broadcast is deleted after the retention, with its audience and dead letters; GetBroadcast then says when it finished', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const fatal: unknown[] = [];
    const coordinator = await Coordinator.open(store, clock, { ...OPTIONS, scheduler: { ...OPTIONS.scheduler, retentionMs: 60_000 }, onFatal: (err) => fatal.push(err) }, log);
    open.push(coordinator);
    const h = { coordinator, api: broadcastHandlers(coordinator, store, { shardSizeDefault: 100, clusterIdDefault: 'default' }), data: shardDataHandlers(coordinator, store), fatal, clock };
    const id = await deadLettered(h, 3);
    const keys = async (prefix: string) => {
      let n = 0;
      for await (const _ of store.scan({ gte: prefix, lt: `${prefix}\uffff` })) n += 1;
      return n;
    };
    expect(await keys(`a/${id}/`)).toBe(3);
    clock.advance(59_000);
    await coordinator.propose(() => coordinator.scheduler.tick(), 'internal');
    await expect(call(h.api.GetBroadcast, { broadcastId: id, includeShards: false })).resolves.toMatchObject({ broadcastId: id });
    clock.advance(2_000);
    await coordinator.propose(() => coordinator.scheduler.tick(), 'internal');
    await expect(call(h.api.GetBroadcast, { broadcastId: id, includeShards: false })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringMatching(/finished at .* and was deleted after the retention/) });
    await coordinator.retention!.close();
    expect(await keys(`a/${id}/`)).toBe(0);
    expect(await keys(`dl/${id}/`)).toBe(0);
    expect(await keys(`b/${id}`)).toBe(0);
    expect(await keys(`s/${id}/`)).toBe(0);
  });
});
