/**
 * The relay's shell: serves NodeSession to leaves, keeps one RelayLink
 * stream to the coordinator, and flushes the aggregator on a timer.
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../platform/clock';
import type { Logger } from '../platform/log';
import { backoffDelayMs } from '../platform/backoff';
import { relaycastV1 } from '../protocol/proto';
import { statusError } from '../protocol/grpc-status';
import type { NodeSessionHandlers } from '../protocol/generated/relaycast/v1/NodeSession';
import type { NodeMessage__Output } from '../protocol/generated/relaycast/v1/NodeMessage';
import type { SessionMessage } from '../protocol/generated/relaycast/v1/SessionMessage';
import type { RelayLinkClient } from '../protocol/generated/relaycast/v1/RelayLink';
import type { RelayUp } from '../protocol/generated/relaycast/v1/RelayUp';
import type { RelayDown__Output } from '../protocol/generated/relaycast/v1/RelayDown';
import { Aggregator, type AggregatorConfig, type LeafAction, type SessionId } from './core/aggregator';
import { checkLeafMessage } from './leaf-limits';
import { peerAuth, refuseUnlessMember } from '../platform/peer-identity';

export interface RelayOptions extends AggregatorConfig {
  coordinator: string;
  clusterId: string;
  relayId: string;
  instanceId: string;
  address: string;
  flushMs: number;
  reconnectBackoffMinMs: number;
  reconnectBackoffMaxMs: number;
  /** How the link to the coordinator is secured (insecure when absent: --plaintext). */
  credentials?: grpc.ChannelCredentials;
}

type LeafCall = grpc.ServerDuplexStream<NodeMessage__Output, SessionMessage>;
type LinkCall = grpc.ClientDuplexStream<RelayUp, RelayDown__Output>;

export class Relay {
  readonly aggregator: Aggregator;
  private readonly sessions = new Map<SessionId, LeafCall>();
  private nextSessionId = 1;
  private client: RelayLinkClient | undefined;
  private link: LinkCall | undefined;
  private linked = false;
  private writable = true;
  private attempts = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Counters for metrics: packets from leaves, batches sent upstream. */
  readonly stats = { livenessPackets: 0, batchesSent: 0 };
  /** Called with the entry count of every batch sent upstream. */
  onBatchSent: (entries: number) => void = () => undefined;

