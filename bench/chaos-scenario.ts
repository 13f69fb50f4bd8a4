/**
 * The chaos scenario behind `npm run chaos` (bench/chaos.ts) and
 * test/chaos.e2e.test.ts: a real cluster on loopback — coordinator, relays,
 * nodes attached through the relays, gateway simulator — runs one
 * rate-limited personalised broadcast while faults hit it one after the
 * other: kill -9 and restart of nodes, a node frozen (SIGSTOP) past the
 * down timeout and woken up again, kill -9 of a relay, kill -9 and restart
 * of the coordinator on the same data, and a gateway outage. Which node or
 * relay is hit, the order of the faults and the gaps between them come
 * from a seeded random source, so a run can be repeated.
 *
 * Afterwards it checks the brief's invariants from the outside: every
 * recipient final exactly once (broadcast counts and the gateway's ledger,
 * key by key); the frozen node's old lease made no call after it expired,
 * and the gateway took nothing of it after the node was declared DOWN (see
 * docs/chaos.md for why the gateway has a part in that); and the figures:
 * detection (fault → DOWN seen on a Watch), reassignment (DOWN → orders
 * sent, as the coordinator logs it) and the duplicates the idempotency keys
 * absorbed.
 *
 * Every wait is bounded; ChaosRun.stop() ends every process it started.
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { broadcastsClient, membershipClient, unary } from '../client/client';
import { sampleRecipient, uploadAudience } from '../client/audience-upload';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import { mulberry32, type Random } from '../gateway/core/random';
import type { Logger } from '../platform/log';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import type { GatewayStats__Output } from '../protocol/generated/relaycast/gateway/v1/GatewayStats';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';

export type FaultKind = 'node-kill' | 'node-freeze' | 'relay-kill' | 'coordinator-restart' | 'gateway-outage';

export interface ChaosOptions {
  /** Seeds every choice the scenario makes (victims, fault order, gaps). */
  seed: number;
  audience: number;
  /** How long the broadcast would take without faults: its rate limit is audience / duration. */
  durationMs: number;
  nodes: number;
  relays: number;
  /** kill -9 of a node holding a shard, then a restart with the same id. */
  nodeKills: number;
  /** SIGSTOP of a node holding a shard until it is DOWN and its work handed on, then SIGCONT. */
  nodeFreezes: number;
  /** kill -9 of the relay carrying the most nodes (not restarted); at most relays - 1. */
  relayKills: number;
  /** kill -9 of the coordinator and a restart on the same port and data. */
  coordinatorRestarts: number;
  /** One gateway outage of this length; 0 for none. */
  gatewayOutageMs: number;
  /** Bound on the broadcast, from its creation to COMPLETED. */
  completionTimeoutMs: number;
  /**
   * What the gateway simulator does with a Deliver that arrives after the
   * lease it names expired (by more than the coordinator's margin,
   * down-after − lease-ttl): refuse it, as a fencing gateway does (the
   * default), or only record it — then fenced_violations shows what the
   * nodes alone achieve, including calls a freeze caught between the lease
   * check and the wire.
   */
  gatewayFencing: 'refuse' | 'record';
  log: Logger;
}

export const CHAOS_DEFAULTS: Omit<ChaosOptions, 'seed' | 'log'> = {
  audience: 200_000,
  durationMs: 60_000,
  nodes: 5,
  relays: 2,
  nodeKills: 3,
  nodeFreezes: 1,
  relayKills: 1,
  coordinatorRestarts: 1,
  gatewayOutageMs: 3_000,
  completionTimeoutMs: 240_000,
  gatewayFencing: 'refuse',
};

/**
 * The coordinator's timing, passed explicitly so that the waits below stay
 * right if the defaults change.
 */
const DOWN_AFTER_MS = 2_000;
const SUSPECT_AFTER_MS = 1_000;
const LEASE_TTL_MS = 1_500;
const HEARTBEAT_INTERVAL_MS = 500;
const RESTART_GRACE_MS = 3_000;
const RELAY_GRACE_MS = 3_000;

/** Recipients the simulator reports offline (skipped) and unknown (dead-lettered). */
const UNREACHABLE_SUFFIX = '13';
const PERMANENT_FAILURE_SUFFIX = '977';
/** Some RETRY answers, so the node outboxes are exercised too. */
const RETRY_PER_MILLE = 2;
const TEMPLATE = 'Hello {{name}}, your code is {{code}} ({{recipient.id}}).';
const CLUSTER = 'default';
/** Bound on waiting for a detection, beyond the down timeout itself. */
const DETECT_SLACK_MS = 15_000;
const KEYS_PER_LEDGER_READ = 5_000;

export interface FaultRecord {
  kind: FaultKind;
  target: string;
  /** Since the broadcast was created. */
  atMs: number;
  /** Fault → DOWN event seen on the Watch (node kills and freezes; relays too). */
  detectMs?: number;
  /** Coordinator: kill → serving again. Node kill: kill → registered again (DOWN included). */
  restartMs?: number;
  /** Nodes of a killed relay: kill → attached elsewhere, per node. */
  reattachMs?: number[];
  /** Gateway outage: calls refused meanwhile. */
  outageRejections?: number;
  /** Broadcast progress (final recipients) when the fault started. */
  progressAtStart: number;
  note?: string;
  /** Node freezes: the old lease, checked against the gateway's records at the end. */
  fence?: FrozenLease;
}

