/**
 * A push worker in the simulator: the real AgentCore (sessions, leases,
 * self-fencing, failover) and ShardTracker (watermarks), with a worker that
 * follows node/worker.ts — read pages from the coordinator, deliver in
 * batches only while the lease is valid, keep what the gateway could not
 * take and retry it when the gateway is back, report progress on liveness,
 * stop on revoke, report where it stopped.
 */
import { AgentCore, type AgentConfig } from '../../node/core/agent';
import { ShardTracker } from '../../node/core/shard-tracker';
import { TokenBucket } from '../../node/core/rate-limiter';
import { backoffDelayMs } from '../../shared/backoff';
import type { ShardProgress__Output } from '../../shared/generated/relaycast/v1/ShardProgress';
import type { SimCoordinator } from './coordinator';
import type { SimGateway } from './gateway';
import type { GatewayItem, GatewayReply, NodeUp, ReadReply, ReadRequest, SessionDown } from './messages';
import type { Observer } from './observer';
import type { SimRelay } from './relay';
import { Proc, type Conn, type World } from './world';

export interface SimNodeConfig {
  agent: Omit<AgentConfig, 'endpoints'>;
  pageSize: number;
  batchSize: number;
  batchesInFlightMax: number;
  deliveryAttemptsMax: number;
  callTimeoutMs: number;
  gatewayRetryMinMs: number;
  gatewayRetryMaxMs: number;
  capacityWeight: number;
}

/** Reports kept after a shard ends or stops (the coordinator may miss a packet). */
const FINAL_REPORTS = 5;
/** How often a fenced run checks whether its lease is valid again (node/worker.ts waits 50 ms too). */
const FENCED_POLL_MS = 50;

interface Order {
  broadcastId: string;
  shardId: number;
  epoch: number;
  start: number;
  end: number;
  rateLimitPerS: number;
  counted?: { delivered: number; skipped: number; dead: number };
}

interface Run {
  order: Order;
  ref: string;
  tracker: ShardTracker;
  stopped: boolean;
  inFlight: number;
  reportsLeft: number;
  /** Next sequence to read. */
  readFrom: number;
  reading: boolean;
  readAttempt: number;
  /** Read but not yet sent. */
  buffer: number[];
  /** Sent, the gateway could not take them: sequence → attempts so far. */
  outbox: Map<number, number>;
  /** A look-again while fenced is scheduled. */
  polling: boolean;
}

export class SimNode {
  readonly proc: Proc;
  private agent!: AgentCore;
  private conn: Conn<NodeUp, SessionDown> | undefined;
  private timerToken = 0;
  private runs = new Map<string, Run>();
  private epochs = new Map<string, number>();
  private stoppedReports = new Map<string, { progress: ShardProgress__Output; left: number }>();
  private gatewayHealthy = true;
  private gatewayAttempt = 0;
  private probing = false;
  private instance = 0;
  private buckets = new Map<string, TokenBucket>();

  constructor(
    readonly id: string,
    private readonly world: World,
    private readonly endpoints: ReadonlyArray<SimRelay | SimCoordinator>,
    private readonly coordinator: SimCoordinator,
    private readonly gateway: SimGateway,
    private readonly config: SimNodeConfig,
    private readonly observer: Observer,
  ) {
    this.proc = new Proc(`node-${id}`);
  }

  get key(): string {
    return `sim/${this.id}`;
  }

  get serving(): boolean {
    return this.agent.serving;
  }

  start(): void {
    this.instance += 1;
    this.runs = new Map();
    this.epochs = new Map();
    this.stoppedReports = new Map();
    this.buckets = new Map();
    this.gatewayHealthy = true;
    this.probing = false;
    this.conn = undefined;
    this.agent = new AgentCore({ ...this.config.agent, endpoints: this.endpoints.map((e) => e.proc.name) }, this.world.clock, this.world.random);
    this.agent.start();
    this.pump();
  }

  crash(): void {
    this.world.crash(this.proc);
  }

  restart(): void {
    this.world.restart(this.proc);
    this.start();
  }

  // ---- the agent's shell (node/agent.ts) ----

