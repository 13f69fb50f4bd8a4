import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import { AgentCore, CODE, type AgentCommand, type AgentConfig, type AgentEvent } from './agent';

const UNAVAILABLE = 14;
const RELAY_A = 'relay-a:7100';
const RELAY_B = 'relay-b:7100';
const COORDINATOR = 'coordinator:7000';

const CONFIG: AgentConfig = {
  endpoints: [RELAY_A, RELAY_B, COORDINATOR],
  relayFailoverMs: 1000,
  reconnectBackoffMinMs: 1000,
  reconnectBackoffMaxMs: 4000,
};

/** What the coordinator announces in its welcome. */
const HEARTBEAT_MS = 500;
const LEASE_TTL_MS = 1500;

type Timed<T> = T & { at: number };

/** A small deterministic PRNG (mulberry32) for jitter checks. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function setup(overrides: Partial<AgentConfig> = {}, random: () => number = () => 0.5) {
  const clock = new ManualClock();
  const agent = new AgentCore({ ...CONFIG, ...overrides }, clock, random);

  const take = () => agent.take();

  const advanceTo = (ms: number): void => {
    expect(ms).toBeGreaterThanOrEqual(clock.monotonicMs());
    clock.advance(ms - clock.monotonicMs());
  };

  /**
   * Plays the shell: ticks at every nextWakeMs() up to and including `untilMs`,
   * then leaves the clock at `untilMs`. Returns what was produced, stamped with time.
   */
  const runUntil = (untilMs: number): { commands: Array<Timed<AgentCommand>>; events: Array<Timed<AgentEvent>> } => {
    const commands: Array<Timed<AgentCommand>> = [];
    const events: Array<Timed<AgentEvent>> = [];
    for (let wakeUps = 0; ; wakeUps++) {
      expect(wakeUps).toBeLessThan(10_000); // the agent must make progress at each wake-up
      const wake = agent.nextWakeMs();
      if (wake > untilMs) break;
      if (wake > clock.monotonicMs()) advanceTo(wake);
      agent.tick();
      const at = clock.monotonicMs();
      const taken = agent.take();
      commands.push(...taken.commands.map((c) => ({ ...c, at })));
      events.push(...taken.events.map((e) => ({ ...e, at })));
    }
    advanceTo(untilMs);
    return { commands, events };
  };

  /** start() and a welcome `afterMs` later; returns with the take() buffer empty. */
  const attach = (epoch = 1, afterMs = 0): void => {
    agent.start();
    advanceTo(clock.monotonicMs() + afterMs);
    agent.onWelcome(epoch, false, HEARTBEAT_MS, LEASE_TTL_MS);
    agent.take();
  };

  return { clock, agent, take, advanceTo, runUntil, attach };
}

describe('AgentCore: attach and liveness', () => {
  it('start connects to the first endpoint with lease epoch 0', () => {
    const { agent, take } = setup();

    agent.start();

    expect(take()).toEqual({ commands: [{ kind: 'connect', endpoint: RELAY_A, leaseEpoch: 0 }], events: [] });
    expect(agent.leaseEpoch).toBe(0);
    expect(agent.serving).toBe(false);
  });

  it('a welcome attaches, sends liveness at once, then one per heartbeat interval', () => {
    const { agent, take, advanceTo } = setup();
    agent.start();
    take();
    advanceTo(20);

    agent.onWelcome(1, false, HEARTBEAT_MS, LEASE_TTL_MS);

    const welcomed = take();
    expect(welcomed.events).toEqual([
      { kind: 'attached', endpoint: RELAY_A, epoch: 1, resumed: false },
      { kind: 'unfenced', epoch: 1 },
    ]);
    expect(welcomed.commands).toEqual([{ kind: 'liveness', seq: 1, leaseEpoch: 1 }]);
    expect(agent.serving).toBe(true);

    for (let seq = 2; seq <= 5; seq++) {
      const due = 20 + (seq - 1) * HEARTBEAT_MS;
      expect(agent.nextWakeMs()).toBe(due);
      advanceTo(due - 1);
      agent.tick();
      expect(take().commands).toEqual([]);
      advanceTo(due);
      agent.tick();
      expect(take().commands).toEqual([{ kind: 'liveness', seq, leaseEpoch: 1 }]);
      agent.onRenewed(seq, 1);
    }
  });

  it('the lease from the attach runs from when the attach was sent', () => {
    const { agent, attach } = setup();

    attach(1, 50); // connect sent at 0, welcome at 50

    expect(agent.leaseValidUntil).toBe(LEASE_TTL_MS);
  });
});

