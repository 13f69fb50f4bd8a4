/** Shared helpers for the multi-process tests. */
import { credentials, status, type ClientDuplexStream, type ClientReadableStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { ManagedProcess } from '../testing/local-cluster';
import { adminClient, membershipClient, unary } from '../client/client';
import { relaycastV1 } from '../protocol/proto';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import type { MembershipClient } from '../protocol/generated/relaycast/v1/Membership';
import type { NodeSessionClient } from '../protocol/generated/relaycast/v1/NodeSession';
import type { NodeMessage } from '../protocol/generated/relaycast/v1/NodeMessage';
import type { SessionMessage__Output } from '../protocol/generated/relaycast/v1/SessionMessage';
import type { ShardOrder__Output } from '../protocol/generated/relaycast/v1/ShardOrder';
import type { ShardProgress } from '../protocol/generated/relaycast/v1/ShardProgress';
import { healthStatus, scrape } from './probes';

/** Waits, with a bound, until a condition holds; notify() re-checks every waiter. */
class Waiters {
  private readonly listeners = new Set<() => void>();

  waitFor(test: () => boolean, timeoutMs: number, explain: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (test()) return resolve();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(explain()));
      }, timeoutMs);
      const listener = () => {
        if (!test()) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      this.listeners.add(listener);
    });
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Collects a Watch stream's events and waits on them with a bound. */
export class EventLog {
  readonly events: WatchEvent__Output[] = [];
  error: Error | undefined;
  private readonly waiters = new Waiters();
  readonly stream: ClientReadableStream<WatchEvent__Output>;

  constructor(client: MembershipClient, request: { clusterId: string; afterRevision?: number }) {
    this.stream = client.Watch(request);
    this.stream.on('data', (event: WatchEvent__Output) => {
      this.events.push(event);
      this.notify();
    });
    this.stream.on('error', (err: Error) => {
      this.error = err;
      this.notify();
    });
  }

  of(type: string, nodeKey?: string): WatchEvent__Output[] {
    return this.events.filter((e) => e.type === `EVENT_TYPE_${type}` && (nodeKey === undefined || e.node?.nodeKey === nodeKey));
  }

  nodeEvents(type: string): WatchEvent__Output[] {
    return this.of(type).filter((e) => e.node?.kind === 'MEMBER_KIND_NODE');
  }

  waitFor(test: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return this.waiters.waitFor(test, timeoutMs, () => `timed out after ${timeoutMs} ms waiting for ${what}; saw: ${this.events.map((e) => `${e.revision}:${e.type}:${e.node?.nodeKey}`).join(' ')}`);
  }

  close(): void {
    this.stream.cancel();
  }

  private notify(): void {
    this.waiters.notify();
  }
}