  private pump(): void {
    const { commands, events } = this.agent.take();
    for (const command of commands) {
      switch (command.kind) {
        case 'connect':
          this.open(command.endpoint, command.leaseEpoch);
          break;
        case 'liveness':
          this.conn?.toB({ msg: 'liveness', liveness: { seq: command.seq, leaseEpoch: command.leaseEpoch, progress: this.progress() } } as NodeUp);
          break;
        case 'leave':
          this.conn?.toB({ msg: 'leave', leave: { leaseEpoch: command.leaseEpoch } } as NodeUp);
          break;
        case 'disconnect':
          this.conn?.reset(this.proc);
          this.conn = undefined;
          break;
      }
    }
    for (const event of events) {
      this.observer.onAgentEvent(this.key, event, this.world.nowMs);
      if (event.kind === 'lease-lost') this.stopAll();
      if (event.kind === 'unfenced') for (const run of this.runs.values()) this.drive(run);
    }
    const token = ++this.timerToken;
    const wake = this.agent.nextWakeMs();
    if (Number.isFinite(wake)) {
      this.world.at(wake, this.proc, () => {
        if (token !== this.timerToken) return;
        this.agent.tick();
        this.pump();
      });
    }
  }

  private open(endpointName: string, leaseEpoch: number): void {
    this.conn?.reset(this.proc);
    const endpoint = this.endpoints.find((e) => e.proc.name === endpointName)!;
    const conn: Conn<NodeUp, SessionDown> = this.world.connect<NodeUp, SessionDown>(
      this.proc,
      endpoint.proc,
      {
        atB: (c) => ('acceptLeaf' in endpoint ? endpoint.acceptLeaf(c) : endpoint.acceptSession(c)),
        atA: {
          message: (down) => {
            if (conn !== this.conn) return;
            this.onDown(down);
            if (down.close !== undefined && conn === this.conn) {
              this.conn = undefined;
              this.agent.onStreamEnded(down.close.code, down.close.message);
            }
            this.pump();
          },
          closed: (reason) => {
            if (conn !== this.conn) return;
            this.conn = undefined;
            this.agent.onStreamEnded(14, reason);
            this.pump();
          },
        },
      },
      (reason) => {
        if (conn !== this.conn) return;
        this.conn = undefined;
        this.agent.onStreamEnded(14, reason);
        this.pump();
      },
    );
    this.conn = conn;
    conn.toB({ msg: 'attach', attach: { register: { clusterId: 'sim', nodeId: this.id, instanceId: `${this.id}-i${this.instance}`, address: 'sim', labels: [], capacityWeight: this.config.capacityWeight }, leaseEpoch } } as NodeUp);
  }

  private onDown(down: SessionDown): void {
    const m = down.message;
    if (m === undefined) return;
    if (m.welcome?.registration) {
      const r = m.welcome.registration;
      this.agent.onWelcome(Number(r.leaseEpoch), m.welcome.resumed === true, Number(r.heartbeatIntervalMs), Number(r.leaseTtlMs));
    } else if (m.renewed) {
      this.agent.onRenewed(Number(m.renewed.seq), Number(m.renewed.leaseEpoch));
    } else if (m.lost) {
      this.agent.onLeaseLost(Number(m.lost.leaseEpoch), m.lost.reason ?? '', m.lost.drained === true);
    } else if (m.order) {
      const o = m.order;
      if (Number(o.leaseEpoch ?? 0) !== this.agent.leaseEpoch) return;
      this.onOrder({ broadcastId: o.broadcastId!, shardId: Number(o.shardId), epoch: Number(o.epoch), start: Number(o.start), end: Number(o.end), rateLimitPerS: Number(o.rateLimitPerS ?? 0), counted: { delivered: Number(o.countedDelivered ?? 0), skipped: Number(o.countedSkipped ?? 0), dead: Number(o.countedDead ?? 0) } });
    } else if (m.revoke) {
      this.onRevoke(m.revoke.broadcastId!, Number(m.revoke.shardId), Number(m.revoke.epoch));
    }
  }

  // ---- the worker (node/worker.ts) ----

  private onOrder(order: Order): void {
    const ref = `${order.broadcastId}#${order.shardId}`;
    const seen = this.epochs.get(ref) ?? 0;
    if (order.epoch < seen || (order.epoch === seen && this.runs.has(ref))) return;
    if (order.epoch === seen && this.stoppedReports.has(ref)) return;
    this.epochs.set(ref, order.epoch);
    const previous = this.runs.get(ref);
    if (previous !== undefined) previous.stopped = true;
    const bucket = this.buckets.get(order.broadcastId);
    if (bucket === undefined) this.buckets.set(order.broadcastId, new TokenBucket(order.rateLimitPerS, Math.max(1, Math.ceil(order.rateLimitPerS / 10)), this.world.clock));
    else if (bucket.rate !== order.rateLimitPerS) bucket.setRate(order.rateLimitPerS);
    const run: Run = { order, ref, tracker: new ShardTracker(order.start, order.end, order.counted), stopped: false, inFlight: 0, reportsLeft: FINAL_REPORTS, readFrom: order.start, reading: false, readAttempt: 0, buffer: [], outbox: new Map(), polling: false };
    this.runs.set(ref, run);
    this.drive(run);
  }