describe('AgentCore: lease and self-fencing', () => {
  it('a renewal of seq extends the lease to sendTime(seq) + leaseTtlMs; fenced exactly then, unfenced on a later renewal', () => {
    // Failover far away so that only the lease matters here; heartbeats every 400 ms
    // so that the lease expiry does not coincide with a heartbeat.
    const { agent, take, advanceTo, runUntil } = setup({ relayFailoverMs: 10_000 });
    agent.start();
    advanceTo(50);
    agent.onWelcome(1, false, 400, LEASE_TTL_MS); // seq 1 sent at 50
    take();
    expect(runUntil(450).commands).toEqual([{ at: 450, kind: 'liveness', seq: 2, leaseEpoch: 1 }]);

    advanceTo(500);
    agent.onRenewed(2, 1);
    expect(agent.leaseValidUntil).toBe(450 + LEASE_TTL_MS); // 1950
    expect(take().events).toEqual([]); // already serving

    const beforeExpiry = runUntil(1949);
    expect(beforeExpiry.commands.map((c) => c.at)).toEqual([850, 1250, 1650]);
    expect(beforeExpiry.events).toEqual([]);
    expect(agent.serving).toBe(true);
    expect(agent.nextWakeMs()).toBe(1950); // the shell wakes for the expiry

    advanceTo(1950);
    expect(agent.serving).toBe(false);
    agent.tick();
    expect(take()).toEqual({ commands: [], events: [{ kind: 'fenced', reason: 'lease expired without renewal' }] });

    expect(runUntil(2100).commands).toEqual([{ at: 2050, kind: 'liveness', seq: 6, leaseEpoch: 1 }]);
    agent.onRenewed(5, 1); // seq 5 was sent at 1650
    expect(agent.leaseValidUntil).toBe(1650 + LEASE_TTL_MS);
    expect(agent.serving).toBe(true);
    expect(take().events).toEqual([{ kind: 'unfenced', epoch: 1 }]);

    // Renewals are cumulative: an older seq is forgotten and changes nothing.
    agent.onRenewed(4, 1);
    expect(agent.leaseValidUntil).toBe(1650 + LEASE_TTL_MS);
  });

  it('ignores a renewal for an unknown seq or another epoch', () => {
    const { agent, take, advanceTo, runUntil, attach } = setup();
    attach(1); // seq 1 at 0; lease until 1500
    runUntil(500); // seq 2 at 500
    advanceTo(600);

    agent.onRenewed(99, 1);
    agent.onRenewed(2, 2);
    agent.onRenewed(2, 0);

    expect(agent.leaseValidUntil).toBe(1500);
    expect(take()).toEqual({ commands: [], events: [] });
    // Ignored renewals do not count against the failover timer either.
    expect(agent.nextWakeMs()).toBe(1000);

    agent.onRenewed(2, 1);
    expect(agent.leaseValidUntil).toBe(500 + LEASE_TTL_MS);
    expect(agent.nextWakeMs()).toBe(1000); // next heartbeat; failover now at 1600
  });

  it('onLeaseLost with the current epoch fences at once; a stale one is ignored', () => {
    const { agent, take, advanceTo, attach } = setup();
    attach(2);
    advanceTo(100);

    agent.onLeaseLost(1, 'old epoch');
    expect(take()).toEqual({ commands: [], events: [] });
    expect(agent.serving).toBe(true);

    agent.onLeaseLost(2, 'declared DOWN');

    expect(agent.serving).toBe(false);
    expect(agent.leaseEpoch).toBe(0);
    expect(agent.leaseValidUntil).toBe(0);
    expect(take().events).toEqual([
      { kind: 'lease-lost', epoch: 2, reason: 'declared DOWN' },
      { kind: 'fenced', reason: 'lease lost' },
    ]);

    // The coordinator then closes the stream with FAILED_PRECONDITION: register anew, same endpoint.
    agent.onStreamEnded(CODE.FAILED_PRECONDITION, 'lease lost: declared DOWN');
    expect(take()).toEqual({ commands: [{ kind: 'connect', endpoint: RELAY_A, leaseEpoch: 0 }], events: [] });
  });
});