  constructor(
    private readonly options: RelayOptions,
    clock: Clock,
    private readonly random: () => number,
    private readonly log: Logger,
    private readonly onLinkChange: (linked: boolean) => void,
  ) {
    this.aggregator = new Aggregator(options, clock);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get isLinked(): boolean {
    return this.linked;
  }

  handlers(): NodeSessionHandlers {
    return {
      Session: (call: LeafCall) => {
        const sessionId = this.nextSessionId++;
        this.sessions.set(sessionId, call);
        // Over TLS a leaf attaches only as the node its certificate names:
        // the coordinator trusts this relay's word for its leaves.
        const auth = peerAuth(call);
        let identified = !auth.secure;
        const closed = () => {
          if (this.sessions.get(sessionId) !== call) return;
          this.sessions.delete(sessionId);
          this.aggregator.onLeafClosed(sessionId);
          this.apply(this.aggregator.take());
        };
        call.on('data', (message: NodeMessage__Output) => {
          if (this.sessions.get(sessionId) !== call) return;
          if (!identified) {
            const register = message.attach?.register;
            const refused = register ? refuseUnlessMember(auth, 'node', register.clusterId, register.nodeId) : undefined;
            if (refused !== undefined) {
              this.log.warn({ peer: call.getPeer(), reason: refused }, 'node session refused');
              this.sessions.delete(sessionId);
              call.emit('error', statusError(grpc.status.PERMISSION_DENIED, refused));
              return;
            }
            identified = register !== undefined;
          }
          const invalid = checkLeafMessage(message);
          if (invalid !== undefined) {
            this.log.warn({ peer: call.getPeer(), reason: invalid }, 'node session refused: invalid message');
            closed();
            call.emit('error', statusError(grpc.status.INVALID_ARGUMENT, invalid));
            return;
          }
          if (message.msg === 'liveness') this.stats.livenessPackets += 1;
          this.aggregator.onLeafMessage(sessionId, message);
          this.apply(this.aggregator.take());
        });
        call.on('end', () => {
          closed();
          call.end();
        });
        call.on('cancelled', closed);
        call.on('error', closed);
      },
    };
  }

  start(): void {
    this.client = new (relaycastV1().RelayLink)(this.options.coordinator, this.options.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 5_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': this.options.reconnectBackoffMaxMs,
    });
    this.connect();
    this.flushTimer = setInterval(() => this.flush(), this.options.flushMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.link?.cancel();
    for (const call of this.sessions.values()) call.emit('error', statusError(grpc.status.UNAVAILABLE, 'relay is shutting down'));
    this.client?.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const link = this.client!.Link();
    this.link = link;
    this.writable = true;
    const { clusterId, relayId, instanceId, address } = this.options;
    link.write({ hello: { clusterId, relayId, instanceId, address } });
    link.on('data', (down: RelayDown__Output) => {
      if (link !== this.link) return;
      if (down.msg === 'welcome') {
        this.linked = true;
        this.attempts = 0;
        this.aggregator.onUpstreamReady();
        this.log.info({ coordinator: this.options.coordinator, leaves: this.aggregator.leafCount }, 'linked to coordinator');
        this.onLinkChange(true);
        this.flush();
      } else if (down.msg === 'batchAck' && down.batchAck) {
        this.aggregator.onBatchAck(down.batchAck);
        this.apply(this.aggregator.take());
      }
    });
    link.on('drain', () => {
      this.writable = true;
    });
    const lost = (reason: string, code: number) => {
      if (link !== this.link) return;
      this.link = undefined;
      const wasLinked = this.linked;
      this.linked = false;
      this.aggregator.onUpstreamLost();
      if (wasLinked) this.onLinkChange(false);
      if (this.stopped) return;
      const delay = backoffDelayMs(this.attempts++, this.options.reconnectBackoffMinMs, this.options.reconnectBackoffMaxMs, this.random);
      const level = code === grpc.status.INVALID_ARGUMENT || code === grpc.status.ALREADY_EXISTS ? 'error' : 'warn';
      this.log[level]({ coordinator: this.options.coordinator, reason, code, retryInMs: delay }, 'coordinator link lost');
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
    link.on('error', (err: grpc.ServiceError) => lost(err.details ?? err.message, err.code ?? grpc.status.UNKNOWN));
    link.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) lost('link ended by the coordinator', status.code);
    });
  }

  private flush(): void {
    if (!this.linked || !this.writable || this.link === undefined) return;
    const batch = this.aggregator.flush();
    if (batch === undefined) return;
    this.writable = this.link.write({ batch });
    this.stats.batchesSent += 1;
    this.onBatchSent((batch.liveness?.length ?? 0) + (batch.messages?.length ?? 0) + (batch.detached?.length ?? 0));
  }

  private apply(actions: LeafAction[]): void {
    for (const action of actions) {
      const call = this.sessions.get(action.sessionId);
      if (call === undefined) continue;
      // A leaf that does not take its renewals stops being read until it does (flow control both ways).
      if (action.message !== undefined && !call.write(action.message) && !call.isPaused()) {
        call.pause();
        call.once('drain', () => call.resume());
      }
      if (action.close !== undefined) {
        this.sessions.delete(action.sessionId);
        this.aggregator.onLeafClosed(action.sessionId);
        if (action.close.code === grpc.status.OK) call.end();
        else call.emit('error', statusError(action.close.code, action.close.message));
      }
    }
  }
}