  private onRevoke(broadcastId: string, shardId: number, epoch: number): void {
    const ref = `${broadcastId}#${shardId}`;
    const run = this.runs.get(ref);
    if (run !== undefined && run.order.epoch === epoch) this.stop(run);
    this.epochs.set(ref, Math.max(this.epochs.get(ref) ?? 0, epoch));
    if (run === undefined || run.order.epoch !== epoch) {
      this.stoppedReports.set(ref, { progress: progressOf({ broadcastId, shardId, epoch, start: 0, end: 0, rateLimitPerS: 0 }, undefined, true), left: FINAL_REPORTS });
    }
  }

  private stopAll(): void {
    for (const run of [...this.runs.values()]) this.stop(run);
    this.runs.clear();
    this.stoppedReports.clear();
  }

  private stop(run: Run): void {
    if (run.stopped) return;
    run.stopped = true;
    run.buffer = [];
    run.outbox.clear();
    if (!run.tracker.done) this.runs.delete(run.ref);
    if (run.inFlight === 0) this.reportStopped(run);
  }

  private reportStopped(run: Run): void {
    if (run.tracker.done) return;
    this.stoppedReports.set(run.ref, { progress: progressOf(run.order, run.tracker, true), left: FINAL_REPORTS });
  }

  private current(run: Run): boolean {
    return !run.stopped && this.runs.get(run.ref) === run;
  }

  private progress(): ShardProgress__Output[] {
    const out: ShardProgress__Output[] = [];
    for (const [ref, run] of this.runs) {
      out.push(progressOf(run.order, run.tracker, false));
      if (run.tracker.done && --run.reportsLeft <= 0) this.runs.delete(ref);
    }
    for (const [ref, s] of this.stoppedReports) {
      out.push(s.progress);
      if (--s.left <= 0) this.stoppedReports.delete(ref);
    }
    return out;
  }

  /** Move a run forward as far as it can go now: send what may be sent, read the next page when the last is out. */
  private drive(run: Run): void {
    if (!this.current(run) || run.tracker.done) return;
    while (run.inFlight < this.config.batchesInFlightMax && this.gatewayHealthy && this.agent.serving) {
      const batch = run.outbox.size > 0 ? this.takeOutbox(run) : run.buffer.splice(0, this.config.batchSize);
      if (batch.length === 0) break;
      this.send(run, batch);
    }
    if (run.buffer.length === 0 && !run.reading && run.readFrom < run.tracker.end) this.read(run);
    // As node/worker.ts does: while the lease is not valid, look again shortly (a lease can
    // lapse and be renewed again without the agent ever reporting the gap).
    if (!this.agent.serving && !run.polling && (run.buffer.length > 0 || run.outbox.size > 0)) {
      run.polling = true;
      this.world.after(FENCED_POLL_MS, this.proc, () => {
        run.polling = false;
        this.drive(run);
      });
    }
  }

  private takeOutbox(run: Run): number[] {
    const batch = [...run.outbox.keys()].slice(0, this.config.batchSize);
    for (const seq of batch) run.outbox.delete(seq);
    return batch;
  }

  private read(run: Run): void {
    run.reading = true;
    const o = run.order;
    const request: ReadRequest = { nodeKey: this.key, broadcastId: o.broadcastId, shardId: o.shardId, epoch: o.epoch, fromSequence: run.readFrom, limit: this.config.pageSize };
    this.world.call<ReadRequest, ReadReply>(this.proc, this.coordinator.proc, request, (req, respond) => this.coordinator.serveRead(req, respond), (reply) => {
      run.reading = false;
      if (!this.current(run)) return;
      if ('error' in reply) {
        const code = 'code' in reply ? reply.code : undefined;
        if (code === 'FAILED_PRECONDITION' || code === 'NOT_FOUND') return this.stop(run);
        this.world.after(backoffDelayMs(run.readAttempt++, 100, 5000, this.world.random), this.proc, () => this.drive(run));
        return;
      }
      run.readAttempt = 0;
      if (reply.firstSequence !== run.readFrom) return this.drive(run); // a duplicated answer
      if (reply.shardEnd < run.tracker.end) run.tracker.shrinkEnd(Math.max(reply.shardEnd, run.tracker.watermark));
      for (let seq = reply.firstSequence; seq < reply.firstSequence + reply.count; seq++) run.buffer.push(seq);
      run.readFrom = reply.firstSequence + reply.count;
      if (reply.count === 0) run.readFrom = run.tracker.end;
      this.drive(run);
      this.maybeDone(run);
    }, this.config.callTimeoutMs);
  }

