/**
 * A push worker in the simulator: the real AgentCore (sessions, leases,
 * self-fencing, failover) and the real WorkCore (admission, pages, batches,
 * outcomes, the outbox, gateway health, refusals, bounded coordinator
 * calls, progress reports) — the same cores node/agent.ts and
 * node/worker.ts drive. This file is only their shell on simulated I/O:
 * sessions to relays or the coordinator, audience reads and dead-letter
 * reports at the coordinator, deliveries and presence at the gateway.
 */
import { AgentCore, type AgentConfig } from '../../node/core/agent';
import { WorkCore, type CoordinatorFailure, type WorkCommand, type WorkConfig } from '../../node/core/work';
import type { SimCoordinator } from './coordinator';
import type { SimGateway } from './gateway';
import { type DeadLetterReply, type DeadLetterRequest, type GatewayItem, type GatewayReply, type NodeUp, type PresenceReply, type ReadReply, type ReadRequest, type SessionDown } from './messages';
import type { Observer } from './observer';
import type { SimRelay } from './relay';
import { Proc, type Conn, type World } from './world';

export interface SimNodeConfig {
  agent: Omit<AgentConfig, 'endpoints'>;
  work: WorkConfig;
  callTimeoutMs: number;
  capacityWeight: number;
}

/** Dead letters as the coordinator recorded them: "<broadcast>/<sequence>" → reason. */

/** Coordinator codes that mean the shard is not this node's; the ones that mean "do not ask again". */
const NOT_HELD = new Set(['FAILED_PRECONDITION', 'NOT_FOUND']);
const REFUSED = new Set(['INVALID_ARGUMENT', 'OUT_OF_RANGE', 'PERMISSION_DENIED']);

export class SimNode {
  readonly proc: Proc;
  private agent!: AgentCore;
  private work!: WorkCore;
  private conn: Conn<NodeUp, SessionDown> | undefined;
  private agentTimerToken = 0;
  private workTimerToken = 0;
  private workTimerAtMs = Number.POSITIVE_INFINITY;
  private instance = 0;
  private pumpingAgent = false;
  private agentAgain = false;
  private pumpingWork = false;
  private workAgain = false;

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

  /** A fresh process: nothing survives from an earlier one. */
  start(): void {
    this.instance += 1;
    this.conn = undefined;
    this.workTimerAtMs = Number.POSITIVE_INFINITY;
    this.agent = new AgentCore({ ...this.config.agent, endpoints: this.endpoints.map((e) => e.proc.name) }, this.world.clock, this.world.random);
    this.work = new WorkCore(this.config.work, this.world.clock, this.world.random, () => this.agent.serving);
    this.agent.start();
    this.pumpAgent();
  }

  crash(): void {
    this.world.crash(this.proc);
  }

  restart(): void {
    this.world.restart(this.proc);
    this.start();
  }

  // ---- the agent's shell (node/agent.ts) ----

