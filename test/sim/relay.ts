/**
 * A relay in the simulator: the real Aggregator core with a shell that does
 * what relay/relay.ts does — one upstream link with back-off, a flush timer,
 * leaf sessions — over simulated connections.
 */
import { Aggregator, type AggregatorConfig, type LeafAction } from '../../relay/core/aggregator';
import { backoffDelayMs } from '../../platform/backoff';
import type { SimCoordinator } from './coordinator';
import type { NodeUp, RelayDown, RelayUp, SessionDown } from './messages';
import { CODES } from './messages';
import { Proc, type Conn, type ConnEnd, type World } from './world';

export interface SimRelayConfig {
  aggregator: AggregatorConfig;
  flushMs: number;
  reconnectBackoffMinMs: number;
  reconnectBackoffMaxMs: number;
}

export class SimRelay {
  readonly proc: Proc;
  private aggregator!: Aggregator;
  private link: Conn<RelayUp, RelayDown> | undefined;
  private linked = false;
  private attempts = 0;
  private sessions = new Map<number, Conn<NodeUp, SessionDown>>();
  private nextSessionId = 1;
  private instance = 0;

  constructor(
    readonly id: string,
    private readonly world: World,
    private readonly coordinator: SimCoordinator,
    private readonly config: SimRelayConfig,
  ) {
    this.proc = new Proc(`relay-${id}`);
  }

  start(): void {
    this.instance += 1;
    this.aggregator = new Aggregator(this.config.aggregator, this.world.clock);
    this.sessions = new Map();
    this.linked = false;
    this.link = undefined;
    this.connect();
    this.flushLoop();
  }

  crash(): void {
    this.world.crash(this.proc);
  }

  restart(): void {
    this.world.restart(this.proc);
    this.start();
  }

  /** A node opened a session to this relay. */
  acceptLeaf(conn: Conn<NodeUp, SessionDown>): ConnEnd<NodeUp> {
    const sessionId = this.nextSessionId++;
    this.sessions.set(sessionId, conn);
    return {
      message: (m) => {
        this.aggregator.onLeafMessage(sessionId, m);
        this.apply(this.aggregator.take());
      },
      closed: () => {
        if (this.sessions.get(sessionId) !== conn) return;
        this.sessions.delete(sessionId);
        this.aggregator.onLeafClosed(sessionId);
        this.apply(this.aggregator.take());
      },
    };
  }

  private flushLoop(): void {
    this.flush();
    this.world.after(this.config.flushMs, this.proc, () => this.flushLoop());
  }

  private connect(): void {
    const { clusterId, instanceId } = { clusterId: 'sim', instanceId: `${this.id}-i${this.instance}` };
    const link = this.world.connect<RelayUp, RelayDown>(
      this.proc,
      this.coordinator.proc,
      {
        atB: (conn) => this.coordinator.acceptRelay(conn),
        atA: {
          message: (down) => {
            if (link !== this.link) return;
            if ('welcome' in down) {
              this.linked = true;
              this.attempts = 0;
              this.aggregator.onUpstreamReady();
              this.flush();
            } else if ('batchAck' in down) {
              this.aggregator.onBatchAck(down.batchAck);
              this.apply(this.aggregator.take());
            } else {
              this.lost();
            }
          },
          closed: () => {
            if (link === this.link) this.lost();
          },
        },
      },
      () => {
        if (link === this.link) this.lost();
      },
    );
    this.link = link;
    link.toB({ hello: { clusterId, relayId: this.id, instanceId } });
  }

  private lost(): void {
    this.link?.reset(this.proc);
    this.link = undefined;
    this.linked = false;
    this.aggregator.onUpstreamLost();
    const delay = backoffDelayMs(this.attempts++, this.config.reconnectBackoffMinMs, this.config.reconnectBackoffMaxMs, this.world.random);
    this.world.after(delay, this.proc, () => this.connect());
  }

  private flush(): void {
    if (!this.linked || this.link === undefined) return;
    const batch = this.aggregator.flush();
    if (batch !== undefined) this.link.toB({ batch });
  }

  private apply(actions: LeafAction[]): void {
    for (const action of actions) {
      const conn = this.sessions.get(action.sessionId);
      if (conn === undefined) continue;
      const down: SessionDown = {};
      if (action.message !== undefined) down.message = action.message;
      if (action.close !== undefined) down.close = action.close;
      conn.toA(down);
      if (action.close !== undefined) {
        this.sessions.delete(action.sessionId);
        this.aggregator.onLeafClosed(action.sessionId);
        conn.reset(this.proc, action.close.message);
      }
    }
  }
}

export { CODES };