  /** Wait for the broadcast's rate limit (holding the slot), then send if the run may still send. */
  private send(run: Run, sequences: number[]): void {
    const waitMs = this.buckets.get(run.order.broadcastId)!.reserve(sequences.length);
    if (waitMs <= 0) return this.deliver(run, sequences);
    run.inFlight += 1;
    this.world.after(waitMs, this.proc, () => {
      run.inFlight -= 1;
      if (!this.current(run)) {
        if (run.stopped && run.inFlight === 0) this.reportStopped(run);
        return;
      }
      if (this.agent.serving && this.gatewayHealthy) return this.deliver(run, sequences);
      // Not now after all: keep them for the next try.
      for (const seq of sequences) run.outbox.set(seq, run.outbox.get(seq) ?? 0);
    });
  }

  private deliver(run: Run, sequences: number[]): void {
    const o = run.order;
    // The fencing rule, checked where it matters: nothing leaves without a valid lease.
    if (!this.agent.serving) throw new Error('bug: delivery without a valid lease');
    this.observer.onAttempt(this.key, o.broadcastId, o.shardId, o.epoch, sequences, this.world.nowMs);
    run.inFlight += 1;
    const items: GatewayItem[] = sequences.map((sequence) => ({ key: `${o.broadcastId}/${sequence}`, broadcastId: o.broadcastId, sequence, recipientId: `r${sequence}` }));
    this.world.call<GatewayItem[], GatewayReply>(this.proc, this.gateway.proc, items, (req, respond) => this.gateway.serve(req, respond), (reply) => {
      run.inFlight -= 1;
      if ('error' in reply) {
        for (const seq of sequences) run.outbox.set(seq, (run.outbox.get(seq) ?? 0));
        this.gatewayDown();
      } else {
        this.gatewayUp();
        reply.outcomes.forEach((outcome, i) => {
          const seq = sequences[i]!;
          if (outcome === 'DELIVERED') run.tracker.complete(seq, 'delivered');
          else if (outcome === 'UNREACHABLE') run.tracker.complete(seq, 'skipped');
          else if (outcome === 'PERMANENT_FAILURE') run.tracker.complete(seq, 'dead');
          else {
            const attempts = (run.outbox.get(seq) ?? 0) + 1;
            if (attempts >= this.config.deliveryAttemptsMax) run.tracker.complete(seq, 'dead');
            else run.outbox.set(seq, attempts);
          }
        });
      }
      if (run.stopped) {
        run.outbox.clear();
        if (run.inFlight === 0) this.reportStopped(run);
        return;
      }
      this.maybeDone(run);
      this.drive(run);
    }, this.config.callTimeoutMs);
  }

  private maybeDone(run: Run): void {
    if (this.current(run) && run.tracker.done) {
      this.agent.livenessSoon();
      this.agent.tick();
      this.pump();
    }
  }

  private gatewayDown(): void {
    this.gatewayHealthy = false;
    if (this.probing) return;
    this.probing = true;
    this.world.after(backoffDelayMs(this.gatewayAttempt++, this.config.gatewayRetryMinMs, this.config.gatewayRetryMaxMs, this.world.random), this.proc, () => {
      // Try again with real work: if the gateway is still down, the sends fail and the wait grows.
      this.probing = false;
      this.gatewayHealthy = true;
      for (const run of this.runs.values()) this.drive(run);
    });
  }

  private gatewayUp(): void {
    if (this.gatewayHealthy) return;
    this.gatewayHealthy = true;
    this.gatewayAttempt = 0;
    for (const run of this.runs.values()) this.drive(run);
  }
}

function progressOf(order: Order, tracker: ShardTracker | undefined, stopped: boolean): ShardProgress__Output {
  return {
    broadcastId: order.broadcastId,
    shardId: order.shardId,
    epoch: order.epoch,
    watermark: tracker?.watermark ?? 0,
    delivered: tracker?.delivered ?? 0,
    skippedUnreachable: tracker?.skipped ?? 0,
    deadLettered: tracker?.dead ?? 0,
    done: tracker?.done ?? false,
    stopped,
  } as ShardProgress__Output;
}
