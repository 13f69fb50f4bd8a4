/**
 * Many simulated leaves in one process, for benchmarks: each leaf opens a
 * real NodeSession stream to an endpoint (relay or coordinator), attaches,
 * and sends liveness at a fixed interval, spread evenly over the interval.
 *
 * Usage: node dist/bench/leaf-sim.js ENDPOINT COUNT PREFIX INTERVAL_MS
 * Prints {"ready":"leaf-sim",...} once every leaf is welcomed, then a
 * stats line every second.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { relaycastV1 } from '../shared/proto';
import type { NodeMessage } from '../shared/generated/relaycast/v1/NodeMessage';
import type { SessionMessage__Output } from '../shared/generated/relaycast/v1/SessionMessage';

interface Leaf {
  call: grpc.ClientDuplexStream<NodeMessage, SessionMessage__Output>;
  epoch: number;
  seq: number;
}

const TICK_MS = 10;
/** Leaves per HTTP/2 connection. */
const LEAVES_PER_CHANNEL = 5000;

function main(): void {
  const [endpoint, countText, prefix, intervalText] = process.argv.slice(2);
  if (endpoint === undefined || countText === undefined || prefix === undefined || intervalText === undefined) {
    process.stderr.write('usage: leaf-sim ENDPOINT COUNT PREFIX INTERVAL_MS\n');
    process.exit(2);
  }
  const count = Number(countText);
  const intervalMs = Number(intervalText);
  const Session = relaycastV1().NodeSession;
  const clients = Array.from({ length: Math.ceil(count / LEAVES_PER_CHANNEL) }, (_, i) =>
    // A distinct option per client keeps grpc-js from sharing one connection.
    new Session(endpoint, grpc.credentials.createInsecure(), { 'relaycast.bench.channel': i, 'grpc.max_receive_message_length': -1 }));
  const leaves: Leaf[] = [];
  let welcomed = 0;
  let renewed = 0;
  let lost = 0;
  let errors = 0;
  const instanceId = randomUUID();
  for (let i = 0; i < count; i++) {
    const call = clients[Math.floor(i / LEAVES_PER_CHANNEL)]!.Session();
    const leaf: Leaf = { call, epoch: 0, seq: 0 };
    leaves.push(leaf);
    call.on('data', (message: SessionMessage__Output) => {
      if (message.msg === 'welcome' && message.welcome?.registration) {
        if (leaf.epoch === 0) welcomed += 1;
        leaf.epoch = message.welcome.registration.leaseEpoch;
        if (welcomed === count) process.stdout.write(JSON.stringify({ ready: 'leaf-sim', address: endpoint, count }) + '\n');
      } else if (message.msg === 'renewed') renewed += 1;
      else if (message.msg === 'lost') lost += 1;
    });
    call.on('error', () => {
      errors += 1;
    });
    call.write({ attach: { register: { clusterId: 'bench', nodeId: `${prefix}-${i}`, instanceId: `${instanceId}-${i}`, address: '' }, leaseEpoch: 0 } });
  }
  // Every tick, the next slice of leaves sends: each leaf once per interval.
  const perTick = count * (TICK_MS / intervalMs);
  let cursor = 0;
  let carry = 0;
  setInterval(() => {
    carry += perTick;
    const n = Math.floor(carry);
    carry -= n;
    for (let k = 0; k < n; k++) {
      const leaf = leaves[cursor]!;
      cursor = (cursor + 1) % count;
      if (leaf.epoch === 0) continue;
      leaf.seq += 1;
      leaf.call.write({ liveness: { seq: leaf.seq, leaseEpoch: leaf.epoch } });
    }
  }, TICK_MS);
  setInterval(() => process.stdout.write(JSON.stringify({ stats: 'leaf-sim', welcomed, renewed, lost, errors }) + '\n'), 1000);
  process.on('SIGTERM', () => process.exit(0));
}

main();
