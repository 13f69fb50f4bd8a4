/**
 * The node agent's session logic, pure: which endpoint to talk to, when to
 * send liveness, whether the lease is still valid (self-fencing), and when
 * to fail over or back off. The shell performs the commands it returns and
 * feeds back what the network did; it calls tick() at nextWakeMs().
 *
 * Lease rule: a renewal of packet `seq` makes the lease valid until the
 * time `seq` was SENT plus leaseTtlMs. The coordinator declares the node
 * DOWN only after downAfterMs (> leaseTtlMs) of silence measured from when
 * it RECEIVED a packet, which is later — so the node always stops first.
 */
import { assert } from '../../protocol/errors';
import type { Clock } from '../../platform/clock';
import { backoffDelayMs } from '../../platform/backoff';

export interface AgentConfig {
  /** Relays in order of preference, then optionally the coordinator. */
  endpoints: readonly string[];
  /** Move to the next endpoint after this long without a renewal (or a welcome). */
  relayFailoverMs: number;
  reconnectBackoffMinMs: number;
  reconnectBackoffMaxMs: number;
}

export interface Identity {
  clusterId: string;
  nodeId: string;
  instanceId: string;
  address: string;
  labels: Array<{ key: string; value: string }>;
  capacityWeight: number;
}

export type AgentCommand =
  | { kind: 'connect'; endpoint: string; leaseEpoch: number }
  | { kind: 'liveness'; seq: number; leaseEpoch: number }
  | { kind: 'disconnect'; reason: string }
  | { kind: 'leave'; leaseEpoch: number };

export type AgentEvent =
  | { kind: 'attached'; endpoint: string; epoch: number; resumed: boolean }
  | { kind: 'fenced'; reason: string }
  | { kind: 'unfenced'; epoch: number }
  | { kind: 'lease-lost'; epoch: number; reason: string }
  | { kind: 'drained' }
  | { kind: 'endpoint-failed'; endpoint: string; reason: string; retryInMs: number }
  | { kind: 'fatal'; reason: string };

/** Status codes the agent distinguishes (numbers as in gRPC). */
export const CODE = { OK: 0, INVALID_ARGUMENT: 3, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9, ABORTED: 10 } as const;

type Phase = 'idle' | 'connecting' | 'attached' | 'backoff' | 'leaving' | 'stopped';

/** At most this many unacknowledged liveness send times are remembered. */
const SENT_TIMES_MAX = 64;

export class AgentCore {
  private phase: Phase = 'idle';
  private endpointIndex = 0;
  private failuresInCycle = 0;
  /** A working session broke and the same endpoint is being tried once more. */
  private retryingSameEndpoint = false;
  private cycles = 0;
  private epoch = 0;
  private seq = 0;
  private readonly sentAt = new Map<number, number>();
  private phaseSinceMs = 0;
  private attachSentMs = 0;
  private lastRenewalMs = 0;
  private nextHeartbeatMs = 0;
  private retryAtMs = 0;
  private leaseValidUntilMs = 0;
  private heartbeatIntervalMs = 500;
  private leaseTtlMs = 0;
  private wasServing = false;
  private commands: AgentCommand[] = [];
  private events: AgentEvent[] = [];

