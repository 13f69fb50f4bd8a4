/**
 * Many simulated leaves (relaycast nodes) in one process, for the
 * benchmarks: each leaf opens a real NodeSession stream to an endpoint (a
 * relay or the coordinator), attaches, and sends liveness every INTERVAL_MS,
 * spread evenly over the interval. A leaf whose lease is lost goes quiet.
 *
 * Usage: node dist/bench/leaf-sim.js ENDPOINT COUNT PREFIX INTERVAL_MS
 *          [--cluster ID] [--pace ticks|clock] [--control]
 *
 *   --cluster  the cluster the leaves register in (default bench).
 *   --pace     ticks (default): a fixed share of the leaves per 10 ms timer
 *              tick, so a busy event loop sends less (bench/heartbeat.ts);
 *              clock: as many as the clock says are due, so it does not
 *              (bench/vs-etcd.ts).
 *   --control  answer bench/vs-etcd-control.ts commands on stdin (stats, stop
 *              members: they go silent with their streams open, like a hung
 *              process) and exit when stdin closes; without it, print a
 *              stats line every second.
 *
 * Prints {"ready":"leaf-sim",...} once every leaf is welcomed.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { relaycastV1 } from '../protocol/proto';
import type { NodeMessage } from '../protocol/generated/relaycast/v1/NodeMessage';
import type { SessionMessage__Output } from '../protocol/generated/relaycast/v1/SessionMessage';
import { serveControl, type SimStats } from './vs-etcd-control';

interface Leaf {
  call: grpc.ClientDuplexStream<NodeMessage, SessionMessage__Output>;
  /** 0: not welcomed yet, lost or stopped. */
  epoch: number;
  seq: number;
}

const TICK_MS = 10;
/** Leaves per HTTP/2 connection. */
const LEAVES_PER_CHANNEL = 5000;
const USAGE = 'usage: leaf-sim ENDPOINT COUNT PREFIX INTERVAL_MS [--cluster ID] [--pace ticks|clock] [--control]';

export type Pace = 'ticks' | 'clock';

interface LeafSimOptions {
  endpoint: string;
  count: number;
  prefix: string;
  intervalMs: number;
  cluster: string;
  pace: Pace;
  control: boolean;
}

/** What both simulators accept: positionals, --cluster, --pace, --control, and extra value options of their own. */
export interface SimArgs {
  positional: string[];
  cluster: string;
  pace: Pace;
  control: boolean;
  values: Map<string, string>;
}

/** Parses a simulator's command line; on a mistake prints `usage` and exits 2. */
export function parseSimArgs(name: string, usageText: string, argv: readonly string[], positionals: number, valueOptions: readonly string[] = []): SimArgs & { fail: (problem: string) => never; positiveInt: (what: string, text: string | undefined) => number } {
  const fail = (problem: string): never => {
    process.stderr.write(`${name}: ${problem}\n${usageText}\n`);
    process.exit(2);
  };
  const positiveInt = (what: string, text: string | undefined): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) fail(`${what} must be a positive whole number, got ${JSON.stringify(text)}`);
    return n;
  };
  const args: SimArgs = { positional: [], cluster: 'bench', pace: 'ticks', control: false, values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--control') args.control = true;
    else if (arg === '--cluster') args.cluster = argv[++i] ?? fail('--cluster needs a value');
    else if (arg === '--pace') {
      const value = argv[++i];
      if (value !== 'ticks' && value !== 'clock') fail(`--pace must be ticks or clock, got ${JSON.stringify(value)}`);
      args.pace = value as Pace;
    } else if (valueOptions.includes(arg)) args.values.set(arg, argv[++i] ?? fail(`${arg} needs a value`));
    else if (arg.startsWith('--')) fail(`unknown option ${arg}`);
    else args.positional.push(arg);
  }
  if (args.positional.length !== positionals) fail(`expected ${positionals} arguments, got ${args.positional.length}`);
  return { ...args, fail, positiveInt };
}

function parse(argv: string[]): LeafSimOptions {
  const args = parseSimArgs('leaf-sim', USAGE, argv, 4);
  const [endpoint, count, prefix, interval] = args.positional as [string, string, string, string];
  return { endpoint, count: args.positiveInt('COUNT', count), prefix, intervalMs: args.positiveInt('INTERVAL_MS', interval), cluster: args.cluster, pace: args.pace, control: args.control };
}

/**
 * How many sends are due at each tick for `perIntervalMs` sends every
 * `intervalMs`: a fixed share per tick (ticks), or what the elapsed time
 * says (clock), at most one interval's worth at once.
 */
export function pacer(pace: Pace, perInterval: number, intervalMs: number, tickMs: number): () => number {
  let due = 0;
  let last = Date.now();
  return () => {
    if (pace === 'ticks') due += (perInterval * tickMs) / intervalMs;
    else {
      const now = Date.now();
      due = Math.min(perInterval, due + (perInterval * (now - last)) / intervalMs);
      last = now;
    }
    const n = Math.floor(due);
    due -= n;
    return n;
  };
}

function main(): void {
  const { endpoint, count, prefix, intervalMs, cluster, pace, control } = parse(process.argv.slice(2));
  const Session = relaycastV1().NodeSession;
  const clients = Array.from({ length: Math.ceil(count / LEAVES_PER_CHANNEL) }, (_, i) =>
    // A distinct option per client keeps grpc-js from sharing one connection.
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
  // Each leaf once per interval, in a fixed order.
  const due = pacer(pace, count, intervalMs, TICK_MS);
  let cursor = 0;
  setInterval(() => {
    for (let n = due(); n > 0; n--) {
      const leaf = leaves[cursor]!;
      cursor = (cursor + 1) % count;
      if (leaf.epoch === 0) continue;
      leaf.seq += 1;
      stats.sent += 1;
      leaf.call.write({ liveness: { seq: leaf.seq, leaseEpoch: leaf.epoch } });
    }
  }, TICK_MS);

  if (!control) {
    setInterval(() => process.stdout.write(JSON.stringify({ stats: 'leaf-sim', welcomed, ...stats }) + '\n'), 1000);
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
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

if (require.main === module) main();