describe('AgentCore: failover and backoff', () => {
  it('fails over to the NEXT endpoint after relayFailoverMs without renewal, keeping the epoch', () => {
    const { agent, take, runUntil, attach } = setup();
    attach(3); // at 0

    const quiet = runUntil(999);
    expect(quiet.commands).toEqual([{ at: 500, kind: 'liveness', seq: 2, leaseEpoch: 3 }]);
    expect(quiet.events).toEqual([]);

    const failover = runUntil(1000);
    expect(failover.commands).toEqual([
      { at: 1000, kind: 'disconnect', reason: expect.stringContaining('no lease renewal') },
      { at: 1000, kind: 'connect', endpoint: RELAY_B, leaseEpoch: 3 },
    ]);
    expect(failover.events).toEqual([{ at: 1000, kind: 'endpoint-failed', endpoint: RELAY_A, reason: expect.any(String), retryInMs: 0 }]);
    expect(agent.leaseEpoch).toBe(3);
    expect(agent.endpoint).toBe(RELAY_B);
    // The lease (until 1500) is still valid while reconnecting.
    expect(agent.serving).toBe(true);

    agent.onWelcome(3, true, HEARTBEAT_MS, LEASE_TTL_MS);
    expect(take().events).toContainEqual({ kind: 'attached', endpoint: RELAY_B, epoch: 3, resumed: true });
  });

  it('fails over when no welcome arrives within relayFailoverMs of connecting', () => {
    const { agent, take, runUntil } = setup();
    agent.start();
    take();

    expect(runUntil(999).commands).toEqual([]);
    expect(runUntil(1000).commands).toEqual([
      { at: 1000, kind: 'disconnect', reason: expect.stringContaining('no welcome') },
      { at: 1000, kind: 'connect', endpoint: RELAY_B, leaseEpoch: 0 },
    ]);
  });

  it('a working session that breaks is tried once more at the same endpoint, then the next one at once', () => {
    const { agent, take, attach } = setup();
    attach(1);

    agent.onStreamEnded(UNAVAILABLE, 'connection reset');
    expect(take()).toEqual({
      commands: [
        { kind: 'disconnect', reason: 'connection reset' },
        { kind: 'connect', endpoint: RELAY_A, leaseEpoch: 1 },
      ],
      events: [{ kind: 'endpoint-failed', endpoint: RELAY_A, reason: 'connection reset', retryInMs: 0 }],
    });

    agent.onStreamEnded(UNAVAILABLE, 'connection refused');
    const { commands, events } = take();
    expect(commands).toEqual([
      { kind: 'disconnect', reason: 'connection refused' },
      { kind: 'connect', endpoint: RELAY_B, leaseEpoch: 1 },
    ]);
    expect(events).toEqual([{ kind: 'endpoint-failed', endpoint: RELAY_A, reason: 'connection refused', retryInMs: 0 }]);
  });

  it('after every endpoint failed once, backs off before retrying the first', () => {
    const { agent, take, runUntil } = setup(); // random 0.5 → 3/4 of the ceiling
    agent.start();
    take();

    agent.onStreamEnded(UNAVAILABLE, 'a down');
    agent.onStreamEnded(UNAVAILABLE, 'b down');
    expect(take().commands).toEqual([
      { kind: 'disconnect', reason: 'a down' },
      { kind: 'connect', endpoint: RELAY_B, leaseEpoch: 0 },
      { kind: 'disconnect', reason: 'b down' },
      { kind: 'connect', endpoint: COORDINATOR, leaseEpoch: 0 },
    ]);

    agent.onStreamEnded(UNAVAILABLE, 'coordinator down');
    const backingOff = take();
    expect(backingOff.commands).toEqual([{ kind: 'disconnect', reason: 'coordinator down' }]);
    expect(backingOff.events).toEqual([{ kind: 'endpoint-failed', endpoint: COORDINATOR, reason: 'coordinator down', retryInMs: 750 }]);
    expect(agent.nextWakeMs()).toBe(750);

    expect(runUntil(749).commands).toEqual([]);
    expect(runUntil(750).commands).toEqual([{ at: 750, kind: 'connect', endpoint: RELAY_A, leaseEpoch: 0 }]);
  });

  it('the backoff ceiling doubles per failed cycle up to reconnectBackoffMaxMs', () => {
    const { agent, take, runUntil, clock } = setup();
    agent.start();
    take();

    const delays: number[] = [];
    for (let cycle = 0; cycle < 5; cycle++) {
      for (let i = 0; i < CONFIG.endpoints.length; i++) agent.onStreamEnded(UNAVAILABLE, 'down');
      const last = take().events.at(-1);
      if (last?.kind !== 'endpoint-failed') throw new Error(`expected endpoint-failed, got ${JSON.stringify(last)}`);
      delays.push(last.retryInMs);
      runUntil(clock.monotonicMs() + last.retryInMs); // the retry connects to the first endpoint again
      take();
    }

    // Ceilings 1000, 2000, 4000, 4000, 4000; random 0.5 gives 3/4 of each.
    expect(delays).toEqual([750, 1500, 3000, 3000, 3000]);
  });

  it('jitter keeps every delay within [ceiling/2, ceiling]', () => {
    for (const random of [() => 0, () => 0.999_999, seededRandom(42)]) {
      const { agent, take, runUntil, clock } = setup({}, random);
      agent.start();
      take();
      for (let cycle = 0; cycle < 8; cycle++) {
        const ceiling = Math.min(CONFIG.reconnectBackoffMaxMs, CONFIG.reconnectBackoffMinMs * 2 ** cycle);
        for (let i = 0; i < CONFIG.endpoints.length; i++) agent.onStreamEnded(UNAVAILABLE, 'down');
        take();
        const retryAt = agent.nextWakeMs();
        const delay = retryAt - clock.monotonicMs();
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(runUntil(retryAt - 1).commands.filter((c) => c.kind === 'connect')).toEqual([]);
        expect(runUntil(retryAt).commands.filter((c) => c.kind === 'connect')).toHaveLength(1);
        take();
      }
    }
  });

  it('a welcome resets the backoff', () => {
    const { agent, take, runUntil, clock } = setup();
    agent.start();
    for (let cycle = 0; cycle < 2; cycle++) {
      for (let i = 0; i < CONFIG.endpoints.length; i++) agent.onStreamEnded(UNAVAILABLE, 'down');
      runUntil(agent.nextWakeMs());
    }
    agent.onWelcome(1, false, HEARTBEAT_MS, LEASE_TTL_MS);
    take();

    // The first failure retries the endpoint that worked; then one failure per endpoint.
    for (let i = 0; i < CONFIG.endpoints.length + 1; i++) agent.onStreamEnded(UNAVAILABLE, 'down');

    expect(agent.nextWakeMs() - clock.monotonicMs()).toBe(750);
  });
});

