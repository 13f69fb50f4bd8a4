/**
 * Hostile input against every port of a running cluster — coordinator,
 * relay, node (gRPC and metrics), gateway simulator (gRPC and webhook) —
 * seeded and bounded in count and time:
 *
 *   1. raw TCP junk;
 *   2. a valid HTTP/2 preface, then junk, truncated and abusive frames
 *      (rapid reset, CONTINUATION and PING floods, bad SETTINGS), and gRPC
 *      requests whose message framing lies or is cut off;
 *   3. random bytes as the messages of every method of every service, with
 *      streams cut off mid-way;
 *   4. messages that decode but are wrong: the wrong oneof first, strings at
 *      and past their limits, negative and huge numbers, messages over the
 *      16 MiB limit;
 *   5. progress reports that cannot be true, from nodes that hold shards
 *      (directly and through the relay) and then vanish.
 *
 * Each case ends by checking that every process is still alive and serving
 * (expectSurvived: health SERVING, metrics scrape, ListNodes and GetStatus
 * answer, the relay still linked and n1 still holding its first lease), so
 * that no case passes only because a later one checks. A last case runs a
 * tiny broadcast and finds every delivery in the simulator's ledger.
 *
 * FUZZ_SEED=<n> repeats a run.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../testing/local-cluster';
import { adminClient, broadcastsClient, membershipClient, unary } from '../client/client';
import { loadProtos, relaycastV1 } from '../protocol/proto';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import { gatewayV1 } from '../gateway/proto';
import { mulberry32, type Random } from '../gateway/core/random';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { AdminClient } from '../protocol/generated/relaycast/v1/Admin';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { ShardProgress } from '../protocol/generated/relaycast/v1/ShardProgress';
import { EventLog, RawNodeSession, lastOutput, observe, servingProblems, until, type Served } from './helpers';
import { healthStatus, metricValue, scrape } from './probes';

// These tests talk plaintext to processes on loopback (no TLS files).
process.env.RELAYCAST_PLAINTEXT ??= 'true';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RAW_CONNECTIONS_PER_PORT = 12;
const H2_CONNECTIONS_PER_PORT = 16;
const RAPID_RESET_STREAMS = 400;
const CONTINUATION_FRAMES = 2000;
const PING_FRAMES = 2000;
const CALLS_PER_METHOD = 6;
/** One connection or call is given at most this long before it is cut. */
const EXCHANGE_MS = 400;
const CALL_DEADLINE_MS = 3_000;
/** How long a hostile stream may stay open before the test calls it a hang (generous: a loaded machine is slow). */
const STREAM_STATUS_MS = 10_000;
/** Bound on waits for the cluster to settle after a case; generous for the same reason. */
const SETTLE_MS = 15_000;
const DOWN_AFTER_MS = 2000;
/** The liars' progress case: shards of a few recipients, more of them than the liars have cases, and liars that take many. */
const LIE_SHARDS = 40;
const LIE_SHARD_SIZE = 4;
const LIED_SHARDS = 10;
const LIAR_WEIGHT = 8;
const U64_MAX = '18446744073709551615';
const GRPC_MESSAGE_BYTES_MAX = 16 * 1024 * 1024;

const REFLECTION_METHODS = ['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo'];

interface Method {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

/** Every method of every service the protos define, plus reflection. */
function allMethods(): Method[] {
  const methods: Method[] = REFLECTION_METHODS.map((path) => ({ path, requestStream: true, responseStream: true }));
  for (const service of Object.values(loadProtos().definition)) {
    if ('format' in service) continue; // a message or enum type
    for (const m of Object.values(service as Record<string, Method>)) methods.push({ path: m.path, requestStream: m.requestStream, responseStream: m.responseStream });
  }
  return methods;
}

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

function randomBytes(random: Random, max: number): Buffer {
  const length = Math.floor(random() * random() * max);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** Connects, writes `chunks`, maybe half-closes, and gives up after `holdMs`. Never rejects. */
function rawExchange(address: string, chunks: Buffer[], holdMs: number, halfClose: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(hostPort(address));
    const timer = setTimeout(() => socket.destroy(), holdMs);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (halfClose) socket.end();
    });
  });
}

// ------------------------------------------------------------ HTTP/2 frames

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 };
const FLAG = { END_STREAM: 0x1, END_HEADERS: 0x4, ACK: 0x1 };

function h2Frame(type: number, flags: number, streamId: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(declaredLength & 0xffffff, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

function settings(pairs: Array<[number, number]>): Buffer {
  const payload = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value >>> 0, i * 6 + 2);
  });
  return h2Frame(FRAME.SETTINGS, 0, 0, payload);
}

/** HPACK literal header without indexing, new name, no Huffman (names and values under 127 bytes). */
function hpackLiteral(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
}

/** The header block of a gRPC POST to `path` (":method POST" and ":scheme http" from the static table). */
function grpcRequestHeaders(path: string): Buffer {
  return Buffer.concat([Buffer.from([0x83, 0x86]), hpackLiteral(':path', path), hpackLiteral(':authority', 'fuzz'), hpackLiteral('content-type', 'application/grpc'), hpackLiteral('te', 'trailers')]);
}