export interface FrozenLease {
  nodeKey: string;
  instanceId: string;
  leaseEpoch: number;
  /** When the coordinator declared it DOWN (its event time). */
  downUnixMs: number;
  frozenUnixMs: number;
  wokenUnixMs: number;
}

export interface FenceCheck extends FrozenLease {
  /** The latest lease expiry the old lease announced to the gateway (0: it made no calls). */
  leaseExpiresUnixMs: number;
  /** Lease expiry → DOWN: the safety margin the coordinator left; must be positive. */
  expiryToDownMs: number;
  /** Deliver calls and items the old lease made in all. */
  calls: number;
  attempts: number;
  /** Items of calls the node made after its lease had expired: its self-fencing failed. */
  sentAfterExpiry: number;
  /**
   * Items of calls made in time that reached the gateway after the lease
   * expired: held up between the node's lease check and the wire by the
   * freeze. The simulator refuses them (as a fencing gateway should);
   * counted here to show the window that only the receiver can close.
   */
  arrivedAfterExpiry: number;
  refusedAfterExpiry: number;
  /** Items of the old lease that arrived after the coordinator declared it DOWN, and those of them the gateway accepted. */
  arrivedAfterDown: number;
  acceptedAfterDown: number;
  /**
   * Items the node sent after its lease expired, plus items the gateway
   * accepted after DOWN, when the range could be someone else's: must be 0.
   */
  violations: number;
}

export interface ChaosReport {
  seed: number;
  ok: boolean;
  failures: string[];
  audience: number;
  broadcastId: string;
  state: string;
  broadcastSeconds: number;
  counts: { total: number; delivered: number; skipped: number; deadLettered: number; inFlight: number; pending: number };
  gateway: { uniqueDelivered: number; attempts: number; duplicates: number; retriesReturned: number; outageRejections: number; deliverCalls: number };
  /** audience − skipped − dead-lettered − unique deliveries. */
  lost: number;
  /** Keys of recipients that should have been delivered and are not in the gateway's ledger. */
  missingKeys: number;
  /** Keys in the ledger for recipients that were skipped or dead-lettered. */
  unexpectedKeys: number;
  /** Delivered texts that are not the recipient's rendering of the template. */
  wrongTexts: number;
  fencedViolations: number;
  fenceChecks: FenceCheck[];
  /** Over every lease of the run: items sent after, arrived after, and refused for, the expiry their call named. */
  allLeases: { sentAfterExpiry: number; arrivedAfterExpiry: number; refusedAfterExpiry: number };
  duplicateAttempts: number;
  detectMs: { samples: number[]; p50: number; p99: number; max: number };
  reassignMs: { samples: number[]; p50: number; p99: number; max: number };
  relayDetectMs: number[];
  /** Node DOWN events that no fault explains (a relay kill must cause none). */
  falseDowns: number;
  faults: FaultRecord[];
  faultsSkipped: FaultKind[];
  timing: { clusterStartMs: number; uploadMs: number; totalMs: number };
}

export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

function summary(samples: number[]): { samples: number[]; p50: number; p99: number; max: number } {
  const rounded = samples.map((s) => Math.round(s));
  return { samples: rounded, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: percentile(samples, 1) };
}

/** The run's last line, for scripts and the docs. */
export function summaryLine(r: ChaosReport): string {
  return `chaos: audience=${r.audience} unique=${r.gateway.uniqueDelivered} lost=${r.lost} fenced_violations=${r.fencedViolations} duplicate_attempts=${r.duplicateAttempts} detect_p99_ms=${Math.round(r.detectMs.p99)} reassign_p99_ms=${r.reassignMs.p99}`;
}

/** Both wait helpers resolve on an event and fail after their bound. */
class Changes {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  wait<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const listener = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`chaos: ${what} did not happen within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }
}

interface SeenEvent {
  revision: number;
  type: string;
  nodeKey: string;
  kind: string;
  epoch: number;
  /** Coordinator's wall-clock time of the event. */
  atUnixMs: number;
  /** When this process saw it (performance.now()). */
  seenAtMs: number;
}

/**
 * A server stream that outlives coordinator restarts: on any error or end
 * it is opened again after `retryMs`, from where it left off (the caller's
 * `open` decides what that means).
 */
class Follower<T> {
  private stream: grpc.ClientReadableStream<T> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly open: () => grpc.ClientReadableStream<T>,
    private readonly onData: (item: T) => void,
    /** No reopening once this says the stream has nothing more to tell. */
    private readonly finished: () => boolean = () => false,
    private readonly retryMs = 200,
  ) {
    this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stream?.cancel();
  }

  private connect(): void {
    if (this.closed) return;
    const stream = this.open();
    this.stream = stream;
    stream.on('data', (item: T) => {
      if (stream === this.stream) this.onData(item);
    });
    const again = () => {
      if (stream !== this.stream || this.closed || this.finished()) return;
      this.stream = undefined;
      this.timer = setTimeout(() => this.connect(), this.retryMs);
    };
    stream.on('error', again);
    stream.on('end', again);
  }
}

interface NodeProc {
  id: string;
  proc: ManagedProcess;
  instanceId: string;
}

function json(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the next line (after this call) that passes `test`. */
function nextLine(proc: ManagedProcess, test: (line: string) => boolean, timeoutMs: number, what: string): { line: Promise<string>; cancel: () => void } {
  let off: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const line = new Promise<string>((resolve, reject) => {
    off = proc.onEachLine((l) => {
      if (!test(l)) return;
      off();
      clearTimeout(timer);
      resolve(l);
    });
    timer = setTimeout(() => {
      off();
      reject(new Error(`chaos: ${proc.name}: no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return { line, cancel: () => { off(); clearTimeout(timer); } };
}