  private pumpAgent(): void {
    if (this.pumpingAgent) {
      this.agentAgain = true;
      return;
    }
    this.pumpingAgent = true;
    do {
      this.agentAgain = false;
      const { commands, events } = this.agent.take();
      for (const command of commands) {
        switch (command.kind) {
          case 'connect':
            this.open(command.endpoint, command.leaseEpoch);
            break;
          case 'liveness':
            this.conn?.toB({ msg: 'liveness', liveness: { seq: command.seq, leaseEpoch: command.leaseEpoch, progress: this.work.progress() } } as NodeUp);
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
        // As node/main.ts: the lease as the agent has it now (attached: held orders start; lost: all stops).
        this.work.setLease(this.agent.leaseEpoch);
        if (event.kind === 'unfenced') this.work.tick();
      }
    } while (this.agentAgain);
    this.pumpingAgent = false;
    const token = ++this.agentTimerToken;
    const wake = this.agent.nextWakeMs();
    if (Number.isFinite(wake)) {
      this.world.at(wake, this.proc, () => {
        if (token !== this.agentTimerToken) return;
        this.agent.tick();
        this.pumpAgent();
      });
    }
    this.pumpWork();
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
            this.pumpAgent();
          },
          closed: (reason) => {
            if (conn !== this.conn) return;
            this.conn = undefined;
            this.agent.onStreamEnded(14, reason);
            this.pumpAgent();
          },
        },
      },
      (reason) => {
        if (conn !== this.conn) return;
        this.conn = undefined;
        this.agent.onStreamEnded(14, reason);
        this.pumpAgent();
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
      this.work.setLease(this.agent.leaseEpoch);
      this.work.onOrder({
        broadcastId: o.broadcastId ?? '',
        shardId: Number(o.shardId ?? 0),
        epoch: Number(o.epoch ?? 0),
        start: Number(o.start ?? 0),
        end: Number(o.end ?? 0),
        template: o.template ?? '',
        onlyReachable: o.onlyReachable === true,
        rateLimitPerS: Number(o.rateLimitPerS ?? 0),
        dataAddress: o.dataAddress ?? '',
        countedDelivered: Number(o.countedDelivered ?? 0),
        countedSkipped: Number(o.countedSkipped ?? 0),
        countedDead: Number(o.countedDead ?? 0),
        leaseEpoch: Number(o.leaseEpoch ?? 0),
      });
    } else if (m.revoke) {
      this.work.onRevoke({ broadcastId: m.revoke.broadcastId ?? '', shardId: Number(m.revoke.shardId ?? 0), epoch: Number(m.revoke.epoch ?? 0), reason: m.revoke.reason ?? '' });
    }
  }

  // ---- the worker's shell (node/worker.ts) ----

  private pumpWork(): void {
    if (this.pumpingWork) {
      this.workAgain = true;
      return;
    }
    this.pumpingWork = true;
    let reportNow = false;
    do {
      this.workAgain = false;
      for (const command of this.work.take().commands) {
        if (command.kind === 'report-progress') reportNow = true;
        else this.perform(command);
      }
    } while (this.workAgain);
    this.pumpingWork = false;
    const wake = this.work.nextWakeMs();
    if (wake !== this.workTimerAtMs) {
      this.workTimerAtMs = wake;
      const token = ++this.workTimerToken;
      if (Number.isFinite(wake)) {
        this.world.at(wake, this.proc, () => {
          if (token !== this.workTimerToken) return;
          this.workTimerAtMs = Number.POSITIVE_INFINITY;
          this.work.tick();
          this.pumpWork();
        });
      }
    }
    if (reportNow) {
      // A shard finished or stopped: liveness (with its report) now, not at the next heartbeat.
      this.agent.livenessSoon();
      this.agent.tick();
      this.pumpAgent();
    }
  }

  /** Runs `fn` with the answer, then lets the cores move on. */
  private answered(fn: () => void): void {
    fn();
    this.pumpWork();
  }

  private perform(command: Exclude<WorkCommand, { kind: 'report-progress' }>): void {
    const coordinator = this.coordinator;
    const timeoutMs = this.config.callTimeoutMs;
    switch (command.kind) {
      case 'read-audience': {
        const { callId, shard, fromSequence, limit } = command;
        const request: ReadRequest = { nodeKey: this.key, ...shard, fromSequence, limit };
        this.world.call<ReadRequest, ReadReply>(this.proc, coordinator.proc, request, (req, respond) => coordinator.serveRead(req, respond), (reply) => this.answered(() => {
          if ('error' in reply) return this.work.onAudiencePage(callId, { ok: false, failure: failureOf(reply) });
          const recipients = Array.from({ length: reply.count }, (_, i) => ({ id: `r${reply.firstSequence + i}`, vars: [] }));
          this.work.onAudiencePage(callId, { ok: true, value: { firstSequence: reply.firstSequence, shardEnd: reply.shardEnd, recipients } });
        }), timeoutMs);
        return;
      }
      case 'report-dead-letters': {
        const { callId, shard, deadLetters } = command;
        const request: DeadLetterRequest = { nodeKey: this.key, ...shard, deadLetters };
        this.world.call<DeadLetterRequest, DeadLetterReply>(this.proc, coordinator.proc, request, (req, respond) => coordinator.serveDeadLetters(req, respond), (reply) => this.answered(() => {
          this.work.onDeadLettersReported(callId, 'error' in reply ? { ok: false, failure: failureOf(reply) } : { ok: true, value: true });
        }), timeoutMs);
        return;
      }
      case 'lookup-presence': {
        const { callId, recipientIds } = command;
        this.world.call<string[], PresenceReply>(this.proc, this.gateway.proc, recipientIds, (req, respond) => this.gateway.servePresence(req, respond), (reply) => this.answered(() => {
          if ('reachable' in reply) this.work.onPresence(callId, { ok: true, value: reply.reachable });
          else this.work.onPresence(callId, { ok: false, failure: 'refused' in reply ? { kind: 'refused', reason: reply.refused } : { kind: 'unavailable', reason: reply.error } });
        }), timeoutMs);
        return;
      }
      case 'deliver': {
        const { callId, shard, items } = command;
        // The fencing rule, checked where it matters: nothing leaves without a valid lease.
        if (!this.agent.serving) throw new Error('bug: delivery without a valid lease');
        this.observer.onAttempt(this.key, shard.broadcastId, shard.shardId, shard.epoch, items.map((i) => i.sequence), this.world.nowMs);
        const request: GatewayItem[] = items.map((i) => ({ key: i.idempotencyKey, broadcastId: i.broadcastId, sequence: i.sequence, recipientId: i.recipientId }));
        this.world.call<GatewayItem[], GatewayReply>(this.proc, this.gateway.proc, request, (req, respond) => this.gateway.serve(req, respond), (reply) => this.answered(() => {
          if ('outcomes' in reply) this.work.onDelivered(callId, { ok: true, value: reply.outcomes.map((outcome, i) => ({ idempotencyKey: items[i]!.idempotencyKey, outcome, reason: outcome === 'PERMANENT_FAILURE' ? 'permanent failure (simulated)' : '' })) });
          else this.work.onDelivered(callId, { ok: false, failure: 'refused' in reply ? { kind: 'refused', reason: reply.refused } : { kind: 'unavailable', reason: reply.error } });
        }), timeoutMs);
        return;
      }
    }
  }
}

function failureOf(reply: { error: string; code?: string }): CoordinatorFailure {
  if (reply.code !== undefined && NOT_HELD.has(reply.code)) return { kind: 'not-held', reason: reply.error };
  if (reply.code !== undefined && REFUSED.has(reply.code)) return { kind: 'refused', reason: `${reply.code}: ${reply.error}` };
  return { kind: 'transient', reason: reply.error };
}