/** A gRPC length-prefixed message: compressed flag, 4-byte length, payload (which may be shorter than declared). */
function grpcMessage(payload: Buffer, declaredLength = payload.length, compressed = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed;
  prefix.writeUInt32BE(declaredLength >>> 0, 1);
  return Buffer.concat([prefix, payload]);
}

function randomFrame(random: Random): Buffer {
  const type = random() < 0.9 ? Math.floor(random() * 10) : Math.floor(random() * 256);
  const streamId = pick(random, [0, 1, 3, 2, 0x7fffffff, Math.floor(random() * 0x7fffffff)]);
  const payload = randomBytes(random, 2048);
  // Sometimes lie about the length: a truncated frame, or one that claims more than the peer allows.
  const declared = random() < 0.2 ? pick(random, [payload.length + 1 + Math.floor(random() * 100), 0xffffff, 16_385]) : payload.length;
  return h2Frame(type, Math.floor(random() * 256), streamId, payload, declared);
}

/** Scripted HTTP/2 abuse after a valid preface; each returns the bytes to send on one connection. */
function h2Scripts(random: Random, grpcPath: string): Array<() => Buffer[]> {
  const open = () => [H2_PREFACE, settings([])];
  return [
    // Junk frames, some truncated or oversized.
    () => [...open(), ...Array.from({ length: 1 + Math.floor(random() * 20) }, () => randomFrame(random))],
    // Settings out of range: a window over 2^31-1, a frame size under 16 KiB, push enabled by a client.
    () => [H2_PREFACE, settings([[4, 0x80000000]])],
    () => [H2_PREFACE, settings([[5, 100]])],
    () => [H2_PREFACE, settings([[2, 1], [3, 0], [6, 0]])],
    // Rapid reset: open streams and cancel them at once, many times.
    () => [...open(), ...Array.from({ length: RAPID_RESET_STREAMS }, (_, i) => {
      const id = 2 * i + 1;
      const cancel = Buffer.alloc(4);
      cancel.writeUInt32BE(8, 0);
      return Buffer.concat([h2Frame(FRAME.HEADERS, FLAG.END_HEADERS, id, grpcRequestHeaders(grpcPath)), h2Frame(FRAME.RST_STREAM, 0, id, cancel)]);
    })],
    // A header block that never ends: CONTINUATION after CONTINUATION.
    () => [...open(), h2Frame(FRAME.HEADERS, 0, 1, grpcRequestHeaders(grpcPath)), ...Array.from({ length: CONTINUATION_FRAMES }, () => h2Frame(FRAME.CONTINUATION, 0, 1, hpackLiteral('x-fuzz', 'a'.repeat(100))))],
    // A PING flood.
    () => [...open(), ...Array.from({ length: PING_FRAMES }, () => h2Frame(FRAME.PING, 0, 0, Buffer.alloc(8)))],
    // WINDOW_UPDATE of 0 and one that overflows the window.
    () => [...open(), h2Frame(FRAME.WINDOW_UPDATE, 0, 0, Buffer.from([0, 0, 0, 0])), h2Frame(FRAME.WINDOW_UPDATE, 0, 0, Buffer.from([0x7f, 0xff, 0xff, 0xff]))],
    // A gRPC request whose message says 1,000 bytes and brings 10, then the connection ends.
    () => [...open(), h2Frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, grpcRequestHeaders(grpcPath)), h2Frame(FRAME.DATA, 0, 1, grpcMessage(randomBytes(random, 10), 1000))],
    // ... and one that says 4 GiB, over any limit.
    () => [...open(), h2Frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, grpcRequestHeaders(grpcPath)), h2Frame(FRAME.DATA, FLAG.END_STREAM, 1, grpcMessage(Buffer.alloc(16), 0xffffffff))],
    // ... and one flagged compressed without a grpc-encoding.
    () => [...open(), h2Frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, grpcRequestHeaders(grpcPath)), h2Frame(FRAME.DATA, FLAG.END_STREAM, 1, grpcMessage(randomBytes(random, 64), undefined, 1))],
    // DATA on a stream that was never opened, then GOAWAY.
    () => [...open(), h2Frame(FRAME.DATA, 0, 5, randomBytes(random, 100)), h2Frame(FRAME.GOAWAY, 0, 0, Buffer.alloc(8))],
    // A preface cut in half.
    () => [H2_PREFACE.subarray(0, 10)],
  ];
}

// ------------------------------------------------------- random gRPC calls

/** One call of `method` with random messages, cut off at a random point. Resolves when it ended or was cut. */
function randomCall(client: grpc.Client, method: Method, random: Random): Promise<void> {
  const identity = (b: Buffer) => b;
  const options = { deadline: Date.now() + CALL_DEADLINE_MS };
  const message = () => randomBytes(random, random() < 0.1 ? 65_536 : 512);
  const cutAfterMs = Math.floor(random() * EXCHANGE_MS);
  const writes = Math.floor(random() * 6);
  const endCleanly = random() < 0.5;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    if (!method.requestStream && !method.responseStream) {
      client.makeUnaryRequest(method.path, identity, identity, message(), options, () => done());
    } else if (!method.requestStream) {
      const call = client.makeServerStreamRequest(method.path, identity, identity, message(), options);
      call.on('data', () => undefined);
      call.on('error', done);
      call.on('end', done);
      timer = setTimeout(() => call.cancel(), cutAfterMs);
    } else if (!method.responseStream) {
      const call = client.makeClientStreamRequest(method.path, identity, identity, options, () => done());
      for (let i = 0; i < writes; i++) call.write(message());
      if (endCleanly) call.end();
      else timer = setTimeout(() => call.cancel(), cutAfterMs);
    } else {
      const call = client.makeBidiStreamRequest(method.path, identity, identity, options);
      call.on('data', () => undefined);
      call.on('error', done);
      call.on('end', done);
      call.on('status', done);
      for (let i = 0; i < writes; i++) call.write(message());
      if (endCleanly) call.end();
      timer = setTimeout(() => call.cancel(), cutAfterMs);
    }
  });
}