  constructor(
    private readonly config: AgentConfig,
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {
    assert(config.endpoints.length > 0, 'at least one endpoint');
  }

  get leaseEpoch(): number {
    return this.epoch;
  }

  get endpoint(): string {
    return this.config.endpoints[this.endpointIndex]!;
  }

  /** True while the lease is valid: the node may deliver. */
  get serving(): boolean {
    return this.epoch > 0 && this.phase !== 'stopped' && this.clock.monotonicMs() < this.leaseValidUntilMs;
  }

  get leaseValidUntil(): number {
    return this.leaseValidUntilMs;
  }

  take(): { commands: AgentCommand[]; events: AgentEvent[] } {
    const taken = { commands: this.commands, events: this.events };
    this.commands = [];
    this.events = [];
    return taken;
  }

  start(): void {
    assert(this.phase === 'idle', 'start once');
    this.connect();
  }

  /** Graceful stop: leave if attached, then stop. */
  stop(): void {
    if (this.phase === 'attached') {
      this.commands.push({ kind: 'leave', leaseEpoch: this.epoch });
      this.setPhase('leaving');
    } else {
      this.halt('stopped');
    }
  }

  /** Send the next liveness packet now (e.g. to report a finished shard without waiting). */
  livenessSoon(): void {
    if (this.phase !== 'attached') return;
    this.nextHeartbeatMs = Math.min(this.nextHeartbeatMs, this.clock.monotonicMs());
  }

  onWelcome(epoch: number, resumed: boolean, heartbeatIntervalMs: number, leaseTtlMs: number): void {
    if (this.phase !== 'connecting') return;
    assert(epoch > 0, 'welcome carries an epoch');
    const now = this.clock.monotonicMs();
    this.epoch = epoch;
    this.heartbeatIntervalMs = heartbeatIntervalMs;
    this.leaseTtlMs = leaseTtlMs;
    this.sentAt.clear();
    // The attach itself was the first renewal: the lease runs from its send time.
    this.leaseValidUntilMs = Math.max(this.leaseValidUntilMs, this.attachSentMs + leaseTtlMs);
    this.lastRenewalMs = now;
    this.nextHeartbeatMs = now;
    this.failuresInCycle = 0;
    this.cycles = 0;
    this.retryingSameEndpoint = false;
    this.setPhase('attached');
    this.events.push({ kind: 'attached', endpoint: this.endpoint, epoch, resumed });
    this.tick();
  }

  onRenewed(seq: number, epoch: number): void {
    if (this.phase !== 'attached' || epoch !== this.epoch) return;
    const sent = this.sentAt.get(seq);
    if (sent === undefined) return;
    for (const s of this.sentAt.keys()) if (s <= seq) this.sentAt.delete(s);
    this.lastRenewalMs = this.clock.monotonicMs();
    this.leaseValidUntilMs = Math.max(this.leaseValidUntilMs, sent + this.leaseTtlMs);
    this.checkFence();
  }

  onLeaseLost(epoch: number, reason: string, drained = false): void {
    if (epoch !== this.epoch || this.epoch === 0) return;
    this.loseLease(reason);
    if (drained) {
      this.events.push({ kind: 'drained' });
      this.halt('drained');
    }
  }

  /** The session's stream ended with a gRPC status code. */
  onStreamEnded(code: number, message: string): void {
    if (this.phase === 'stopped' || this.phase === 'backoff' || this.phase === 'idle') return;
    if (this.phase === 'leaving') return this.halt('left');
    switch (code) {
      case CODE.INVALID_ARGUMENT:
        this.events.push({ kind: 'fatal', reason: message });
        return this.halt(message);
      case CODE.FAILED_PRECONDITION:
        // The lease is gone (DOWN, stale epoch): register anew on the same
        // endpoint. Refused even without a lease: back off instead of spinning.
        if (this.phase === 'connecting' && this.epoch === 0) return this.failEndpoint(message, true);
        if (this.epoch !== 0) this.loseLease(message);
        return this.connect();
      case CODE.ALREADY_EXISTS:
        // Another instance holds this identity; wait and retry, it may leave.
        return this.failEndpoint(message, true);
      default:
        // A session that worked broke (a reset, a restart at the far end):
        // try the same endpoint once more before moving on. The next one on
        // the list may be worse, and while this node is unattached its lease
        // runs out — a closed connection makes the coordinator declare it
        // DOWN soon after that (--disconnected-down-margin-ms).
        if (this.phase === 'attached' && !this.retryingSameEndpoint) {
          this.retryingSameEndpoint = true;
          this.commands.push({ kind: 'disconnect', reason: message });
          this.events.push({ kind: 'endpoint-failed', endpoint: this.endpoint, reason: message, retryInMs: 0 });
          return this.connect();
        }
        return this.failEndpoint(message, false);
    }
  }

  nextWakeMs(): number {
    switch (this.phase) {
      case 'attached':
        return Math.min(this.nextHeartbeatMs, this.lastRenewalMs + this.config.relayFailoverMs, this.fenceCheckMs());
      case 'connecting':
        return Math.min(this.phaseSinceMs + this.config.relayFailoverMs, this.fenceCheckMs());
      case 'backoff':
        return Math.min(this.retryAtMs, this.fenceCheckMs());
      default:
        return Number.POSITIVE_INFINITY;
    }
  }

  tick(): void {
    const now = this.clock.monotonicMs();
    this.checkFence();
    switch (this.phase) {
      case 'attached':
        // Compared exactly as nextWakeMs() computes it: with fractional times,
        // now - a >= b and now >= a + b can disagree, and the timer would spin.
        if (now >= this.lastRenewalMs + this.config.relayFailoverMs) {
          return this.failEndpoint(`no lease renewal for ${Math.round(now - this.lastRenewalMs)} ms`, false);
        }
        if (now >= this.nextHeartbeatMs) {
          this.seq += 1;
          this.sentAt.set(this.seq, now);
          if (this.sentAt.size > SENT_TIMES_MAX) this.sentAt.delete(this.sentAt.keys().next().value!);
          this.commands.push({ kind: 'liveness', seq: this.seq, leaseEpoch: this.epoch });
          this.nextHeartbeatMs = now + this.heartbeatIntervalMs;
        }
        return;
      case 'connecting':
        if (now >= this.phaseSinceMs + this.config.relayFailoverMs) {
          this.failEndpoint(`no welcome within ${this.config.relayFailoverMs} ms`, false);
        }
        return;
      case 'backoff':
        if (now >= this.retryAtMs) this.connect();
        return;
      default:
        return;
    }
  }

  private fenceCheckMs(): number {
    return this.wasServing ? this.leaseValidUntilMs : Number.POSITIVE_INFINITY;
  }

  private checkFence(): void {
    const serving = this.serving;
    if (serving === this.wasServing) return;
    this.wasServing = serving;
    if (serving) this.events.push({ kind: 'unfenced', epoch: this.epoch });
    else this.events.push({ kind: 'fenced', reason: this.phase === 'stopped' ? 'stopped' : this.epoch === 0 ? 'lease lost' : 'lease expired without renewal' });
  }

  private loseLease(reason: string): void {
    this.events.push({ kind: 'lease-lost', epoch: this.epoch, reason });
    this.epoch = 0;
    this.leaseValidUntilMs = 0;
    this.sentAt.clear();
    this.checkFence();
  }

  private connect(): void {
    const now = this.clock.monotonicMs();
    this.attachSentMs = now;
    this.setPhase('connecting');
    this.commands.push({ kind: 'connect', endpoint: this.endpoint, leaseEpoch: this.epoch });
  }

  /**
   * The current endpoint failed: try the next one at once; after a whole
   * cycle of failures, back off exponentially with jitter.
   */
  private failEndpoint(reason: string, forceBackoff: boolean): void {
    const failed = this.endpoint;
    this.commands.push({ kind: 'disconnect', reason });
    this.endpointIndex = (this.endpointIndex + 1) % this.config.endpoints.length;
    this.failuresInCycle += 1;
    if (!forceBackoff && this.failuresInCycle < this.config.endpoints.length) {
      this.events.push({ kind: 'endpoint-failed', endpoint: failed, reason, retryInMs: 0 });
      return this.connect();
    }
    this.failuresInCycle = 0;
    const delay = backoffDelayMs(this.cycles, this.config.reconnectBackoffMinMs, this.config.reconnectBackoffMaxMs, this.random);
    this.cycles += 1;
    this.retryAtMs = this.clock.monotonicMs() + delay;
    this.setPhase('backoff');
    this.events.push({ kind: 'endpoint-failed', endpoint: failed, reason, retryInMs: delay });
  }

  private halt(reason: string): void {
    if (this.phase !== 'stopped') this.commands.push({ kind: 'disconnect', reason });
    this.setPhase('stopped');
    this.checkFence();
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    this.phaseSinceMs = this.clock.monotonicMs();
  }
}