export class ChaosRun {
  private readonly cluster = new LocalCluster('relaycast-chaos-');
  private readonly changes = new Changes();
  private readonly random: Random;
  private readonly log: Logger;
  private readonly events: SeenEvent[] = [];
  private lastRevision = 0;
  private readonly followers: Array<Follower<unknown>> = [];
  private readonly clients: grpc.Client[] = [];
  private readonly nodes = new Map<string, NodeProc>();
  private readonly relays: Array<{ id: string; proc: ManagedProcess; address: string; alive: boolean }> = [];
  private readonly reassignMs: number[] = [];
  /** DOWN revisions a fault explains. */
  private readonly explainedDowns = new Set<number>();
  private coordinator!: ManagedProcess;
  private address = '';
  private gateway = '';
  private members!: MembershipClient;
  private broadcasts!: BroadcastsClient;
  private sim!: GatewaySimulatorClient;
  private snapshot: Broadcast__Output | undefined;
  private createdAtMs = 0;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ChaosOptions) {
    if (options.relayKills >= options.relays) throw new Error(`chaos: relayKills (${options.relayKills}) must leave a relay alive (relays: ${options.relays})`);
    if (options.nodes < 2) throw new Error('chaos: at least 2 nodes, so that one survives every fault');
    if (!(options.audience > 0 && options.durationMs > 0)) throw new Error('chaos: audience and durationMs must be positive');
    this.random = mulberry32(options.seed);
    this.log = options.log.child({ seed: options.seed });
  }

  /** Ends every process this run started (frozen ones included) and removes its files. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const f of this.followers) f.close();
      for (const c of this.clients) c.close();
      // A stopped process cannot act on SIGTERM.
      for (const p of this.cluster.running()) p.kill('SIGCONT');
      await this.cluster.stopAll(2_000);
    })();
    return this.stopping;
  }

  async run(): Promise<ChaosReport> {
    try {
      return await this.execute();
    } finally {
      await this.stop();
    }
  }

  private async execute(): Promise<ChaosReport> {
    const o = this.options;
    const runStarted = performance.now();
    this.log.info({ audience: o.audience, durationMs: o.durationMs, nodes: o.nodes, relays: o.relays, dir: this.cluster.dir }, 'chaos: starting the cluster');
    await this.startCluster();
    const clusterStartMs = performance.now() - runStarted;

    const uploadStarted = performance.now();
    const uploadId = await uploadAudience(this.broadcasts, o.audience, sampleRecipient);
    const uploadMs = performance.now() - uploadStarted;
    const rateLimitPerS = Math.max(1, Math.ceil((o.audience * 1000) / o.durationMs));
    // Enough shards that every node has work when a fault hits it.
    const shardSize = Math.max(500, Math.ceil(o.audience / (o.nodes * 4)));
    const created = await unary(this.broadcasts, 'CreateBroadcast', {
      clusterId: CLUSTER, template: TEMPLATE, uploadId, requestId: `chaos-${o.seed}-${uploadId}`,
      options: { shardSize, onlyReachable: true, rateLimitPerS },
    });
    this.createdAtMs = performance.now();
    const broadcastId = created.broadcastId;
    this.log.info({ broadcastId, rateLimitPerS, shardSize }, 'chaos: broadcast created');
    this.followers.push(new Follower(
      () => this.broadcasts.WatchBroadcast({ broadcastId, intervalMs: 250 }),
      (b: Broadcast__Output) => this.onSnapshot(b),
      () => this.terminal(),
    ) as Follower<unknown>);

    const plan = this.plan();
    this.log.info({ plan }, 'chaos: fault plan');
    await this.changes.wait(() => (this.progress() >= Math.min(o.audience * 0.03, 2_000) || undefined), 'first progress', 60_000);
    const faults: FaultRecord[] = [];
    const skipped: FaultKind[] = [];
    const gapMs = Math.max(500, (o.durationMs * 0.6) / Math.max(1, plan.length) - 3_000);
    const faultErrors: string[] = [];
    for (const kind of plan) {
      if (this.terminal()) {
        skipped.push(kind);
        continue;
      }
      // A fault whose effect does not show (no DOWN, no re-attach) is a
      // finding, not a reason to stop: the run goes on and reports it.
      const startedMs = this.sinceCreatedMs();
      const progressAtStart = this.progress();
      faults.push(await this.inject(kind).catch((err: Error) => {
        faultErrors.push(`${kind}: ${err.message.split('\n')[0]}`);
        this.log.error({ err: err.message }, `chaos: ${kind} failed`);
        return { kind, target: '?', atMs: startedMs, progressAtStart, note: `failed: ${err.message.split('\n')[0]}` };
      }));
      await sleep(Math.round(gapMs * (0.5 + this.random())));
    }

    const completeBy = this.createdAtMs + o.completionTimeoutMs;
    const final = await this.changes.wait(() => (this.terminal() ? this.snapshot : undefined), 'broadcast completion', Math.max(1, completeBy - performance.now()))
      .catch((err: Error) => {
        this.log.error({ err: err.message, last: this.snapshot?.counts }, 'chaos: broadcast did not finish in time');
        return this.snapshot;
      });
    const broadcastSeconds = (performance.now() - this.createdAtMs) / 1000;
    // The stream's last snapshot can be a beat behind; ask once more.
    const b = (await unary(this.broadcasts, 'GetBroadcast', { broadcastId }).catch(() => undefined)) ?? final;
    return this.verify(b, broadcastId, faults, skipped, faultErrors, { clusterStartMs, uploadMs, broadcastSeconds, runStarted });
  }

  // ----------------------------------------------------------- the cluster

  private async startCluster(): Promise<void> {
    const o = this.options;
    const quiet = ['--log-level', 'warn'];
    const coordinatorFlags = [
      '--down-after-ms', String(DOWN_AFTER_MS), '--suspect-after-ms', String(SUSPECT_AFTER_MS), '--lease-ttl-ms', String(LEASE_TTL_MS),
      '--heartbeat-interval-ms', String(HEARTBEAT_INTERVAL_MS), '--restart-grace-ms', String(RESTART_GRACE_MS), '--relay-grace-ms', String(RELAY_GRACE_MS),
      // info: the coordinator logs every takeover with its DOWN → orders latency.
      '--log-level', 'info',
    ];
    const started = await this.cluster.startCoordinator(coordinatorFlags, 'coordinator', `${this.cluster.dir}/coordinator`);
    this.coordinator = started.proc;
    this.address = started.address;
    this.collectReassignments(this.coordinator);
    const gw = this.cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', '--unreachable-suffixes', UNREACHABLE_SUFFIX,
      '--permanent-failure-suffixes', PERMANENT_FAILURE_SUFFIX, '--retry-per-mille', String(RETRY_PER_MILLE), '--seed', String(o.seed >>> 0), '--expired-lease-calls', o.gatewayFencing,
      // Lateness up to the coordinator's margin cannot meet a new owner; refusing it would only slow a busy node.
      '--expired-lease-grace-ms', String(DOWN_AFTER_MS - LEASE_TTL_MS), ...quiet]);
    this.gateway = (await gw.ready()).address;

    this.members = membershipClient(this.address);
    this.broadcasts = broadcastsClient(this.address);
    this.sim = gatewaySimulatorClient(this.gateway);
    this.clients.push(this.members, this.broadcasts, this.sim);
    this.followers.push(new Follower(
      () => this.members.Watch({ clusterId: CLUSTER, afterRevision: this.lastRevision }),
      (e: WatchEvent__Output) => this.onEvent(e),
    ) as Follower<unknown>);

    const relays = await Promise.all(Array.from({ length: o.relays }, (_, i) => this.cluster.startRelay(`relay-${i + 1}`, this.address, quiet)));
    relays.forEach((r, i) => this.relays.push({ id: `relay-${i + 1}`, proc: r.proc, address: r.address, alive: true }));
    const ids = Array.from({ length: o.nodes }, (_, i) => `node-${i + 1}`);
    await Promise.all(ids.map((id) => this.startNode(id)));
    await this.changes.wait(() => (ids.every((id) => this.events.some((e) => e.type === 'REGISTERED' && e.nodeKey === `${CLUSTER}/${id}`)) || undefined), `${o.nodes} nodes registered`, 30_000);
  }

  private async startNode(id: string): Promise<NodeProc> {
    const index = Number(id.replace(/^\D+/, '')) - 1;
    // Spread the nodes over the relays; each falls back to the others, then to the coordinator.
    const addresses = this.relays.map((r) => r.address);
    const shift = addresses.length === 0 ? 0 : index % addresses.length;
    const preferred = [...addresses.slice(shift), ...addresses.slice(0, shift)];
    const proc = await this.cluster.startNode(id, { relays: preferred, coordinator: this.address }, ['--gateway', this.gateway, '--log-level', 'info']);
    const started = json(await proc.waitForLine((l) => l.includes('"msg":"node started"'), 10_000, 'node started line'));
    const node = { id, proc, instanceId: String(started?.instanceId ?? '') };
    this.nodes.set(id, node);
    return node;
  }

  private collectReassignments(proc: ManagedProcess): void {
    proc.onEachLine((line) => {
      if (!line.includes('remainder of a DOWN node handed on')) return;
      const ms = json(line)?.reassignMs;
      if (typeof ms === 'number') this.reassignMs.push(ms);
    });
  }

  private onEvent(e: WatchEvent__Output): void {
    if (e.revision <= this.lastRevision) return;
    this.lastRevision = e.revision;
    this.events.push({
      revision: e.revision, type: e.type.replace('EVENT_TYPE_', ''), nodeKey: e.node?.nodeKey ?? '', kind: e.node?.kind ?? '',
      epoch: e.node?.leaseEpoch ?? 0, atUnixMs: e.atUnixMs, seenAtMs: performance.now(),
    });
    this.changes.notify();
  }

  private onSnapshot(b: Broadcast__Output): void {
    const before = this.progress();
    this.snapshot = b;
    const after = this.progress();
    // About every 10 %, so the log shows the broadcast moving through the faults.
    const step = Math.max(1, Math.floor(this.options.audience / 10));
    if (Math.floor(after / step) > Math.floor(before / step)) this.log.info({ state: b.state, ...b.counts }, 'chaos: progress');
    this.changes.notify();
  }

  private progress(): number {
    const c = this.snapshot?.counts;
    return c === undefined || c === null ? 0 : c.delivered + c.skippedUnreachable + c.deadLettered;
  }

  private terminal(): boolean {
    const s = this.snapshot?.state;
    return s === 'BROADCAST_STATE_COMPLETED' || s === 'BROADCAST_STATE_CANCELLED' || s === 'BROADCAST_STATE_FAILED';
  }

  private waitEvent(type: string, nodeKey: string, afterRevision: number, timeoutMs: number): Promise<SeenEvent> {
    return this.changes.wait(() => this.events.find((e) => e.type === type && e.nodeKey === nodeKey && e.revision > afterRevision), `${type} of ${nodeKey}`, timeoutMs);
  }

  // ---------------------------------------------------------------- faults

  /** The faults in a seeded order. */
  private plan(): FaultKind[] {
    const o = this.options;
    const kinds: FaultKind[] = [
      ...Array<FaultKind>(o.nodeKills).fill('node-kill'),
      ...Array<FaultKind>(o.nodeFreezes).fill('node-freeze'),
      ...Array<FaultKind>(o.relayKills).fill('relay-kill'),
      ...Array<FaultKind>(o.coordinatorRestarts).fill('coordinator-restart'),
      ...(o.gatewayOutageMs > 0 ? ['gateway-outage' as const] : []),
    ];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    return kinds;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /**
   * A seeded pick among the nodes that hold a shard right now: hitting an
   * idle node (one restarted after every shard was handed out) would test
   * nothing. Which nodes hold shards depends on timing, so the same seed
   * picks the same node as long as the same nodes are busy — the usual case.
   */
  private async pickWorkingNode(): Promise<string> {
    const all = [...this.nodes.keys()].sort();
    const b = await unary(this.broadcasts, 'GetBroadcast', { broadcastId: this.snapshot?.broadcastId ?? '', includeShards: true }).catch(() => undefined);
    const owners = new Set((b?.shards ?? []).filter((sh) => sh.state === 'SHARD_STATE_ASSIGNED').map((sh) => sh.ownerNodeKey));
    const working = all.filter((id) => owners.has(`${CLUSTER}/${id}`));
    return this.pick(working.length > 0 ? working : all);
  }

  /**
   * The live relay carrying the most nodes (a seeded pick among equals):
   * after a coordinator restart the nodes may all have moved to one relay,
   * and killing the other would test nothing.
   */
  private async pickBusyRelay(): Promise<{ id: string; proc: ManagedProcess; address: string; alive: boolean }> {
    const listed = await unary(this.members, 'ListNodes', { clusterId: CLUSTER, kind: 'MEMBER_KIND_NODE' });
    const alive = this.relays.filter((r) => r.alive);
    const carried = (id: string) => listed.nodes.filter((n) => n.relayId === id && n.state === 'NODE_STATE_ALIVE').length;
    const most = Math.max(...alive.map((r) => carried(r.id)));
    return this.pick(alive.filter((r) => carried(r.id) === most));
  }

  private sinceCreatedMs(): number {
    return Math.round(performance.now() - this.createdAtMs);
  }

  private async inject(kind: FaultKind): Promise<FaultRecord> {
    const base = { kind, atMs: this.sinceCreatedMs(), progressAtStart: this.progress() };
    let record: FaultRecord;
    switch (kind) {
      case 'node-kill':
        record = { ...base, ...(await this.killNode(await this.pickWorkingNode())) };
        break;
      case 'node-freeze':
        record = { ...base, ...(await this.freezeNode(await this.pickWorkingNode())) };
        break;
      case 'relay-kill':
        record = { ...base, ...(await this.killRelay(await this.pickBusyRelay())) };
        break;
      case 'coordinator-restart':
        record = { ...base, ...(await this.restartCoordinator()) };
        break;
      case 'gateway-outage':
        record = { ...base, ...(await this.gatewayOutage(this.options.gatewayOutageMs)) };
        break;
    }
    this.log.info({ fault: record }, `chaos: ${kind} done`);
    return record;
  }

  private async killNode(id: string): Promise<Omit<FaultRecord, 'kind' | 'atMs' | 'progressAtStart'>> {
    const node = this.nodes.get(id)!;
    const key = `${CLUSTER}/${id}`;
    const revision = this.lastRevision;
    this.log.info({ nodeKey: key, pid: node.proc.pid }, 'chaos: kill -9 node');
    const killedAt = performance.now();
    node.proc.kill('SIGKILL');
    await node.proc.exit();
    const down = await this.waitEvent('DOWN', key, revision, DOWN_AFTER_MS + DETECT_SLACK_MS);
    this.explainedDowns.add(down.revision);
    const detectMs = down.seenAtMs - killedAt;
    await this.startNode(id);
    await this.waitEvent('REGISTERED', key, down.revision, 20_000);
    return { target: key, detectMs, restartMs: performance.now() - killedAt };
  }

  private async freezeNode(id: string): Promise<Omit<FaultRecord, 'kind' | 'atMs' | 'progressAtStart'>> {
    const node = this.nodes.get(id)!;
    const key = `${CLUSTER}/${id}`;
    const revision = this.lastRevision;
    this.log.info({ nodeKey: key, pid: node.proc.pid }, 'chaos: SIGSTOP node');
    // Listen before the freeze: the takeover is logged while the node sleeps.
    const handedOn = nextLine(this.coordinator, (l) => l.includes('remainder of a DOWN node handed on') && l.includes(`"nodeKey":"${key}"`), DOWN_AFTER_MS + DETECT_SLACK_MS, 'takeover line');
    handedOn.line.catch(() => undefined);
    const frozenAt = performance.now();
    const frozenUnixMs = Date.now();
    node.proc.kill('SIGSTOP');
    let down: SeenEvent;
    try {
      down = await this.waitEvent('DOWN', key, revision, DOWN_AFTER_MS + DETECT_SLACK_MS);
    } catch (err) {
      handedOn.cancel();
      throw err;
    }
    this.explainedDowns.add(down.revision);
    const detectMs = down.seenAtMs - frozenAt;
    // Stay asleep until the remainder is handed on, so that the node wakes
    // while the new owners deliver its ranges: the moment fencing is for.
    // A node that held no shard at the freeze has nothing to hand on.
    let note: string | undefined;
    await Promise.race([handedOn.line, sleep(1_000).then(() => {
      note = 'held no shard when frozen (no takeover logged within 1 s of DOWN)';
    })]).catch(() => undefined);
    handedOn.cancel();
    const fenced = nextLine(node.proc, (l) => l.includes('"msg":"fenced: lease not valid, delivery stopped"'), 10_000, 'fenced line');
    const wokenUnixMs = Date.now();
    node.proc.kill('SIGCONT');
    this.log.info({ nodeKey: key, frozenMs: Math.round(performance.now() - frozenAt) }, 'chaos: SIGCONT node');
    await fenced.line;
    await this.waitEvent('REGISTERED', key, down.revision, 20_000);
    return {
      target: key, detectMs, note,
      fence: { nodeKey: key, instanceId: node.instanceId, leaseEpoch: down.epoch, downUnixMs: down.atUnixMs, frozenUnixMs, wokenUnixMs },
    };
  }

  private async killRelay(relay: { id: string; proc: ManagedProcess; address: string; alive: boolean }): Promise<Omit<FaultRecord, 'kind' | 'atMs' | 'progressAtStart'>> {
    const key = `${CLUSTER}/${relay.id}`;
    const listed = await unary(this.members, 'ListNodes', { clusterId: CLUSTER, kind: 'MEMBER_KIND_NODE' });
    const carried = listed.nodes.filter((n) => n.relayId === relay.id && n.state === 'NODE_STATE_ALIVE').map((n) => n.nodeId);
    const moved = carried.flatMap((id) => {
      const node = this.nodes.get(id);
      return node === undefined ? [] : [nextLine(node.proc, (l) => l.includes('"msg":"attached via') && !l.includes(relay.address), 20_000, 'attach elsewhere')];
    });
    const revision = this.lastRevision;
    this.log.info({ relay: key, carried }, 'chaos: kill -9 relay');
    const killedAt = performance.now();
    relay.proc.kill('SIGKILL');
    relay.alive = false;
    await relay.proc.exit();
    const reattachMs = await Promise.all(moved.map(async (m) => {
      await m.line;
      return Math.round(performance.now() - killedAt);
    }));
    const down = await this.waitEvent('DOWN', key, revision, DOWN_AFTER_MS + DETECT_SLACK_MS);
    return { target: key, detectMs: down.seenAtMs - killedAt, reattachMs, note: carried.length === 0 ? 'carried no node when killed' : `carried ${carried.join(', ')}` };
  }

  private async restartCoordinator(): Promise<Omit<FaultRecord, 'kind' | 'atMs' | 'progressAtStart'>> {
    const port = this.address.split(':').pop()!;
    this.log.info({ pid: this.coordinator.pid }, 'chaos: kill -9 coordinator');
    const killedAt = performance.now();
    this.coordinator.kill('SIGKILL');
    await this.coordinator.exit();
    const started = await this.cluster.startCoordinator(['--listen', `127.0.0.1:${port}`, '--down-after-ms', String(DOWN_AFTER_MS), '--suspect-after-ms', String(SUSPECT_AFTER_MS),
      '--lease-ttl-ms', String(LEASE_TTL_MS), '--heartbeat-interval-ms', String(HEARTBEAT_INTERVAL_MS), '--restart-grace-ms', String(RESTART_GRACE_MS),
      '--relay-grace-ms', String(RELAY_GRACE_MS), '--log-level', 'info'], 'coordinator (restarted)', `${this.cluster.dir}/coordinator`);
    this.coordinator = started.proc;
    this.collectReassignments(this.coordinator);
    const restartMs = performance.now() - killedAt;
    // Nothing can be declared DOWN during the restart grace: a fault in it
    // would measure the grace, not detection. Wait it out.
    await sleep(RESTART_GRACE_MS);
    return { target: 'coordinator', restartMs };
  }

  private async gatewayOutage(ms: number): Promise<Omit<FaultRecord, 'kind' | 'atMs' | 'progressAtStart'>> {
    const before = await unary(this.sim, 'GetStats', {});
    this.log.info({ outageMs: ms }, 'chaos: gateway outage');
    await unary(this.sim, 'Configure', { outage: true, outageForMs: ms });
    // The simulator ends the outage by itself; this is its length, not a guess.
    await sleep(ms);
    const after = await unary(this.sim, 'GetStats', {});
    return { target: 'gateway', outageRejections: after.outageRejections - before.outageRejections };
  }

  // ---------------------------------------------------------------- checks

  private async verify(
    b: Broadcast__Output | undefined,
    broadcastId: string,
    faults: FaultRecord[],
    faultsSkipped: FaultKind[],
    faultErrors: string[],
    t: { clusterStartMs: number; uploadMs: number; broadcastSeconds: number; runStarted: number },
  ): Promise<ChaosReport> {
    const o = this.options;
    const failures: string[] = faultErrors.map((e) => `fault ${e}`);
    const c = b?.counts ?? { total: 0, delivered: 0, skippedUnreachable: 0, deadLettered: 0, inFlight: 0, pending: 0 };
    const counts = { total: c.total, delivered: c.delivered, skipped: c.skippedUnreachable, deadLettered: c.deadLettered, inFlight: c.inFlight, pending: c.pending };
    const state = b?.state ?? 'unknown';
    if (state !== 'BROADCAST_STATE_COMPLETED') failures.push(`broadcast ${state}, not COMPLETED within ${o.completionTimeoutMs} ms`);
    if (counts.total !== o.audience) failures.push(`broadcast total ${counts.total} != audience ${o.audience}`);
    if (counts.delivered + counts.skipped + counts.deadLettered + counts.inFlight + counts.pending !== counts.total) failures.push('broadcast counts do not add up to the total');

    const stats: GatewayStats__Output = await unary(this.sim, 'GetStats', {});
    const lost = o.audience - counts.skipped - counts.deadLettered - stats.uniqueDelivered;
    if (lost !== 0) failures.push(`lost=${lost}: audience ${o.audience} - skipped ${counts.skipped} - dead-lettered ${counts.deadLettered} != ${stats.uniqueDelivered} unique deliveries`);
    if (stats.uniqueDelivered !== counts.delivered) failures.push(`gateway has ${stats.uniqueDelivered} unique deliveries, the coordinator counted ${counts.delivered}`);

    const keys = await this.checkKeys(broadcastId);
    if (keys.missing > 0) failures.push(`${keys.missing} recipients that should have been delivered are not in the gateway's ledger`);
    if (keys.unexpected > 0) failures.push(`${keys.unexpected} skipped or dead-lettered recipients are in the gateway's ledger`);
    if (keys.wrongTexts > 0) failures.push(`${keys.wrongTexts} delivered texts are not the recipient's rendering`);

    const fenceChecks = await this.checkFences(faults);
    const fencedViolations = fenceChecks.reduce((n, f) => n + f.violations, 0);
    if (fencedViolations > 0) failures.push(`fenced_violations=${fencedViolations}: a frozen node's old lease delivered after it expired`);
    for (const f of fenceChecks) if (f.attempts > 0 && f.expiryToDownMs <= 0) failures.push(`${f.nodeKey} epoch ${f.leaseEpoch}: DOWN at ${f.downUnixMs} before its lease expired at ${f.leaseExpiresUnixMs}`);
    const all = await unary(this.sim, 'ListSenders', { nodeKey: '', receivedAfterUnixMs: 0 });
    const allLeases = {
      sentAfterExpiry: all.senders.reduce((n, s) => n + s.attemptsSentAfterLeaseExpiry, 0),
      arrivedAfterExpiry: all.senders.reduce((n, s) => n + s.attemptsArrivedAfterLeaseExpiry, 0),
      refusedAfterExpiry: all.senders.reduce((n, s) => n + s.attemptsRefusedLeaseExpired, 0),
    };

    const nodeDowns = this.events.filter((e) => e.type === 'DOWN' && e.kind === 'MEMBER_KIND_NODE');
    const falseDowns = nodeDowns.filter((e) => !this.explainedDowns.has(e.revision)).length;
    const measured = faults.filter((f) => f.detectMs !== undefined);
    const detect = measured.filter((f) => f.kind === 'node-kill' || f.kind === 'node-freeze').map((f) => f.detectMs!);
    const relayDetectMs = measured.filter((f) => f.kind === 'relay-kill').map((f) => Math.round(f.detectMs!));
    if (faultsSkipped.length > 0) failures.push(`faults not run because the broadcast had ended: ${faultsSkipped.join(', ')}`);

    const report: ChaosReport = {
      seed: o.seed,
      ok: failures.length === 0,
      failures,
      audience: o.audience,
      broadcastId,
      state,
      broadcastSeconds: Math.round(t.broadcastSeconds * 10) / 10,
      counts,
      gateway: { uniqueDelivered: stats.uniqueDelivered, attempts: stats.attempts, duplicates: stats.duplicates, retriesReturned: stats.retriesReturned, outageRejections: stats.outageRejections, deliverCalls: stats.deliverCalls },
      lost,
      missingKeys: keys.missing,
      unexpectedKeys: keys.unexpected,
      wrongTexts: keys.wrongTexts,
      fencedViolations,
      fenceChecks,
      allLeases,
      duplicateAttempts: stats.duplicates,
      detectMs: summary(detect),
      reassignMs: summary(this.reassignMs),
      relayDetectMs,
      falseDowns,
      faults: faults.map((f) => ({ ...f, detectMs: f.detectMs === undefined ? undefined : Math.round(f.detectMs), restartMs: f.restartMs === undefined ? undefined : Math.round(f.restartMs) })),
      faultsSkipped,
      timing: { clusterStartMs: Math.round(t.clusterStartMs), uploadMs: Math.round(t.uploadMs), totalMs: Math.round(performance.now() - t.runStarted) },
    };
    return report;
  }

  /** Every key of the broadcast, against what the simulator's rules say it should be. */
  private async checkKeys(broadcastId: string): Promise<{ missing: number; unexpected: number; wrongTexts: number }> {
    const dead = new Set<number>();
    let pageToken = '';
    for (let page = 0; page < 10_000; page++) {
      const res = await unary(this.broadcasts, 'ListDeadLetters', { broadcastId, pageSize: 1000, pageToken });
      for (const d of res.deadLetters) dead.add(d.sequence);
      pageToken = res.nextPageToken;
      if (pageToken === '') break;
    }
    let missing = 0;
    let unexpected = 0;
    let wrongTexts = 0;
    for (let from = 0; from < this.options.audience; from += KEYS_PER_LEDGER_READ) {
      const n = Math.min(KEYS_PER_LEDGER_READ, this.options.audience - from);
      const keys = Array.from({ length: n }, (_, i) => `${broadcastId}/${from + i}`);
      const { texts } = await unary(this.sim, 'GetDelivered', { idempotencyKeys: keys });
      texts.forEach((text, i) => {
        const seq = from + i;
        const r = sampleRecipient(seq);
        const deliverable = !r.id!.endsWith(UNREACHABLE_SUFFIX) && !dead.has(seq);
        if (deliverable && text === '') missing++;
        if (!deliverable && text !== '') unexpected++;
        if (text !== '' && text !== render(r)) wrongTexts++;
      });
    }
    return { missing, unexpected, wrongTexts };
  }

  /** For each frozen node: what its old lease sent, and when it arrived. */
  private async checkFences(faults: FaultRecord[]): Promise<FenceCheck[]> {
    const out: FenceCheck[] = [];
    for (const f of faults) {
      if (f.fence === undefined) continue;
      const fence = f.fence;
      const mine = (s: { instanceId: string; leaseEpoch: number }) => s.instanceId === fence.instanceId && s.leaseEpoch === fence.leaseEpoch;
      const s = (await unary(this.sim, 'ListSenders', { nodeKey: fence.nodeKey, receivedAfterUnixMs: fence.downUnixMs })).senders.find(mine);
      if (s === undefined) {
        out.push({ ...fence, leaseExpiresUnixMs: 0, expiryToDownMs: 0, calls: 0, attempts: 0, sentAfterExpiry: 0, arrivedAfterExpiry: 0, refusedAfterExpiry: 0, arrivedAfterDown: 0, acceptedAfterDown: 0, violations: 0 });
        continue;
      }
      out.push({
        ...fence,
        leaseExpiresUnixMs: s.leaseExpiresUnixMs,
        expiryToDownMs: fence.downUnixMs - s.leaseExpiresUnixMs,
        calls: s.deliverCalls,
        attempts: s.attempts,
        sentAfterExpiry: s.attemptsSentAfterLeaseExpiry,
        arrivedAfterExpiry: s.attemptsArrivedAfterLeaseExpiry,
        refusedAfterExpiry: s.attemptsRefusedLeaseExpired,
        arrivedAfterDown: s.attemptsReceivedAfter,
        acceptedAfterDown: s.attemptsAcceptedAfter,
        // An item both sent late and accepted after DOWN counts twice: the
        // figure must be 0 either way, and each reason is a separate fault.
        violations: s.attemptsSentAfterLeaseExpiry + s.attemptsAcceptedAfter,
      });
    }
    return out;
  }
}

function render(r: ReturnType<typeof sampleRecipient>): string {
  const vars = new Map((r.vars ?? []).map((v) => [v.key!, v.value!]));
  return `Hello ${vars.get('name')}, your code is ${vars.get('code')} (${r.id}).`;
}

/** Runs the scenario once and stops everything it started. */
export function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  return new ChaosRun(options).run();
}
