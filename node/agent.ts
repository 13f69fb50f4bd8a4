/**
 * The node agent's shell: performs AgentCore's commands over gRPC
 * (NodeSession with a relay or the coordinator) and drives its timer.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../platform/clock';
import type { Logger } from '../platform/log';
import { relaycastV1 } from '../protocol/proto';
import type { NodeSessionClient } from '../protocol/generated/relaycast/v1/NodeSession';
import type { NodeMessage } from '../protocol/generated/relaycast/v1/NodeMessage';
import type { SessionMessage__Output } from '../protocol/generated/relaycast/v1/SessionMessage';
import type { ShardOrder__Output } from '../protocol/generated/relaycast/v1/ShardOrder';
import type { ShardRevoke__Output } from '../protocol/generated/relaycast/v1/ShardRevoke';
import type { ShardProgress } from '../protocol/generated/relaycast/v1/ShardProgress';
import { AgentCore, type AgentConfig, type AgentEvent, type Identity } from './core/agent';
import type { GatewaySender } from './gateway-client';

type SessionCall = grpc.ClientDuplexStream<NodeMessage, SessionMessage__Output>;

export interface AgentEvents {
  event: [AgentEvent];
  order: [ShardOrder__Output];
  revoke: [ShardRevoke__Output];
}

export class NodeAgent extends EventEmitter<AgentEvents> {
  readonly core: AgentCore;
  private readonly clients = new Map<string, NodeSessionClient>();
  private call: SessionCall | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped: (() => void) | undefined;
  /** Shard progress to carry on each liveness packet. */
  progressSource: () => ShardProgress[] = () => [];

  constructor(
    private readonly identity: Identity,
    config: AgentConfig,
    private readonly clock: Clock,
    random: () => number,
    private readonly log: Logger,
    /** How sessions to relays and the coordinator are secured (insecure: --plaintext). */
    private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {
    super();
    this.core = new AgentCore(config, clock, random);
  }

  get serving(): boolean {
    return this.core.serving;
  }

  /**
   * This lease as the gateway sees it. The expiry is converted to wall time
   * because the gateway runs in another process, where this process's
   * monotonic clock means nothing; rounded down so it never claims more.
   */
  sender(): GatewaySender {
    const { clusterId, nodeId, instanceId } = this.identity;
    const leftMs = this.core.leaseValidUntil - this.clock.monotonicMs();
    return { nodeKey: `${clusterId}/${nodeId}`, instanceId, leaseEpoch: this.core.leaseEpoch, leaseExpiresUnixMs: Math.max(0, Math.floor(this.clock.wallMs() + leftMs)) };
  }

  /** Report progress now rather than at the next heartbeat. */
  livenessSoon(): void {
    this.core.livenessSoon();
    this.core.tick();
    this.pump();
  }

  start(): void {
    this.core.start();
    this.pump();
  }

  /** Leave gracefully (bounded by `graceMs`), then close every channel. */
  async stop(graceMs: number): Promise<void> {
    const done = new Promise<void>((resolve) => (this.stopped = resolve));
    this.core.stop();
    this.pump();
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    this.core.onStreamEnded(0, 'stopped');
    this.pump();
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const client of this.clients.values()) client.close();
  }

  /** Apply the core's commands and events, then re-arm the timer. */
  private pump(): void {
    const { commands, events } = this.core.take();
    for (const command of commands) {
      switch (command.kind) {
        case 'connect':
          this.open(command.endpoint, command.leaseEpoch);
          break;
        case 'liveness':
          this.call?.write({ liveness: { seq: command.seq, leaseEpoch: command.leaseEpoch, progress: this.progressSource() } });
          break;
        case 'leave':
          this.call?.write({ leave: { leaseEpoch: command.leaseEpoch } });
          this.call?.end();
          break;
        case 'disconnect':
          this.closeCall();
          if (this.stopped !== undefined && !this.core.serving) this.stopped();
          break;
      }
    }
    for (const event of events) {
      this.logEvent(event);
      this.emit('event', event);
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    const wake = this.core.nextWakeMs();
    if (Number.isFinite(wake)) {
      this.timer = setTimeout(() => {
        this.core.tick();
        this.pump();
      }, Math.max(0, Math.ceil(wake - this.clock.monotonicMs())));
    }
  }

  private client(endpoint: string): NodeSessionClient {
    let client = this.clients.get(endpoint);
    if (client === undefined) {
      const v1 = relaycastV1();
      client = new v1.NodeSession(endpoint, this.credentials, {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        // Fail fast and let the agent pick the next endpoint.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
      });
      this.clients.set(endpoint, client);
    }
    return client;
  }

  private open(endpoint: string, leaseEpoch: number): void {
    this.closeCall();
    const call = this.client(endpoint).Session();
    this.call = call;
    const { clusterId, nodeId, instanceId, address, labels, capacityWeight } = this.identity;
    call.write({ attach: { register: { clusterId, nodeId, instanceId, address, labels, capacityWeight }, leaseEpoch } });
    call.on('data', (message: SessionMessage__Output) => {
      if (call !== this.call) return;
      if (message.msg === 'welcome' && message.welcome?.registration) {
        const r = message.welcome.registration;
        this.core.onWelcome(r.leaseEpoch, message.welcome.resumed, r.heartbeatIntervalMs, r.leaseTtlMs);
      } else if (message.msg === 'renewed' && message.renewed) {
        this.core.onRenewed(message.renewed.seq, message.renewed.leaseEpoch);
      } else if (message.msg === 'lost' && message.lost) {
        this.core.onLeaseLost(message.lost.leaseEpoch, message.lost.reason, message.lost.drained);
      } else if (message.msg === 'order' && message.order) {
        this.emit('order', message.order);
      } else if (message.msg === 'revoke' && message.revoke) {
        this.emit('revoke', message.revoke);
      }
      this.pump();
    });
    const ended = (code: number, details: string) => {
      if (call !== this.call) return;
      this.call = undefined;
      this.core.onStreamEnded(code, details);
      this.pump();
    };
    call.on('error', (err: grpc.ServiceError) => ended(err.code ?? grpc.status.UNKNOWN, err.details ?? err.message));
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) ended(grpc.status.UNAVAILABLE, 'session ended by the server');
    });
  }

  private closeCall(): void {
    const call = this.call;
    this.call = undefined;
    if (call !== undefined) {
      call.removeAllListeners('data');
      call.on('error', () => undefined);
      call.cancel();
    }
  }

  private logEvent(event: AgentEvent): void {
    const base = { nodeKey: `${this.identity.clusterId}/${this.identity.nodeId}`, epoch: this.core.leaseEpoch };
    switch (event.kind) {
      case 'attached':
        return this.log.info({ ...base, endpoint: event.endpoint, epoch: event.epoch, resumed: event.resumed }, `attached via ${event.endpoint}`);
      case 'fenced':
        return this.log.warn({ ...base, reason: event.reason }, 'fenced: lease not valid, delivery stopped');
      case 'unfenced':
        return this.log.info(base, 'lease valid again, serving');
      case 'lease-lost':
        return this.log.warn({ ...base, epoch: event.epoch, reason: event.reason }, 'lease lost; registering again');
      case 'endpoint-failed':
        return this.log.warn({ ...base, endpoint: event.endpoint, reason: event.reason, retryInMs: event.retryInMs }, `endpoint ${event.endpoint} failed`);
      case 'fatal':
        return this.log.error({ ...base, reason: event.reason }, 'refused by the coordinator');
      case 'drained':
        return this.log.info(base, 'drained by an operator: every shard handed back');
    }
  }
}
