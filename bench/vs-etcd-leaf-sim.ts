/**
 * Many relaycast nodes in one process, for bench/vs-etcd.ts: like
 * bench/leaf-sim.ts (one real NodeSession stream per node to a relay or the
 * coordinator, attach, then liveness every INTERVAL_MS spread evenly), but
 * paced by the clock rather than by timer ticks (so a busy event loop does
 * not lower the rate), counting renewals and lost leases, and with a
 * control channel to stop members (they go silent; their streams stay open,
 * like a hung process or a partition — the coordinator must time them out).
 *
 * Usage: node dist/bench/vs-etcd-leaf-sim.js ENDPOINT COUNT PREFIX INTERVAL_MS CLUSTER
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { relaycastV1 } from '../shared/proto';
import type { NodeMessage } from '../shared/generated/relaycast/v1/NodeMessage';
import type { SessionMessage__Output } from '../shared/generated/relaycast/v1/SessionMessage';
import { serveControl, type SimStats } from './vs-etcd-control';

interface Leaf {
  call: grpc.ClientDuplexStream<NodeMessage, SessionMessage__Output>;
  /** 0: not welcomed yet, or lost/stopped. */
  epoch: number;
  seq: number;
}

const TICK_MS = 10;
/** Leaves per HTTP/2 connection (as bench/leaf-sim.ts). */
const LEAVES_PER_CHANNEL = 5000;

function main(): void {
  const [endpoint, countText, prefix, intervalText, cluster] = process.argv.slice(2);
  if (endpoint === undefined || countText === undefined || prefix === undefined || intervalText === undefined || cluster === undefined) {
    process.stderr.write('usage: vs-etcd-leaf-sim ENDPOINT COUNT PREFIX INTERVAL_MS CLUSTER\n');
    process.exit(2);
  }
  const count = Number(countText);
  const intervalMs = Number(intervalText);
  const Session = relaycastV1().NodeSession;
  const clients = Array.from({ length: Math.ceil(count / LEAVES_PER_CHANNEL) }, (_, i) =>
    new Session(endpoint, grpc.credentials.createInsecure(), { 'relaycast.bench.channel': `${prefix}-${i}`, 'grpc.max_receive_message_length': -1 }));
  const leaves: Leaf[] = [];
  const stats: SimStats = { sent: 0, renewed: 0, lost: 0, errors: 0, live: 0 };
  const stopped = new Set<number>();
  let welcomed = 0;
  const started = Date.now();
  const instanceId = randomUUID();
  for (let i = 0; i < count; i++) {
    const call = clients[Math.floor(i / LEAVES_PER_CHANNEL)]!.Session();
    const leaf: Leaf = { call, epoch: 0, seq: 0 };
    leaves.push(leaf);
    call.on('data', (message: SessionMessage__Output) => {
      if (message.msg === 'welcome' && message.welcome?.registration) {
        if (leaf.epoch !== 0 || stopped.has(i)) return;
        leaf.epoch = message.welcome.registration.leaseEpoch;
        welcomed += 1;
        stats.live += 1;
        if (welcomed === count) process.stdout.write(JSON.stringify({ ready: 'leaf-sim', address: endpoint, count, registerMs: Date.now() - started }) + '\n');
      } else if (message.msg === 'renewed') {
        stats.renewed += 1;
      } else if (message.msg === 'lost') {
        if (stopped.has(i) || leaf.epoch === 0) return;
        stats.lost += 1;
        stats.live -= 1;
        leaf.epoch = 0;
      }
    });
    call.on('error', () => {
      stats.errors += 1;
    });
    call.write({ attach: { register: { clusterId: cluster, nodeId: `${prefix}-${i}`, instanceId: `${instanceId}-${i}`, address: '' }, leaseEpoch: 0 } });
  }
  // Each leaf once per interval, in a fixed order, as many per tick as the clock says are due.
  let cursor = 0;
  let due = 0;
  let last = Date.now();
  setInterval(() => {
    const now = Date.now();
    due = Math.min(count, due + (count * (now - last)) / intervalMs);
    last = now;
    while (due >= 1) {
      due -= 1;
      const leaf = leaves[cursor]!;
      cursor = (cursor + 1) % count;
      if (leaf.epoch === 0) continue;
      leaf.seq += 1;
      stats.sent += 1;
      leaf.call.write({ liveness: { seq: leaf.seq, leaseEpoch: leaf.epoch } });
    }
  }, TICK_MS);

  serveControl((command) => {
    if (command.cmd === 'stop') {
      for (const i of command.members) {
        const leaf = leaves[i];
        if (leaf === undefined || stopped.has(i)) continue;
        stopped.add(i);
        if (leaf.epoch !== 0) stats.live -= 1;
        leaf.epoch = 0;
      }
      return { at: Date.now(), stopped: stopped.size };
    }
    return { ...stats };
  });
}

main();