/** Resolves with the status code of a call made with a typed client (OK = 0). */
function codeOf(promise: Promise<unknown>): Promise<number> {
  return promise.then(() => grpc.status.OK, (err: grpc.ServiceError) => err.code ?? grpc.status.UNKNOWN);
}

/** The first status of a bidi stream after writing `messages` (it is cancelled once one arrives or after a bound). */
function streamStatus<T>(call: grpc.ClientDuplexStream<T, unknown>, messages: unknown[], boundMs = STREAM_STATUS_MS): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      call.cancel();
      resolve({ code: -1, details: 'no status (still open)' });
    }, boundMs);
    call.on('data', () => undefined);
    call.on('error', (err: grpc.ServiceError) => {
      clearTimeout(timer);
      resolve({ code: err.code, details: err.details });
    });
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve({ code: s.code, details: s.details });
    });
    for (const m of messages) call.write(m as T);
  });
}

describe(`fuzz (seed ${SEED}; FUZZ_SEED=${SEED} repeats it)`, () => {
  const cluster = new LocalCluster('relaycast-fuzz-');
  const grpcTargets: Array<{ name: string; address: string }> = [];
  const httpTargets: Array<{ name: string; address: string }> = [];
  let coordinatorAddress: string;
  let relayAddress: string;
  let nodeAddress: string;
  let gatewayAddress: string;
  let webhookAddress: string;
  let metricsAddresses: string[] = [];
  let broadcasts: BroadcastsClient;
  let membership: MembershipClient;
  let admin: AdminClient;
  let sim: GatewaySimulatorClient;
  const served: Served[] = [];
  /** Membership events from the moment the cluster stood, for what must not happen to its members. */
  let watch: EventLog;
  let n1Epoch: number;
  const random = mulberry32(SEED);

  beforeAll(async () => {
    const metrics = ['--metrics-listen', '127.0.0.1:0'];
    const coordinator = await cluster.startCoordinator(metrics);
    coordinatorAddress = coordinator.address;
    const gateway = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0']);
    const gatewayReady = await gateway.ready();
    gatewayAddress = gatewayReady.address;
    webhookAddress = String(gatewayReady.httpAddress);
    const relay = await cluster.startRelay('relay-1', coordinatorAddress, metrics);
    relayAddress = relay.address;
    const node = await cluster.startNode('n1', { relays: [relayAddress] }, ['--gateway', gatewayAddress, ...metrics]);
    const nodeReady = await node.ready();
    nodeAddress = nodeReady.address;
    metricsAddresses = await Promise.all([coordinator.proc, relay.proc, node].map(async (p) => String((await p.ready()).metricsAddress)));
    grpcTargets.push({ name: 'coordinator', address: coordinatorAddress }, { name: 'relay', address: relayAddress }, { name: 'node', address: nodeAddress }, { name: 'gateway-sim', address: gatewayAddress });
    httpTargets.push(...metricsAddresses.map((address, i) => ({ name: `${['coordinator', 'relay', 'node'][i]} metrics`, address })), { name: 'gateway-sim webhook', address: webhookAddress });
    broadcasts = broadcastsClient(coordinatorAddress);
    membership = membershipClient(coordinatorAddress);
    admin = adminClient(coordinatorAddress);
    sim = gatewaySimulatorClient(gatewayAddress);
    served.push(
      { proc: coordinator.proc, grpcAddress: coordinatorAddress, metricsAddress: metricsAddresses[0] },
      { proc: gateway, grpcAddress: gatewayAddress },
      { proc: relay.proc, grpcAddress: relayAddress, metricsAddress: metricsAddresses[1] },
      { proc: node, grpcAddress: nodeAddress, metricsAddress: metricsAddresses[2] },
    );
    await until(async () => (await healthStatus(nodeAddress)) === 'SERVING', 'the node serving', 15_000);
    let n1: { leaseEpoch: number } | undefined;
    let revision = 0;
    await until(async () => {
      const listed = await unary(membership, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_ALIVE' });
      revision = listed.revision;
      n1 = listed.nodes.find((n) => n.nodeId === 'n1' && n.relayId === 'relay-1');
      return n1 !== undefined;
    }, 'n1 ALIVE via relay-1', 15_000);
    n1Epoch = n1!.leaseEpoch;
    watch = new EventLog(membership, { clusterId: 'default', afterRevision: revision });
  }, 60_000);

  afterAll(async () => {
    watch?.close();
    for (const client of [broadcasts, membership, admin, sim]) client?.close();
    await cluster.stopAll();
  });

  /**
   * Every process the fuzzing hit is alive and serving, and the cluster's own
   * members came through: the relay is still linked (so no leaf's input
   * broke the link for the others), n1 still holds the lease it had before
   * the fuzzing, through relay-1, and neither went DOWN or registered again.
   */
  const expectSurvived = async () => {
    expect(await servingProblems(served, coordinatorAddress)).toEqual([]);
    const webhook = await fetch(`http://${webhookAddress}/presence`, { method: 'POST', body: '{"recipientIds":["u"]}', signal: AbortSignal.timeout(SETTLE_MS) }).then((r) => r.status, (err: Error) => err.message);
    expect(webhook, 'the gateway simulator webhook answers').toBe(200);
    let n1: { state: string; relayId: string; leaseEpoch: number } | undefined;
    await until(async () => {
      n1 = (await unary(membership, 'ListNodes', { clusterId: 'default', kind: 'MEMBER_KIND_NODE' })).nodes.find((n) => n.nodeId === 'n1');
      return n1?.state === 'NODE_STATE_ALIVE';
    }, 'n1 ALIVE', SETTLE_MS).catch(() => undefined);
    expect(n1, 'n1 after the case').toMatchObject({ state: 'NODE_STATE_ALIVE', relayId: 'relay-1', leaseEpoch: n1Epoch });
    const ours = new Set(['default/n1', 'default/relay-1']);
    const lost = watch.events.filter((e) => ours.has(e.node?.nodeKey ?? '') && ['EVENT_TYPE_DOWN', 'EVENT_TYPE_REGISTERED', 'EVENT_TYPE_LEFT'].includes(e.type));
    expect(lost.map((e) => `${e.type} ${e.node?.nodeKey}: ${e.reason}`), 'n1 or relay-1 lost its lease').toEqual([]);
    expect(watch.error, 'the Watch stream opened before the fuzzing').toBeUndefined();
    expect((await unary(admin, 'GetStatus', {})).relayLinks).toBe(1);
    expect(metricValue(await scrape(metricsAddresses[1]!), 'relaycast_relay_linked'), 'relay-1 linked to the coordinator').toBe(1);
  };

  /** Clears what earlier cases may have configured or left running, before a case that needs deliveries. */
  const readyForWork = async () => {
    await unary(sim, 'Configure', { outage: false, latencyMs: 0, retryRate: 0, replaceLists: true, unreachableSuffixes: [], permanentFailureSuffixes: [] });
    for (const b of (await unary(broadcasts, 'ListBroadcasts', { pageSize: 1000 })).broadcasts) {
      if (!['BROADCAST_STATE_COMPLETED', 'BROADCAST_STATE_CANCELLED', 'BROADCAST_STATE_FAILED'].includes(b.state)) await unary(broadcasts, 'CancelBroadcast', { broadcastId: b.broadcastId });
    }
  };

  it('raw TCP junk on every port', async () => {
    for (const target of [...grpcTargets, ...httpTargets]) {
      await Promise.all(Array.from({ length: RAW_CONNECTIONS_PER_PORT }, () => {
        const chunks = Array.from({ length: 1 + Math.floor(random() * 4) }, () => randomBytes(random, 8192));
        return rawExchange(target.address, chunks, EXCHANGE_MS, random() < 0.5);
      }));
    }
    await expectSurvived();
  }, 60_000);

  it('a valid HTTP/2 preface, then junk, truncated and abusive frames on every port', async () => {
    const methods = allMethods();
    for (const target of [...grpcTargets, ...httpTargets]) {
      const scripts = h2Scripts(random, pick(random, methods).path);
      // Every script once, then random ones.
      const chosen = [...scripts, ...Array.from({ length: Math.max(0, H2_CONNECTIONS_PER_PORT - scripts.length) }, () => pick(random, scripts))];
      await Promise.all(chosen.map((script) => rawExchange(target.address, script(), EXCHANGE_MS, random() < 0.3)));
    }
    // A well-formed client that resets its streams as fast as it opens them (grpc-js's own framing).
    for (const target of grpcTargets) {
      const session = http2.connect(`http://${target.address}`);
      session.on('error', () => undefined);
      for (let i = 0; i < 200; i++) {
        const stream = session.request({ ':method': 'POST', ':path': '/relaycast.v1.Admin/GetStatus', 'content-type': 'application/grpc', te: 'trailers' });
        stream.on('error', () => undefined);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      session.destroy();
    }
    await expectSurvived();
  }, 60_000);

  it('random bytes as the messages of every method of every service, streams cut off mid-way', async () => {
    const methods = allMethods();
    for (const target of grpcTargets) {
      const client = new grpc.Client(target.address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
      try {
        for (const method of methods) {
          await Promise.all(Array.from({ length: CALLS_PER_METHOD }, () => randomCall(client, method, random)));
        }
      } finally {
        client.close();
      }
    }
    await expectSurvived();
  }, 90_000);

  it('decodable but wrong messages: wrong oneof, strings past their limits, extreme numbers, oversized messages', async () => {
    const IA = grpc.status.INVALID_ARGUMENT;
    const big = (n: number) => 'a'.repeat(n);
    const refusals: Array<[string, Promise<number>, number[]]> = [
      ['Register: 1 MB node id', codeOf(unary(membership, 'Register', { clusterId: 'default', nodeId: big(1 << 20), instanceId: 'x' })), [IA]],
      ['Register: 33 labels', codeOf(unary(membership, 'Register', { clusterId: 'default', nodeId: 'fz', instanceId: 'x', labels: Array.from({ length: 33 }, (_, i) => ({ key: `k${i}`, value: 'v' })) })), [IA]],
      ['Register: a 257-character label value', codeOf(unary(membership, 'Register', { clusterId: 'default', nodeId: 'fz', instanceId: 'x', labels: [{ key: 'k', value: big(257) }] })), [IA]],
      ['Register: capacity weight 2^32-1', codeOf(unary(membership, 'Register', { clusterId: 'default', nodeId: 'fz', instanceId: 'x', capacityWeight: 4_294_967_295 })), [IA]],
      ['Register: a 129-character instance id', codeOf(unary(membership, 'Register', { clusterId: 'default', nodeId: 'fz', instanceId: big(129) })), [IA]],
      ['Register: a 300-character address', codeOf(unary(membership, 'Register', { clusterId: 'default', nodeId: 'fz', instanceId: 'x', address: big(300) })), [IA]],
      ['Deregister: lease epoch 2^64-1', codeOf(unary(membership, 'Deregister', { clusterId: 'default', nodeId: 'n1', instanceId: 'x', leaseEpoch: '18446744073709551615' as unknown as number })), [IA, grpc.status.FAILED_PRECONDITION, grpc.status.NOT_FOUND, grpc.status.PERMISSION_DENIED, grpc.status.ABORTED]],
      ['ListNodes: page size 2^32-1', codeOf(unary(membership, 'ListNodes', { clusterId: 'default', pageSize: 4_294_967_295 })), [IA]],
      ['ListNodes: a bad cluster id', codeOf(unary(membership, 'ListNodes', { clusterId: 'no such/cluster' })), [IA]],
      ['GetStatus: a 64-character cluster id', codeOf(unary(admin, 'GetStatus', { clusterId: big(64) })), [IA]],
      ['DrainNode: an empty node id', codeOf(unary(admin, 'DrainNode', { clusterId: 'default', nodeId: '' })), [IA]],
      ['CreateBroadcast: a template of 64 KiB + 1', codeOf(unary(broadcasts, 'CreateBroadcast', { template: big(65_537), audience: [{ id: 'u' }] })), [IA]],
      ['CreateBroadcast: an unclosed placeholder', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'Hi {{name', audience: [{ id: 'u' }] })), [IA]],
      ['CreateBroadcast: 10,001 inline recipients', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: Array.from({ length: 10_001 }, (_, i) => ({ id: `u${i}` })) })), [IA]],
      ['CreateBroadcast: a 257-character recipient id', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: big(257) }] })), [IA]],
      ['CreateBroadcast: an empty recipient id', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: '' }] })), [IA]],
      ['CreateBroadcast: 65 variables', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u', vars: Array.from({ length: 65 }, (_, i) => ({ key: `v${i}`, value: '' })) }] })), [IA]],
      ['CreateBroadcast: a 4,097-character variable', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u', vars: [{ key: 'v', value: big(4097) }] }] })), [IA]],
      ['CreateBroadcast: an illegal variable key', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u', vars: [{ key: 'bad key', value: '' }] }] })), [IA]],
      ['CreateBroadcast: a 129-character request id', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u' }], requestId: big(129) })), [IA]],
      ['CreateBroadcast: shard size 2^32-1', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u' }], options: { shardSize: 4_294_967_295 } })), [IA]],
      ['CreateBroadcast: not before -1', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u' }], options: { notBeforeUnixMs: -1 } })), [IA]],
      ['CreateBroadcast: both an audience and an upload id', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u' }], uploadId: 'up-x' })), [IA]],
      ['CreateBroadcast: an upload that does not exist', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', uploadId: 'up-none' })), [grpc.status.NOT_FOUND]],
      ['CreateBroadcast: a 10,000-character upload id', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', uploadId: big(10_000) })), [IA]],
      ['CreateBroadcast: a message over 16 MiB', codeOf(unary(broadcasts, 'CreateBroadcast', { template: 'x', audience: [{ id: 'u', vars: [{ key: 'v', value: big(GRPC_MESSAGE_BYTES_MAX + 1) }] }] })), [grpc.status.RESOURCE_EXHAUSTED]],
      ['GetBroadcast: no id', codeOf(unary(broadcasts, 'GetBroadcast', { broadcastId: '' })), [IA]],
      ['GetBroadcast: a 1 MB id', codeOf(unary(broadcasts, 'GetBroadcast', { broadcastId: big(1 << 20) })), [IA]],
      ['CancelBroadcast: a 1 MB id', codeOf(unary(broadcasts, 'CancelBroadcast', { broadcastId: big(1 << 20) })), [IA]],
      ['ListBroadcasts: page size 2^32-1 and a junk token', codeOf(unary(broadcasts, 'ListBroadcasts', { pageSize: 4_294_967_295, pageToken: big(1000) })), [grpc.status.OK]],
      ['ListDeadLetters: an unknown broadcast', codeOf(unary(broadcasts, 'ListDeadLetters', { broadcastId: 'bc-none', pageToken: 'not a number' })), [grpc.status.NOT_FOUND]],
      ['RetryDeadLetters: an unknown broadcast', codeOf(unary(broadcasts, 'RetryDeadLetters', { broadcastId: 'bc-none', sequences: ['18446744073709551615' as unknown as number] })), [grpc.status.NOT_FOUND]],
    ];
    const shardData = new (relaycastV1().ShardData)(coordinatorAddress, grpc.credentials.createInsecure());
    refusals.push(
      ['ReadAudience: huge numbers', codeOf(unary(shardData, 'ReadAudience', { broadcastId: 'bc-none', shardId: 4_294_967_295, epoch: '18446744073709551615' as unknown as number, nodeKey: 'default/n1', fromSequence: '18446744073709551615' as unknown as number, limit: 4_294_967_295 })), [grpc.status.FAILED_PRECONDITION, grpc.status.NOT_FOUND, IA, grpc.status.PERMISSION_DENIED]],
      ['ReportDeadLetters: a shard not held', codeOf(unary(shardData, 'ReportDeadLetters', { broadcastId: 'bc-none', shardId: 1, epoch: 1, nodeKey: 'default/n1', deadLetters: Array.from({ length: 10_001 }, (_, i) => ({ sequence: i, recipientId: 'u', reason: big(200) })) })), [grpc.status.FAILED_PRECONDITION, IA, grpc.status.PERMISSION_DENIED]],
      ['ReportDeadLetters: a message over 16 MiB', codeOf(unary(shardData, 'ReportDeadLetters', { broadcastId: 'bc-none', shardId: 1, epoch: 1, nodeKey: 'default/n1', deadLetters: [{ sequence: 0, recipientId: 'u', reason: big(GRPC_MESSAGE_BYTES_MAX + 1) }] })), [grpc.status.RESOURCE_EXHAUSTED]],
    );
    const gateway = new (gatewayV1().Gateway)(gatewayAddress, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
    refusals.push(
      ['Deliver: a 2 KB idempotency key', codeOf(unary(gateway, 'Deliver', { items: [{ idempotencyKey: big(2048), recipientId: 'u', text: 't' }] })), [IA]],
      ['Deliver: a message over 16 MiB', codeOf(unary(gateway, 'Deliver', { items: [{ idempotencyKey: 'k', recipientId: 'u', text: big(GRPC_MESSAGE_BYTES_MAX + 1) }] })), [grpc.status.RESOURCE_EXHAUSTED]],
    );
    const results = await Promise.all(refusals.map(async ([what, pending, expected]) => {
      const code = await pending;
      return [what, grpc.status[code] ?? String(code), expected.map((c) => grpc.status[c])] as const;
    }));
    const unexpected = results.filter(([, code, expected]) => !expected.includes(code));
    expect(unexpected, 'calls that did not get the status expected').toEqual([]);
    shardData.close();
    gateway.close();

    // An upload with a bad chunk after a good one keeps nothing; one cut off mid-way too.
    const uploadCode = await new Promise<number>((resolve) => {
      const call = broadcasts.UploadAudience((err) => resolve(err?.code ?? grpc.status.OK));
      call.write({ recipients: [{ id: 'ok' }] });
      call.write({ recipients: Array.from({ length: 10_001 }, (_, i) => ({ id: `u${i}` })) });
      call.end();
    });
    expect(grpc.status[uploadCode]).toBe('INVALID_ARGUMENT');
    await new Promise<void>((resolve) => {
      const call = broadcasts.UploadAudience(() => resolve());
      call.write({ recipients: [{ id: 'ok' }] });
      setTimeout(() => call.cancel(), 50);
    });

    // Member streams: the wrong message first, an empty one, a leave before attach, a second hello.
    for (const address of [coordinatorAddress, relayAddress]) {
      const sessions = new (relaycastV1().NodeSession)(address, grpc.credentials.createInsecure());
      const cases: unknown[][] = [
        [{ liveness: { seq: 1, leaseEpoch: 1, progress: [] } }],
        [{}],
        [{ leave: { leaseEpoch: 1 } }],
        [{ attach: { register: { clusterId: 'default', nodeId: big(1000), instanceId: 'x' }, leaseEpoch: 0 } }],
        [{ attach: { register: { clusterId: 'default', nodeId: 'fz-1', instanceId: 'x', labels: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: big(300) })) }, leaseEpoch: 0 } }],
        [{ attach: { register: { clusterId: 'default', nodeId: 'n1', instanceId: 'impostor' }, leaseEpoch: '18446744073709551615' } }],
      ];
      for (const messages of cases) {
        const status = await streamStatus(sessions.Session(), messages);
        expect(status.code, `${address}: ${JSON.stringify(messages).slice(0, 200)} → ${status.details}`).not.toBe(grpc.status.OK);
        expect(status.code, JSON.stringify(messages).slice(0, 200)).not.toBe(-1);
      }
      sessions.close();
    }
    // Leaves whose messages are each under the limit but together over it in one relay batch.
    const relaySessions = new (relaycastV1().NodeSession)(relayAddress, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
    const wide = await Promise.all([0, 1].map((i) => streamStatus(relaySessions.Session(), [{ attach: { register: { clusterId: 'default', nodeId: `fz-wide-${i}`, instanceId: 'x', address: big(10 * 1024 * 1024) }, leaseEpoch: 0 } }])));
    expect(wide.map((w) => grpc.status[w.code])).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
    const progress = Array.from({ length: 10_001 }, (_, i) => ({ broadcastId: big(60), shardId: i, epoch: 1, watermark: 0 }));
    const heavy = await streamStatus(relaySessions.Session(), [{ attach: { register: { clusterId: 'default', nodeId: 'fz-heavy', instanceId: 'x' }, leaseEpoch: 0 } }, { liveness: { seq: 1, leaseEpoch: 1, progress } }]);
    expect(grpc.status[heavy.code], heavy.details).toBe('INVALID_ARGUMENT');
    relaySessions.close();

    const links = new (relaycastV1().RelayLink)(coordinatorAddress, grpc.credentials.createInsecure());
    for (const messages of [
      [{ batch: { batchId: 1, liveness: [], messages: [], detached: [] } }],
      [{}],
      [{ hello: { clusterId: 'default', relayId: big(100), instanceId: 'x', address: '' } }],
      [{ hello: { clusterId: 'default', relayId: 'fz-relay', instanceId: 'x', address: '' } }, { hello: { clusterId: 'default', relayId: 'fz-relay', instanceId: 'x', address: '' } }],
    ]) {
      const status = await streamStatus(links.Link(), messages);
      expect(status.code, `${JSON.stringify(messages).slice(0, 200)} → ${status.details}`).not.toBe(grpc.status.OK);
      expect(status.code).not.toBe(-1);
    }
    links.close();

    // Membership.Watch from a revision far in the future must not hang the server or crash it.
    const future = membership.Watch({ clusterId: 'default', afterRevision: '18446744073709551615' as unknown as number });
    await new Promise<void>((resolve) => {
      future.on('data', () => undefined);
      future.on('error', () => resolve());
      future.on('end', () => resolve());
      setTimeout(() => {
        future.cancel();
        resolve();
      }, 300);
    });

    // The webhook: junk JSON, a wrong method and path, a body over the limit, a body cut off.
    const webhook = `http://${webhookAddress}`;
    expect((await fetch(`${webhook}/deliver`, { method: 'POST', body: '{"items":[' })).status).toBe(400);
    expect((await fetch(`${webhook}/deliver`, { method: 'POST', body: '{"items":[{"idempotencyKey":1}]}' })).status).toBe(400);
    expect((await fetch(`${webhook}/presence`, { method: 'POST', body: '{"recipientIds":"x"}' })).status).toBe(400);
    expect((await fetch(`${webhook}/deliver`)).status).toBe(405);
    expect((await fetch(`${webhook}/nope`, { method: 'POST', body: '{}' })).status).toBe(404);
    const tooLarge = await fetch(`${webhook}/deliver`, { method: 'POST', body: Buffer.alloc(16 * 1024 * 1024 + 1, 0x20) }).then((r) => r.status, () => 413);
    expect(tooLarge).toBe(413);
    const { host, port } = hostPort(webhookAddress);
    await rawExchange(`${host}:${port}`, [Buffer.from('POST /deliver HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"items":[')], EXCHANGE_MS, false);
    await expectSurvived();
  }, 90_000);

  it('progress reports that cannot be true, directly and through the relay, from nodes that then vanish: counts too high, too low, huge, a watermark out of range or moving back, a wrong epoch, shards not held', async () => {
    await readyForWork();
    const liars = [
      new RawNodeSession(coordinatorAddress, { clusterId: 'default', nodeId: 'fz-liar-direct', instanceId: 'liar', capacityWeight: LIAR_WEIGHT }),
      new RawNodeSession(relayAddress, { clusterId: 'default', nodeId: 'fz-liar-relayed', instanceId: 'liar', capacityWeight: LIAR_WEIGHT }),
    ];
    const coordinator = served[0]!.proc;
    /** `pending`, unless the coordinator dies first: then a failure that shows why. */
    const whileCoordinatorLives = async (pending: Promise<unknown>): Promise<void> => {
      const died = coordinator.exit().then(() => 'died' as const);
      const settled = pending.then(() => 'settled' as const, (err: Error) => err);
      const first = await Promise.race([settled, died]);
      expect(coordinator.exited, `the coordinator died; ${lastOutput(coordinator)}`).toBe(false);
      if (first instanceof Error) throw first;
    };
    try {
      for (const liar of liars) await liar.attach(SETTLE_MS);
      const audience = Array.from({ length: LIE_SHARDS * LIE_SHARD_SIZE }, (_, i) => ({ id: `liar-${i}`, vars: [{ key: 'n', value: String(i) }] }));
      const { broadcastId } = await unary(broadcasts, 'CreateBroadcast', { template: 'lied about {{n}}', audience, options: { shardSize: LIE_SHARD_SIZE } });
      // Orders that do not start at 0, so that a watermark can be below them.
      const held = (liar: RawNodeSession) => liar.orders.filter((o) => o.broadcastId === broadcastId && o.start > 0);
      for (const liar of liars) await liar.waitFor(() => held(liar).length >= LIED_SHARDS, `${LIED_SHARDS} orders`, SETTLE_MS);

      type Order = ReturnType<typeof held>[number];
      const report = (o: Order, fields: Partial<ShardProgress>): ShardProgress => ({ broadcastId, shardId: o.shardId, epoch: o.epoch, watermark: o.start, delivered: 0, skippedUnreachable: 0, deadLettered: 0, done: false, stopped: false, ...fields });
      // First an honest-looking report for the shard whose watermark will move back.
      // Nothing can tell it from the truth: those two count as delivered by the liar.
      const claimed = new Set<number>();
      for (const liar of liars) {
        const moving = held(liar)[8]!;
        liar.progress = [report(moving, { watermark: moving.start + 2, delivered: 2 })];
        claimed.add(moving.start).add(moving.start + 1);
      }
      await whileCoordinatorLives(Promise.all(liars.map((liar) => liar.livenessAnswered(SETTLE_MS))));
      for (const [n, liar] of liars.entries()) {
        const [a, b, c, d, e, f, g, h, i, j] = held(liar) as [Order, Order, Order, Order, Order, Order, Order, Order, Order, Order];
        const others = held(liars[1 - n]!)[0]!;
        liar.progress = [
          // Three delivered, nothing final.
          report(a, { delivered: 3 }),
          // Counts too high for the watermark.
          report(b, { watermark: b.start + 2, delivered: 2, skippedUnreachable: 2 }),
          // Counts too low, and done: one recipient counted, the others lost.
          report(c, { watermark: c.end, delivered: 1, done: true }),
          // 2^64-1 as a count, and as a watermark.
          report(d, { watermark: d.start + 1, delivered: U64_MAX }),
          report(e, { watermark: U64_MAX, deadLettered: U64_MAX }),
          // A watermark below the shard, and one past its end with counts to match.
          report(f, { watermark: f.start - 1 }),
          report(g, { watermark: g.end + 1, delivered: g.end + 1 - g.start, done: true }),
          // Stopped, with counts but nothing final.
          report(h, { delivered: 2, stopped: true }),
          // The watermark moves back below the honest report.
          report(i, { watermark: i.start + 1, delivered: 1 }),
          // Wrong epochs: the next one, and 2^64-1.
          report(j, { epoch: j.epoch + 1, watermark: j.end, delivered: j.end - j.start, done: true }),
          report(j, { epoch: U64_MAX, watermark: j.end, delivered: j.end - j.start, done: true }),
          // Shards it does not hold: the other liar's, one of a broadcast that does not exist, one past any shard id.
          report(others, { watermark: others.end, delivered: others.end - others.start, done: true }),
          { ...report(a, { watermark: a.end, delivered: a.end - a.start, done: true }), broadcastId: 'bc-none' },
          { ...report(a, { watermark: a.end, delivered: a.end - a.start, done: true }), shardId: 4_294_967_295 },
        ];
      }
      await whileCoordinatorLives(Promise.all(liars.map((liar) => liar.livenessAnswered(SETTLE_MS))));
      // They keep saying so past a few checkpoints, then vanish as crashed nodes do.
      await whileCoordinatorLives(observe(1000));
      for (const liar of liars) liar.vanish();
      const keys = liars.map((liar) => `default/${liar.register.nodeId}`);
      await whileCoordinatorLives(watch.waitFor(() => keys.every((key) => watch.of('DOWN', key).length > 0), 'both liars DOWN', DOWN_AFTER_MS + SETTLE_MS));

      // n1 finishes the broadcast: every recipient final once, and each the liars did
      // not claim in a report that added up is in the ledger with its text.
      let final: Broadcast__Output | undefined;
      await until(async () => (final = await unary(broadcasts, 'GetBroadcast', { broadcastId })).state === 'BROADCAST_STATE_COMPLETED', 'the lied-about broadcast completes', 60_000, 200)
        .catch((err: Error) => { throw new Error(`${err.message}; last: ${final?.state} ${JSON.stringify(final?.counts)}`); });
      const counts = final!.counts!;
      expect([counts.total, counts.delivered + counts.skippedUnreachable + counts.deadLettered, counts.delivered]).toEqual([audience.length, audience.length, audience.length]);
      const { texts } = await unary(sim, 'GetDelivered', { idempotencyKeys: audience.map((_, i) => `${broadcastId}/${i}`) });
      expect(texts).toEqual(audience.map((_, i) => (claimed.has(i) ? '' : `lied about ${i}`)));
    } finally {
      for (const liar of liars) liar.vanish();
    }
    await expectSurvived();
  }, 120_000);

  it('after all of it, a tiny broadcast completes with every delivery in the ledger', async () => {
    // Whatever the fuzzing created or configured must not stand in the way.
    await readyForWork();
    const audience = Array.from({ length: 20 }, (_, i) => ({ id: `after-fuzz-${i}`, vars: [{ key: 'n', value: String(i) }] }));
    const created = await unary(broadcasts, 'CreateBroadcast', { template: 'still here {{n}}', audience });
    await until(async () => (await unary(broadcasts, 'GetBroadcast', { broadcastId: created.broadcastId })).state === 'BROADCAST_STATE_COMPLETED', 'the tiny broadcast completes', 30_000, 200);
    const keys = audience.map((_, i) => `${created.broadcastId}/${i}`);
    const delivered = await unary(sim, 'GetDelivered', { idempotencyKeys: keys });
    expect(delivered.texts).toEqual(audience.map((_, i) => `still here ${i}`));
    await expectSurvived();
  }, 60_000);
});
