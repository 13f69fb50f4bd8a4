/**
 * A simulated relay for the benchmarks: speaks RelayLink to the coordinator
 * exactly as a relay does for COUNT leaves (attaches in batch messages, then
 * every flush the liveness of the leaves whose turn came), without running
 * the leaves themselves. It isolates the coordinator's cost of relayed
 * liveness from the cost of the leaves and relays, which in a deployment run
 * on other machines. A leaf whose liveness is rejected or whose lease is
 * lost goes quiet.
 *
 * Usage: node dist/bench/relay-sim.js COORDINATOR RELAY_ID COUNT INTERVAL_MS FLUSH_MS
 *          [--cluster ID] [--pace ticks|clock] [--attaches-per-batch N] [--control]
 *
 *   --cluster             the cluster the relay and its leaves register in (default bench).
 *   --pace                ticks (default): a fixed share of the leaves per flush, so
 *                         a busy event loop sends less (bench/heartbeat.ts); clock:
 *                         as many as the clock says are due (bench/vs-etcd.ts).
 *   --attaches-per-batch  attaches sent per batch while registering (default 5000).
 *                         bench/vs-etcd.ts uses 1000: with a 2 s down-after, bursts
 *                         of 5,000 kept the coordinator's acks so late that relays,
 *                         stalled by their in-flight limit, went quiet for 2 s and
 *                         were declared DOWN (50,000 members, two relays, 2 cores).
 *   --control             answer bench/vs-etcd-control.ts commands on stdin (stats,
 *                         stop members: they go silent) and exit when stdin closes;
 *                         without it, print a stats line every second.
 *
 * Prints {"ready":"relay-sim",...} once every leaf is welcomed.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { relaycastV1 } from '../protocol/proto';
import type { RelayDown__Output } from '../protocol/generated/relaycast/v1/RelayDown';
import type { LeafLiveness } from '../protocol/generated/relaycast/v1/LeafLiveness';
import type { LeafMessage } from '../protocol/generated/relaycast/v1/LeafMessage';
import { serveControl, type SimStats } from './vs-etcd-control';
import { pacer, parseSimArgs, type Pace } from './leaf-sim';

const BATCH_ENTRIES_MAX = 20_000; // the relay default
const BATCHES_IN_FLIGHT_MAX = 4; // the relay default
const ATTACHES_PER_BATCH_DEFAULT = 5000;
const USAGE = 'usage: relay-sim COORDINATOR RELAY_ID COUNT INTERVAL_MS FLUSH_MS [--cluster ID] [--pace ticks|clock] [--attaches-per-batch N] [--control]';

interface RelaySimOptions {
  coordinator: string;
  relayId: string;
  count: number;
  intervalMs: number;
  flushMs: number;
  cluster: string;
  pace: Pace;
  attachesPerBatch: number;
  control: boolean;
}

function parse(argv: string[]): RelaySimOptions {
  const args = parseSimArgs('relay-sim', USAGE, argv, 5, ['--attaches-per-batch']);
  const [coordinator, relayId, count, interval, flush] = args.positional as [string, string, string, string, string];
  const attaches = args.values.get('--attaches-per-batch');
  return {
    coordinator, relayId, cluster: args.cluster, pace: args.pace, control: args.control,
    attachesPerBatch: attaches === undefined ? ATTACHES_PER_BATCH_DEFAULT : args.positiveInt('--attaches-per-batch', attaches),
    count: args.positiveInt('COUNT', count), intervalMs: args.positiveInt('INTERVAL_MS', interval), flushMs: args.positiveInt('FLUSH_MS', flush),
  };
}

function main(): void {
  const { coordinator, relayId, count, intervalMs, flushMs, cluster, pace, attachesPerBatch, control } = parse(process.argv.slice(2));
  const client = new (relaycastV1().RelayLink)(coordinator, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  const link = client.Link();
  /** 0: not welcomed, lost or stopped. */
  const epochs = new Array<number>(count).fill(0);
  const seqs = new Array<number>(count).fill(0);
  const stopped = new Set<number>();
  const key = (i: number) => `${cluster}/${relayId}-${i}`;
  const indexOf = (nodeKey: string) => Number(nodeKey.slice(nodeKey.lastIndexOf('-') + 1));
  const instance = randomUUID();
  const stats: SimStats = { sent: 0, renewed: 0, lost: 0, errors: 0, live: 0 };
  /** Liveness entries of each batch not yet acknowledged (its size is the in-flight count). */
  const livenessInBatch = new Map<number, number>();
  const started = Date.now();
  let welcomed = 0;
  let rejected = 0;
  let batchId = 0;
  let attachCursor = 0;
  let cursor = 0;

  const lose = (i: number) => {
    if (stopped.has(i) || epochs[i] === 0) return;
    epochs[i] = 0;
    stats.lost += 1;
    stats.live -= 1;
  };
  link.on('data', (down: RelayDown__Output) => {
    if (down.msg !== 'batchAck' || !down.batchAck) return;
    const ack = down.batchAck;
    const entries = livenessInBatch.get(ack.batchId);
    if (entries !== undefined) {
      livenessInBatch.delete(ack.batchId);
      stats.renewed += entries - ack.rejected.length;
    }
    rejected += ack.rejected.length;
    for (const rejection of ack.rejected) lose(indexOf(rejection.nodeKey));
    for (const delivery of ack.deliveries) {
      const i = indexOf(delivery.nodeKey);
      const reg = delivery.message?.welcome?.registration;
      if (reg) {
        if (epochs[i] !== 0 || stopped.has(i)) continue;
        epochs[i] = reg.leaseEpoch;
        welcomed += 1;
        stats.live += 1;
        if (welcomed === count) process.stdout.write(JSON.stringify({ ready: 'relay-sim', address: coordinator, count, registerMs: Date.now() - started }) + '\n');
      } else if (delivery.message?.lost) {
        lose(i);
      }
    }
  });
  link.on('error', (err: Error) => {
    process.stderr.write(`relay-sim ${relayId}: link failed: ${err.message}\n`);
    process.exit(1);
  });
  link.write({ hello: { clusterId: cluster, relayId, instanceId: instance, address: '' } });

  const due = pacer(pace, count, intervalMs, flushMs);
  /** Leaves that "spoke" since the last batch, coalesced like the relay's aggregator does. */
  const spoke = new Map<number, number>();
  setInterval(() => {
    const now = Date.now();
    for (let n = due(); n > 0; n--) {
      const i = cursor;
      cursor = (cursor + 1) % count;
      if (epochs[i] === 0) continue;
      seqs[i]! += 1;
      spoke.delete(i);
      spoke.set(i, now - Math.floor(Math.random() * flushMs));
    }
    // Like a relay: bounded unacknowledged batches (backpressure); leaves keep speaking meanwhile.
    if (livenessInBatch.size >= BATCHES_IN_FLIGHT_MAX) return;
    const messages: LeafMessage[] = [];
    while (attachCursor < count && messages.length < attachesPerBatch) {
      const i = attachCursor++;
      messages.push({ nodeKey: key(i), ageMs: 0, message: { attach: { register: { clusterId: cluster, nodeId: `${relayId}-${i}`, instanceId: `${instance}-${i}`, address: '' }, leaseEpoch: 0 } } });
    }
    const liveness: LeafLiveness[] = [];
    for (const [i, heardAt] of spoke) {
      if (liveness.length + messages.length >= BATCH_ENTRIES_MAX) break;
      spoke.delete(i);
      if (epochs[i] === 0) continue;
      liveness.push({ nodeKey: key(i), leaseEpoch: epochs[i]!, seq: seqs[i]!, ageMs: now - heardAt });
    }
    batchId += 1;
    livenessInBatch.set(batchId, liveness.length);
    stats.sent += liveness.length;
    link.write({ batch: { batchId, liveness, messages, detached: [] } });
  }, flushMs);

  if (!control) {
    setInterval(() => process.stdout.write(JSON.stringify({ stats: 'relay-sim', welcomed, rejected, unacked: livenessInBatch.size, ...stats }) + '\n'), 1000);
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
  serveControl((command) => {
    if (command.cmd === 'stop') {
      for (const i of command.members) {
        if (i < 0 || i >= count || stopped.has(i)) continue;
        stopped.add(i);
        if (epochs[i] !== 0) stats.live -= 1;
        epochs[i] = 0;
        spoke.delete(i);
      }
      return { at: Date.now(), stopped: stopped.size };
    }
    return { ...stats };
  });
}

main();
