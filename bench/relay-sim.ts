/**
 * A simulated relay for benchmarks: speaks RelayLink to the coordinator
 * exactly as a relay does for COUNT leaves at 1 Hz (attach through batch
 * messages, then every flush the liveness of the leaves whose turn came),
 * without running the leaves themselves. It isolates the coordinator's cost
 * of relayed liveness from the cost of the leaves and relays, which in a
 * deployment run on other machines.
 *
 * Usage: node dist/bench/relay-sim.js COORDINATOR RELAY_ID COUNT INTERVAL_MS FLUSH_MS
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { relaycastV1 } from '../shared/proto';
import type { RelayDown__Output } from '../shared/generated/relaycast/v1/RelayDown';
import type { LeafLiveness } from '../shared/generated/relaycast/v1/LeafLiveness';
import type { LeafMessage } from '../shared/generated/relaycast/v1/LeafMessage';

const ATTACHES_PER_BATCH = 5000;
const BATCH_ENTRIES_MAX = 20_000; // the relay default

function main(): void {
  const [coordinator, relayId, countText, intervalText, flushText] = process.argv.slice(2);
  if (coordinator === undefined || relayId === undefined || countText === undefined || intervalText === undefined || flushText === undefined) {
    process.stderr.write('usage: relay-sim COORDINATOR RELAY_ID COUNT INTERVAL_MS FLUSH_MS\n');
    process.exit(2);
  }
  const count = Number(countText);
  const intervalMs = Number(intervalText);
  const flushMs = Number(flushText);
  const client = new (relaycastV1().RelayLink)(coordinator, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  const link = client.Link();
  const epochs = new Array<number>(count).fill(0);
  const seqs = new Array<number>(count).fill(0);
  const key = (i: number) => `bench/${relayId}-${i}`;
  const instance = randomUUID();
  let welcomed = 0;
  let batchId = 0;
  let attachCursor = 0;
  let cursor = 0;
  let carry = 0;
  let unacked = 0;
  let rejected = 0;

  link.on('data', (down: RelayDown__Output) => {
    if (down.msg !== 'batchAck' || !down.batchAck) return;
    if (down.batchAck.batchId !== 0) unacked -= 1;
    rejected += down.batchAck.rejected.length;
    for (const delivery of down.batchAck.deliveries) {
      const reg = delivery.message?.welcome?.registration;
      if (!reg) continue;
      const i = Number(delivery.nodeKey.slice(delivery.nodeKey.lastIndexOf('-') + 1));
      if (epochs[i] === 0) welcomed += 1;
      epochs[i] = reg.leaseEpoch;
      if (welcomed === count) process.stdout.write(JSON.stringify({ ready: 'relay-sim', address: coordinator, count }) + '\n');
    }
  });
  link.on('error', (err: Error) => {
    process.stderr.write(`relay-sim ${relayId}: link failed: ${err.message}\n`);
    process.exit(1);
  });
  link.write({ hello: { clusterId: 'bench', relayId, instanceId: instance, address: '' } });

  const perFlush = count * (flushMs / intervalMs);
  /** Leaves that "spoke" since the last batch, coalesced like the relay's aggregator does. */
  const spoke = new Map<number, number>();
  setInterval(() => {
    carry += perFlush;
    const n = Math.floor(carry);
    carry -= n;
    const now = Date.now();
    for (let k = 0; k < n; k++) {
      const i = cursor;
      cursor = (cursor + 1) % count;
      if (epochs[i] === 0) continue;
      seqs[i]! += 1;
      spoke.delete(i);
      spoke.set(i, now - Math.floor(Math.random() * flushMs));
    }
    // Like a relay: bounded unacknowledged batches (backpressure); leaves keep speaking meanwhile.
    if (unacked >= 4) return;
    const messages: LeafMessage[] = [];
    while (attachCursor < count && messages.length < ATTACHES_PER_BATCH) {
      const i = attachCursor++;
      messages.push({ nodeKey: key(i), ageMs: 0, message: { attach: { register: { clusterId: 'bench', nodeId: `${relayId}-${i}`, instanceId: `${instance}-${i}`, address: '' }, leaseEpoch: 0 } } });
    }
    const liveness: LeafLiveness[] = [];
    for (const [i, heardAt] of spoke) {
      if (liveness.length + messages.length >= BATCH_ENTRIES_MAX) break;
      spoke.delete(i);
      liveness.push({ nodeKey: key(i), leaseEpoch: epochs[i]!, seq: seqs[i]!, ageMs: now - heardAt });
    }
    unacked += 1;
    link.write({ batch: { batchId: ++batchId, liveness, messages, detached: [] } });
  }, flushMs);
  setInterval(() => process.stdout.write(JSON.stringify({ stats: 'relay-sim', welcomed, rejected, unacked }) + '\n'), 1000);
  process.on('SIGTERM', () => process.exit(0));
}

main();