describe('AgentCore: refusals and stop', () => {
  it('FAILED_PRECONDITION drops the lease and registers anew (epoch 0) on the same endpoint', () => {
    const { agent, take, attach } = setup();
    attach(3);

    agent.onStreamEnded(CODE.FAILED_PRECONDITION, 'c/n1 is DOWN; its lease is gone');

    expect(take()).toEqual({
      commands: [{ kind: 'connect', endpoint: RELAY_A, leaseEpoch: 0 }],
      events: [
        { kind: 'lease-lost', epoch: 3, reason: 'c/n1 is DOWN; its lease is gone' },
        { kind: 'fenced', reason: 'lease lost' },
      ],
    });
    expect(agent.leaseEpoch).toBe(0);
    expect(agent.serving).toBe(false);

    agent.onWelcome(4, false, HEARTBEAT_MS, LEASE_TTL_MS);
    expect(agent.serving).toBe(true);
    expect(take().events).toContainEqual({ kind: 'attached', endpoint: RELAY_A, epoch: 4, resumed: false });
  });

  it('INVALID_ARGUMENT is fatal: fatal event, stopped, nothing more', () => {
    const { agent, take, runUntil, attach } = setup();
    attach(1);

    agent.onStreamEnded(CODE.INVALID_ARGUMENT, 'node_id has illegal characters');

    const { commands, events } = take();
    expect(commands).toEqual([{ kind: 'disconnect', reason: 'node_id has illegal characters' }]);
    expect(events).toContainEqual({ kind: 'fatal', reason: 'node_id has illegal characters' });
    expect(agent.serving).toBe(false);
    expect(agent.nextWakeMs()).toBe(Number.POSITIVE_INFINITY);

    agent.onStreamEnded(UNAVAILABLE, 'late');
    agent.onWelcome(1, false, HEARTBEAT_MS, LEASE_TTL_MS);
    agent.tick();
    expect(take()).toEqual({ commands: [], events: [] });
    expect(runUntil(60_000)).toEqual({ commands: [], events: [] });
  });

  it('stop() when attached sends leave; the stream end then stops the agent for good', () => {
    const { agent, take, runUntil, attach } = setup();
    attach(2);

    agent.stop();
    expect(take().commands).toEqual([{ kind: 'leave', leaseEpoch: 2 }]);

    agent.onStreamEnded(CODE.OK, 'left');
    const ended = take();
    expect(ended.commands).toEqual([{ kind: 'disconnect', reason: 'left' }]);
    expect(ended.events).toEqual([{ kind: 'fenced', reason: expect.any(String) }]);
    expect(agent.serving).toBe(false);
    expect(agent.nextWakeMs()).toBe(Number.POSITIVE_INFINITY);

    agent.tick();
    agent.onRenewed(1, 2);
    agent.onStreamEnded(UNAVAILABLE, 'late');
    expect(take()).toEqual({ commands: [], events: [] });
    expect(runUntil(60_000)).toEqual({ commands: [], events: [] });
  });

  it('stop() when not attached stops at once', () => {
    const { agent, take } = setup();
    agent.start();
    take();

    agent.stop();

    expect(take().commands).toEqual([{ kind: 'disconnect', reason: 'stopped' }]);
    expect(agent.nextWakeMs()).toBe(Number.POSITIVE_INFINITY);
  });
});
