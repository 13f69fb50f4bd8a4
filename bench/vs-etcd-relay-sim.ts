/**
 * A simulated relay for bench/vs-etcd.ts (mode relaycast-coordinator): like
 * bench/relay-sim.ts it speaks RelayLink to the coordinator exactly as a
 * relay does for COUNT leaves (attaches in batch messages, then every flush
 * the liveness of the leaves whose turn came), without running the leaves;
 * unlike it, the leaves' pace follows the clock (not timer ticks), acks and
 * rejections are counted, and members can be stopped (they go silent) over
 * the control channel.
 *
 * Usage: node dist/bench/vs-etcd-relay-sim.js COORDINATOR RELAY_ID COUNT INTERVAL_MS FLUSH_MS CLUSTER
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { relaycastV1 } from '../shared/proto';
import type { RelayDown__Output } from '../shared/generated/relaycast/v1/RelayDown';
import type { LeafLiveness } from '../shared/generated/relaycast/v1/LeafLiveness';
import type { LeafMessage } from '../shared/generated/relaycast/v1/LeafMessage';
import { serveControl, type SimStats } from './vs-etcd-control';

/**
 * Attaches per batch (one batch per flush): 10,000 attaches/s per relay.
 * bench/relay-sim.ts sends 5,000 per batch; with a 2 s down-after that
 * burst keeps the coordinator's acks so late that the relays, stalled by
 * their in-flight limit, go quiet for 2 s and are declared DOWN (50,000
 * members, two relays, on the 2-core box), so registration is paced here.
 */
const ATTACHES_PER_BATCH = 1000;
const BATCH_ENTRIES_MAX = 20_000; // the relay default
const BATCHES_IN_FLIGHT_MAX = 4; // the relay default

function main(): void {
  const [coordinator, relayId, countText, intervalText, flushText, cluster] = process.argv.slice(2);
  if (coordinator === undefined || relayId === undefined || countText === undefined || intervalText === undefined || flushText === undefined || cluster === undefined) {
    process.stderr.write('usage: vs-etcd-relay-sim COORDINATOR RELAY_ID COUNT INTERVAL_MS FLUSH_MS CLUSTER\n');
    process.exit(2);
  }
  const count = Number(countText);
  const intervalMs = Number(intervalText);
  const flushMs = Number(flushText);
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
  const livenessInBatch = new Map<number, number>();
  const started = Date.now();
  let welcomed = 0;
  let batchId = 0;
  let attachCursor = 0;
  let cursor = 0;
  let due = 0;
  let last = Date.now();

  link.on('data', (down: RelayDown__Output) => {
    if (down.msg !== 'batchAck' || !down.batchAck) return;
    const ack = down.batchAck;
    const entries = livenessInBatch.get(ack.batchId);
    if (entries !== undefined) {
      livenessInBatch.delete(ack.batchId);
      stats.renewed += entries - ack.rejected.length;
    }
    for (const rejection of ack.rejected) {
      const i = indexOf(rejection.nodeKey);
      if (stopped.has(i) || epochs[i] === 0) continue;
      epochs[i] = 0;
      stats.lost += 1;
      stats.live -= 1;
    }
    for (const delivery of ack.deliveries) {
      const i = indexOf(delivery.nodeKey);
      const reg = delivery.message?.welcome?.registration;
      if (reg) {
        if (epochs[i] !== 0 || stopped.has(i)) continue;
        epochs[i] = reg.leaseEpoch;
        welcomed += 1;
        stats.live += 1;
        if (welcomed === count) process.stdout.write(JSON.stringify({ ready: 'relay-sim', address: coordinator, count, registerMs: Date.now() - started }) + '\n');
      } else if (delivery.message?.lost && !stopped.has(i) && epochs[i] !== 0) {
        epochs[i] = 0;
        stats.lost += 1;
        stats.live -= 1;
      }
    }
  });
  link.on('error', (err: Error) => {
    process.stderr.write(`vs-etcd-relay-sim ${relayId}: link failed: ${err.message}\n`);
    process.exit(1);
  });
  link.write({ hello: { clusterId: cluster, relayId, instanceId: instance, address: '' } });

  /** Leaves that "spoke" since the last batch, coalesced like the relay's aggregator does. */
  const spoke = new Map<number, number>();
  setInterval(() => {
    const now = Date.now();
    due = Math.min(count, due + (count * (now - last)) / intervalMs);
    last = now;
    while (due >= 1) {
      due -= 1;
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
    while (attachCursor < count && messages.length < ATTACHES_PER_BATCH) {
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