/** Polls `check` until it returns true, at most `timeoutMs`. For state that has no event stream. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** An observation window: resolves after `ms`. Used only to assert that something does NOT happen. */
export function observe(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last lines a process printed, for an assertion message. */
export function lastOutput(proc: ManagedProcess, lines = 20): string {
  return `${proc.name} (pid ${proc.pid}) last output:\n${proc.lines.slice(-lines).join('\n')}`;
}

/** A process a test hit, with the ports it serves. */
export interface Served {
  proc: ManagedProcess;
  /** gRPC port: grpc.health.v1 must answer SERVING. */
  grpcAddress?: string;
  /** /metrics port: a scrape must return samples. */
  metricsAddress?: string;
}

const SERVING_CALL_MS = 10_000;

/**
 * What is wrong with `targets` (an empty list when nothing is): each process
 * still running, its gRPC health SERVING, its metrics scraped, and the
 * coordinator at `coordinatorAddress` answering ListNodes and GetStatus.
 * Every call is bounded; a failed one becomes a line of the list, so that
 * `expect(await servingProblems(...)).toEqual([])` names all of them.
 */
export async function servingProblems(targets: readonly Served[], coordinatorAddress: string): Promise<string[]> {
  const problems: string[] = [];
  for (const { proc, grpcAddress, metricsAddress } of targets) {
    if (proc.exited) {
      problems.push(`${proc.name} exited (code ${proc.child.exitCode}, signal ${proc.child.signalCode}); ${lastOutput(proc)}`);
      continue;
    }
    if (grpcAddress !== undefined) {
      const health = await healthStatus(grpcAddress, SERVING_CALL_MS).catch((err: Error) => `health check failed: ${err.message}`);
      if (health !== 'SERVING') problems.push(`${proc.name} ${grpcAddress}: health ${health}`);
    }
    if (metricsAddress !== undefined) {
      const samples = await scrape(metricsAddress).catch((err: Error) => err);
      if (samples instanceof Error) problems.push(`${proc.name} ${metricsAddress}: metrics scrape failed: ${samples.message}`);
      else if (samples.length === 0) problems.push(`${proc.name} ${metricsAddress}: metrics scrape returned no samples`);
    }
  }
  const membership = membershipClient(coordinatorAddress);
  const admin = adminClient(coordinatorAddress);
  try {
    await unary(membership, 'ListNodes', { clusterId: 'default' }, SERVING_CALL_MS).catch((err: Error) => problems.push(`coordinator ${coordinatorAddress}: ListNodes failed: ${err.message}`));
    await unary(admin, 'GetStatus', {}, SERVING_CALL_MS).catch((err: Error) => problems.push(`coordinator ${coordinatorAddress}: GetStatus failed: ${err.message}`));
  } finally {
    membership.close();
    admin.close();
  }
  return problems;
}

/**
 * A node session spoken by hand (NodeSession.Session with the generated
 * types), for tests that must send what a real node never would: it attaches,
 * collects the orders it is sent, sends liveness carrying whatever progress
 * the test sets, and can vanish without a word.
 */
export class RawNodeSession {
  readonly orders: ShardOrder__Output[] = [];
  /** The progress every liveness packet carries; the test sets it. */
  progress: ShardProgress[] = [];
  welcome: { leaseEpoch: number; heartbeatIntervalMs: number } | undefined;
  /** The highest seq the coordinator renewed the lease for. */
  renewedSeq = 0;
  lost: string | undefined;
  /** How the stream ended, once it has. */
  ended: { code: number; details: string } | undefined;
  private readonly client: NodeSessionClient;
  private readonly call: ClientDuplexStream<NodeMessage, SessionMessage__Output>;
  private readonly waiters = new Waiters();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private vanished = false;

  constructor(address: string, readonly register: { clusterId: string; nodeId: string; instanceId: string; capacityWeight?: number }) {
    this.client = new (relaycastV1().NodeSession)(address, credentials.createInsecure());
    this.call = this.client.Session();
    this.call.on('data', (message: SessionMessage__Output) => {
      if (message.msg === 'welcome' && message.welcome?.registration) {
        const r = message.welcome.registration;
        this.welcome = { leaseEpoch: r.leaseEpoch, heartbeatIntervalMs: r.heartbeatIntervalMs };
      } else if (message.msg === 'order' && message.order) {
        this.orders.push(message.order);
      } else if (message.msg === 'renewed' && message.renewed) {
        this.renewedSeq = Math.max(this.renewedSeq, message.renewed.seq);
      } else if (message.msg === 'lost' && message.lost) {
        this.lost = message.lost.reason;
      }
      this.notify();
    });
    const ended = (code: number, details: string) => {
      this.ended ??= { code, details };
      this.stopLiveness();
      this.notify();
    };
    this.call.on('error', (err: ServiceError) => ended(err.code ?? status.UNKNOWN, err.details ?? err.message));
    this.call.on('status', (s: StatusObject) => ended(s.code, s.details));
  }

  /** Sends the attach and waits for the welcome; then sends liveness every heartbeat interval until stopped. */
  async attach(timeoutMs: number): Promise<{ leaseEpoch: number; heartbeatIntervalMs: number }> {
    const { clusterId, nodeId, instanceId, capacityWeight = 1 } = this.register;
    this.call.write({ attach: { register: { clusterId, nodeId, instanceId, address: '', labels: [], capacityWeight }, leaseEpoch: 0 } });
    await this.waitFor(() => this.welcome !== undefined, `welcome for ${nodeId}`, timeoutMs);
    const welcome = this.welcome!;
    this.timer = setInterval(() => this.liveness(), welcome.heartbeatIntervalMs);
    return welcome;
  }

  /** Sends one liveness packet with the current progress; returns its seq. */
  liveness(): number {
    this.seq += 1;
    if (this.ended === undefined) this.call.write({ liveness: { seq: this.seq, leaseEpoch: this.welcome?.leaseEpoch ?? 0, progress: this.progress } });
    return this.seq;
  }

  /** Sends liveness now and waits until the coordinator renewed it or ended the session. */
  async livenessAnswered(timeoutMs: number): Promise<void> {
    const seq = this.liveness();
    await this.waitFor(() => this.renewedSeq >= seq || this.ended !== undefined, `an answer to liveness ${seq}`, timeoutMs);
  }

  waitFor(test: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return this.waiters.waitFor(test, timeoutMs, () => `${this.register.nodeId}: timed out after ${timeoutMs} ms waiting for ${what} (ended: ${JSON.stringify(this.ended)}, orders: ${this.orders.length})`);
  }

  /** Disappears as a crashed node does: no more liveness, the stream cut without a leave. */
  vanish(): void {
    if (this.vanished) return;
    this.vanished = true;
    this.stopLiveness();
    this.call.on('error', () => undefined);
    this.call.cancel();
    this.client.close();
  }

  private stopLiveness(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private notify(): void {
    this.waiters.notify();
  }
}
