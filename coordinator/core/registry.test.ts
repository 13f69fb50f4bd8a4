import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import type { ErrorCode, Result } from '../../protocol/errors';
import type { BatchOp } from '../../platform/store/store';
import {
  eventKey,
  KEY_MEMBER,
  KEY_META_REVISION,
  MEMBERS_FORGOTTEN_PER_TICK_MAX,
  Registry,
  type EventTypeName,
  type MemberKindName,
  type MemberRecord,
  type RegisterInput,
  type RegistryConfig,
} from './registry';

const CONFIG: RegistryConfig = {
  heartbeatIntervalMs: 500,
  suspectAfterMs: 1000,
  downAfterMs: 2000,
  leaseTtlMs: 1500,
  disconnectedDownMarginMs: 100,
  relayGraceMs: 3000,
  restartGraceMs: 3000,
  eventsRetainedMax: 1000,
  // Long: the tests move the clock in jumps, which are not coordinator stalls.
  failureCheckIntervalMs: 10_000,
};

const RELAY_ROUTE = 'relay:c/r1';

/**
 * The registry under test, checking its indexes (liveness, relay set, leaf
 * indexes, gone list) after every public call: each test below doubles as
 * a test that they hold live members only, whatever it does.
 */
function checked(registry: Registry): Registry {
  return new Proxy(registry, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || name === 'checkIndexes') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        target.checkIndexes();
        return result;
      };
    },
  });
}

function setup(overrides: Partial<RegistryConfig> = {}, startMs = 0): { clock: ManualClock; registry: Registry } {
  const clock = new ManualClock(startMs);
  return { clock, registry: checked(new Registry({ ...CONFIG, ...overrides }, clock)) };
}

function input(memberId: string, overrides: Partial<RegisterInput> = {}): RegisterInput {
  return {
    clusterId: 'c',
    memberId,
    address: `${memberId}.local:7000`,
    labels: [{ key: 'zone', value: 'a' }],
    capacityWeight: 10,
    instanceId: `${memberId}-instance-1`,
    ...overrides,
  };
}

function expectOk<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function expectError<T>(result: Result<T>, code: ErrorCode): string {
  if (result.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(result.value)}`);
  expect(result.error.code).toBe(code);
  return result.error.message;
}

/** Registers a fresh member (lease epoch 0) and returns its key. */
function register(registry: Registry, memberId: string, route = `direct:${memberId}`, kind: MemberKindName = 'NODE'): string {
  return expectOk(registry.attach(kind, input(memberId), 0, route)).key;
}

/** Moves the clock to `atMs` and runs one failure-detection pass. */
function tickAt(clock: ManualClock, registry: Registry, atMs: number): void {
  clock.advance(atMs - clock.monotonicMs());
  registry.tick();
}

/** "TYPE key" for each event produced since the last takeEffects(). */
function events(registry: Registry): string[] {
  return registry.takeEffects().events.map((e) => `${e.type} ${e.member.key}`);
}

/**
 * Ticks every millisecond up to and including `untilMs` (a shell that checks
 * often), calling `beforeTick` first at each step; returns when each event happened.
 */
function tickEveryMs(
  clock: ManualClock,
  registry: Registry,
  untilMs: number,
  beforeTick: (nowMs: number) => void = () => undefined,
): Array<{ atMs: number; type: EventTypeName; key: string; reason: string }> {
  const seen: Array<{ atMs: number; type: EventTypeName; key: string; reason: string }> = [];
  while (clock.monotonicMs() < untilMs) {
    clock.advance(1);
    const now = clock.monotonicMs();
    beforeTick(now);
    registry.tick();
    for (const e of registry.takeEffects().events) seen.push({ atMs: now, type: e.type, key: e.member.key, reason: e.reason });
  }
  return seen;
}

function downAt(seen: Array<{ atMs: number; type: EventTypeName; key: string }>, key: string): number | undefined {
  return seen.find((e) => e.type === 'DOWN' && e.key === key)?.atMs;
}

function putKeys(ops: BatchOp[]): string[] {
  return ops.filter((op) => op.type === 'put').map((op) => op.key);
}

function delKeys(ops: BatchOp[]): string[] {
  return ops.filter((op) => op.type === 'del').map((op) => op.key);
}

describe('Registry: register', () => {
  it('registers a new member with epoch 1 and emits REGISTERED at revision 1', () => {
    const { clock, registry } = setup();

    const registration = expectOk(registry.attach('NODE', input('n1'), 0, 'direct:1'));

    expect(registration).toEqual({ key: 'c/n1', epoch: 1, revision: 1, resumed: false });
    const effects = registry.takeEffects();
    expect(effects.events).toHaveLength(1);
    const [event] = effects.events;
    expect(event).toMatchObject({ revision: 1, type: 'REGISTERED', atUnixMs: clock.wallMs() });
    expect(event!.member).toMatchObject({
      key: 'c/n1',
      clusterId: 'c',
      memberId: 'n1',
      kind: 'NODE',
      instanceId: 'n1-instance-1',
      address: 'n1.local:7000',
      labels: [{ key: 'zone', value: 'a' }],
      capacityWeight: 10,
      epoch: 1,
      state: 'ALIVE',
      stateRevision: 1,
    });
    expect(effects.send).toEqual([]);
    expect(registry.get('c/n1')?.state).toBe('ALIVE');
    expect(registry.currentRevision).toBe(1);
    expect(registry.size).toBe(1);
  });

  it('persists the member, the event under a 16-digit revision key, and meta/revision', () => {
    const { registry } = setup();
    register(registry, 'n1');

    const { persist } = registry.takeEffects();

    expect(eventKey(1)).toBe('e/0000000000000001');
    expect(putKeys(persist)).toEqual(['m/c/n1', 'e/0000000000000001', KEY_META_REVISION]);
    const value = (key: string): unknown => {
      const op = persist.find((o) => o.key === key);
      return op?.type === 'put' ? JSON.parse(op.value) : undefined;
    };
    expect(value('m/c/n1')).toMatchObject({ key: 'c/n1', epoch: 1, state: 'ALIVE' });
    expect(value('e/0000000000000001')).toMatchObject({ revision: 1, type: 'REGISTERED', member: { key: 'c/n1' } });
    expect(value(KEY_META_REVISION)).toEqual({ revision: 1, firstRetained: 1 });
  });

  it('treats a re-register by the same instance as idempotent: same epoch, no event, nothing to persist', () => {
    const { registry } = setup();
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();

    const again = expectOk(registry.attach('NODE', input('n1'), 0, 'direct:1'));

    expect(again).toEqual({ key: 'c/n1', epoch: 1, revision: 1, resumed: true });
    expect(registry.takeEffectsPending()).toBe(false);
    expect(registry.takeEffects()).toEqual({ persist: [], events: [], send: [] });
  });

  it('refuses another instance while the lease is live with ALREADY_EXISTS', () => {
    const { registry } = setup();
    register(registry, 'n1');
    registry.takeEffects();

    const other = registry.attach('NODE', input('n1', { instanceId: 'n1-instance-2' }), 0, 'direct:2');

    expect(expectError(other, 'ALREADY_EXISTS')).toContain('c/n1');
    expect(registry.get('c/n1')?.instanceId).toBe('n1-instance-1');
    expect(registry.takeEffectsPending()).toBe(false);
  });

  it('refuses to register a relay id as a node (ids are unique per cluster)', () => {
    const { registry } = setup();
    register(registry, 'r1', RELAY_ROUTE, 'RELAY');
    registry.takeEffects();

    expectError(registry.attach('NODE', input('r1'), 0, 'direct:1'), 'ALREADY_EXISTS');
    expect(registry.takeEffectsPending()).toBe(false);
  });

  it('stores capacity weight 0 as the default weight 1', () => {
    const { registry } = setup();
    expectOk(registry.attach('NODE', input('n1', { capacityWeight: 0 }), 0, 'direct:1'));
    expect(registry.get('c/n1')?.capacityWeight).toBe(1);
  });
});

describe('Registry: failure detection', () => {
  it('turns ALIVE into SUSPECT exactly at suspectAfterMs of silence, not 1 ms before', () => {
    const { clock, registry } = setup();
    register(registry, 'n1');
    registry.takeEffects();

    tickAt(clock, registry, 999);
    expect(events(registry)).toEqual([]);
    expect(registry.get('c/n1')?.state).toBe('ALIVE');

    tickAt(clock, registry, 1000);
    expect(events(registry)).toEqual(['SUSPECT c/n1']);
    expect(registry.get('c/n1')?.state).toBe('SUSPECT');
  });

  it('turns SUSPECT into DOWN exactly at downAfterMs of silence, not 1 ms before', () => {
    const { clock, registry } = setup();
    register(registry, 'n1');
    tickAt(clock, registry, 1000);
    registry.takeEffects();

    tickAt(clock, registry, 1999);
    expect(events(registry)).toEqual([]);

    tickAt(clock, registry, 2000);
    const effects = registry.takeEffects();
    expect(effects.events.map((e) => [e.type, e.member.state, e.revision])).toEqual([['DOWN', 'DOWN', 3]]);
    expect(registry.get('c/n1')?.state).toBe('DOWN');
    expect(registry.ageMs('c/n1')).toBeUndefined();
  });

  it('sends a lost message to the route of a member declared DOWN', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', 'direct:7');
    tickAt(clock, registry, 1000);
    registry.takeEffects();

    tickAt(clock, registry, 2000);

    expect(registry.takeEffects().send).toEqual([
      { route: 'direct:7', key: 'c/n1', message: { kind: 'lost', epoch: 1, reason: expect.stringContaining('no liveness') } },
    ]);
  });

  it('declares a member DOWN even when a coarse tick skips the SUSPECT window', () => {
    const { clock, registry } = setup();
    register(registry, 'n1');
    registry.takeEffects();

    tickAt(clock, registry, 2000);

    expect(events(registry)).toEqual(['DOWN c/n1']);
  });

  it('recovers a SUSPECT member on a heartbeat', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', 'direct:1');
    tickAt(clock, registry, 1000);
    registry.takeEffects();

    clock.advance(500);
    expectOk(registry.heartbeat('c/n1', 1, 0, 'direct:1'));

    const effects = registry.takeEffects();
    expect(effects.events.map((e) => [e.type, e.member.state])).toEqual([['RECOVERED', 'ALIVE']]);
    expect(registry.get('c/n1')?.state).toBe('ALIVE');
    // Silence is measured from the heartbeat again.
    tickAt(clock, registry, 2499);
    expect(events(registry)).toEqual([]);
    tickAt(clock, registry, 2500);
    expect(events(registry)).toEqual(['SUSPECT c/n1']);
  });

  it('counts a heartbeat with ageMs as received that much earlier', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', RELAY_ROUTE);
    registry.takeEffects();

    clock.advance(900);
    expectOk(registry.heartbeat('c/n1', 1, 400, RELAY_ROUTE));
    expect(registry.ageMs('c/n1')).toBe(400);

    // Last seen at 900 - 400 = 500: SUSPECT at 1500.
    tickAt(clock, registry, 1499);
    expect(events(registry)).toEqual([]);
    tickAt(clock, registry, 1500);
    expect(events(registry)).toEqual(['SUSPECT c/n1']);
  });

  it('never moves last-seen backwards for an older packet', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', RELAY_ROUTE);

    clock.advance(900);
    expectOk(registry.heartbeat('c/n1', 1, 0, RELAY_ROUTE));
    clock.advance(50);
    expectOk(registry.heartbeat('c/n1', 1, 600, RELAY_ROUTE));

    expect(registry.ageMs('c/n1')).toBe(50);
  });

  it('rejects a heartbeat after DOWN; registering anew gives epoch 2 and REGISTERED', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', 'direct:1');
    tickAt(clock, registry, 2000);
    registry.takeEffects();

    expectError(registry.heartbeat('c/n1', 1, 0, 'direct:1'), 'FAILED_PRECONDITION');
    expectError(registry.attach('NODE', input('n1'), 1, 'direct:2'), 'FAILED_PRECONDITION');
    expect(registry.takeEffectsPending()).toBe(false);

    const again = expectOk(registry.attach('NODE', input('n1'), 0, 'direct:2'));

    expect(again).toMatchObject({ key: 'c/n1', epoch: 2, resumed: false });
    const effects = registry.takeEffects();
    expect(effects.events.map((e) => [e.type, e.member.epoch, e.member.state])).toEqual([['REGISTERED', 2, 'ALIVE']]);
    expect(effects.send).toEqual([]);
    expectError(registry.heartbeat('c/n1', 1, 0, 'direct:2'), 'FAILED_PRECONDITION');
    expectOk(registry.heartbeat('c/n1', 2, 0, 'direct:2'));
  });

  it('lets another instance take over an id once its lease is DOWN', () => {
    const { clock, registry } = setup();
    register(registry, 'n1');
    tickAt(clock, registry, 2000);
    registry.takeEffects();

    const taken = expectOk(registry.attach('NODE', input('n1', { instanceId: 'n1-instance-2' }), 0, 'direct:2'));

    expect(taken.epoch).toBe(2);
    expect(registry.get('c/n1')?.instanceId).toBe('n1-instance-2');
  });

  it('rejects resuming or heartbeating with a stale epoch', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', 'direct:1');
    tickAt(clock, registry, 2000);
    register(registry, 'n1', 'direct:2'); // epoch 2
    registry.takeEffects();

    expect(expectError(registry.attach('NODE', input('n1'), 1, 'direct:3'), 'FAILED_PRECONDITION')).toContain('stale');
    expectError(registry.heartbeat('c/n1', 1, 0, 'direct:2'), 'FAILED_PRECONDITION');
    expectError(registry.leave('c/n1', 'n1-instance-1', 1), 'FAILED_PRECONDITION');
    expect(registry.takeEffects()).toEqual({ persist: [], events: [], send: [] });
    expect(registry.get('c/n1')).toMatchObject({ epoch: 2, state: 'ALIVE' });
  });

  it('resumes a live lease with its current epoch', () => {
    const { registry } = setup();
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();

    expect(expectOk(registry.attach('NODE', input('n1'), 1, 'direct:1'))).toMatchObject({ epoch: 1, resumed: true });
    expect(registry.takeEffects().events).toEqual([]);
  });

  it('answers NOT_FOUND for a heartbeat from an unknown member', () => {
    const { registry } = setup();
    expectError(registry.heartbeat('c/ghost', 1, 0, 'direct:1'), 'NOT_FOUND');
  });
});

describe('Registry: leave and drain', () => {
  it('leave emits LEFT and stops failure detection for the member', () => {
    const { clock, registry } = setup();
    register(registry, 'n1');
    registry.takeEffects();

    expect(expectOk(registry.leave('c/n1', 'n1-instance-1', 1))).toBe(2);

    expect(events(registry)).toEqual(['LEFT c/n1']);
    expect(registry.get('c/n1')?.state).toBe('LEFT');
    tickAt(clock, registry, 10_000);
    expect(events(registry)).toEqual([]);
    expectError(registry.heartbeat('c/n1', 1, 0, 'direct:n1'), 'FAILED_PRECONDITION');
  });

  it('leave by another instance is PERMISSION_DENIED', () => {
    const { registry } = setup();
    register(registry, 'n1');
    registry.takeEffects();

    expectError(registry.leave('c/n1', 'someone-else', 1), 'PERMISSION_DENIED');
    expect(registry.get('c/n1')?.state).toBe('ALIVE');
    expect(registry.takeEffectsPending()).toBe(false);
  });

  it('drain emits DRAINING once; the member stays live and still goes DOWN when silent', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();

    expectOk(registry.drain('c/n1', 'operator asked'));
    const effects = registry.takeEffects();
    expect(effects.events.map((e) => [e.type, e.member.state, e.reason])).toEqual([['DRAINING', 'DRAINING', 'operator asked']]);

    expectOk(registry.drain('c/n1', 'again'));
    expect(events(registry)).toEqual([]);
    expectOk(registry.heartbeat('c/n1', 1, 0, 'direct:1'));

    tickAt(clock, registry, 1999);
    expect(events(registry)).not.toContain('DOWN c/n1');
    tickAt(clock, registry, 2000);
    expect(events(registry)).toContain('DOWN c/n1');
  });

  it('drain of a DOWN member fails with FAILED_PRECONDITION', () => {
    const { clock, registry } = setup();
    register(registry, 'n1');
    tickAt(clock, registry, 2000);
    registry.takeEffects();

    expectError(registry.drain('c/n1', 'too late'), 'FAILED_PRECONDITION');
    expect(registry.takeEffectsPending()).toBe(false);
  });
});

describe('Registry: relay grace', () => {
  it('does not declare a leaf of a silent relay DOWN before relayGraceMs after the relay went SUSPECT', () => {
    const { clock, registry } = setup();
    register(registry, 'r1', RELAY_ROUTE, 'RELAY');
    register(registry, 'n1', RELAY_ROUTE); // carried by relay c/r1
    register(registry, 'n2', 'direct:n2'); // direct session
    registry.takeEffects();

    // Everyone falls silent at 0 (the relay died, and so did n2).
    const seen = tickEveryMs(clock, registry, 6000);

    expect(seen.find((e) => e.type === 'SUSPECT' && e.key === 'c/r1')?.atMs).toBe(1000);
    expect(downAt(seen, 'c/r1')).toBe(2000);
    expect(downAt(seen, 'c/n2')).toBe(2000); // the direct node is detected on time
    const leafDown = downAt(seen, 'c/n1');
    expect(leafDown).toBeDefined();
    expect(leafDown!).toBeGreaterThanOrEqual(1000 + CONFIG.relayGraceMs);
    // ...but it is still detected: at the latest relayGraceMs after the relay itself went DOWN.
    expect(leafDown!).toBeLessThanOrEqual(2000 + CONFIG.relayGraceMs);
  });

  it('keeps a leaf that reappears through another relay within the grace period', () => {
    const { clock, registry } = setup();
    register(registry, 'r1', RELAY_ROUTE, 'RELAY');
    register(registry, 'n1', RELAY_ROUTE);
    registry.takeEffects();

    const seen = tickEveryMs(clock, registry, 8000, (now) => {
      if (now === 3500) {
        const resumed = expectOk(registry.attach('NODE', input('n1'), 1, 'relay:c/r2'));
        expect(resumed).toMatchObject({ epoch: 1, resumed: true });
      } else if (now > 3500 && now % 500 === 0) {
        expectOk(registry.heartbeat('c/n1', 1, 0, 'relay:c/r2'));
      }
    });

    expect(downAt(seen, 'c/r1')).toBe(2000);
    expect(seen.filter((e) => e.key === 'c/n1' && (e.type === 'DOWN' || e.type === 'SUSPECT'))).toEqual([]);
    expect(registry.get('c/n1')).toMatchObject({ state: 'ALIVE', epoch: 1 });
    expect(registry.relayOf('c/n1')).toBe('r2');
  });

  // BUG (registry.ts touch/forget): when a relay is declared DOWN, forget() drops its
  // leaf index, and touch() returns early when a leaf keeps using the same route, so
  // leaves still carried on `relay:<key>` are never indexed again. When the restarted
  // relay dies, they get no grace and are declared DOWN after plain downAfterMs.
  it('still grants grace to the leaves of a relay that was DOWN and re-registered on the same route', () => {
    const { clock, registry } = setup();
    register(registry, 'r1', RELAY_ROUTE, 'RELAY');
    register(registry, 'n1', RELAY_ROUTE);
    registry.takeEffects();

    const seen = tickEveryMs(clock, registry, 12_000, (now) => {
      if (now === 2500) {
        // A new relay instance takes over the id once the old one is DOWN; n1 comes back through it.
        expect(expectOk(registry.attach('RELAY', input('r1', { instanceId: 'r1-instance-2' }), 0, RELAY_ROUTE)).epoch).toBe(2);
        expectOk(registry.attach('NODE', input('n1'), 1, RELAY_ROUTE));
      } else if (now > 2500 && now <= 4000 && now % 100 === 0) {
        expectOk(registry.heartbeat('c/r1', 2, 0, RELAY_ROUTE));
        expectOk(registry.heartbeat('c/n1', 1, 0, RELAY_ROUTE));
      }
      // From 4000 on, the new relay is silent too (and n1 with it).
    });

    expect(downAt(seen, 'c/r1')).toBe(2000);
    expect(seen.find((e) => e.type === 'SUSPECT' && e.key === 'c/r1' && e.atMs > 4000)?.atMs).toBe(5000);
    expect(downAt(seen, 'c/n1')).toBeGreaterThanOrEqual(5000 + CONFIG.relayGraceMs);
  });

  it('routeClosed on a relay route grants its leaves the relay grace', () => {
    const { clock, registry } = setup();
    register(registry, 'r1', RELAY_ROUTE, 'RELAY');
    register(registry, 'n1', RELAY_ROUTE);
    register(registry, 'n2', 'direct:n2');
    registry.takeEffects();

    // The relay itself stays healthy (it re-links at once and keeps beating);
    // only the link closed at 500, and leaf n1 never comes back.
    const seen = tickEveryMs(clock, registry, 6000, (now) => {
      if (now === 500) registry.routeClosed(RELAY_ROUTE);
      if (now % 100 === 0) expectOk(registry.heartbeat('c/r1', 1, 0, RELAY_ROUTE));
    });

    expect(seen.filter((e) => e.key === 'c/r1')).toEqual([]);
    expect(downAt(seen, 'c/n2')).toBe(2000);
    expect(downAt(seen, 'c/n1')).toBe(500 + CONFIG.relayGraceMs);
  });

  it('routeClosed on a direct route grants no grace: the member is DOWN once its lease has surely lapsed', () => {
    const { clock, registry } = setup();
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();

    const seen = tickEveryMs(clock, registry, 3000, (now) => {
      if (now === 500) registry.routeClosed('direct:1');
    });

    // Last heard at 0, so its lease ended at 1500 at the latest.
    expect(downAt(seen, 'c/n1')).toBe(CONFIG.leaseTtlMs + CONFIG.disconnectedDownMarginMs);
    expect(seen.find((e) => e.key === 'c/n1' && e.type === 'DOWN')?.reason).toBe('no liveness for 1600 ms (connection closed)');
  });
});

describe('Registry: a stalled coordinator', () => {
  it('judges nobody on the first check after a stall, so packets that arrived meanwhile count first', () => {
    const { clock, registry } = setup({ failureCheckIntervalMs: 25 });
    register(registry, 'n1');
    register(registry, 'n2');
    registry.takeEffects();
    for (let t = 25; t <= 500; t += 25) {
      tickAt(clock, registry, t);
      expectOk(registry.heartbeat('c/n1', 1, 0, 'direct:n1'));
      expectOk(registry.heartbeat('c/n2', 1, 0, 'direct:n2'));
    }
    // The coordinator stalls from 500 to 2600: n1's packets queue unread; n2 died at 500.
    tickAt(clock, registry, 2600);
    expect(registry.takeEffects().events).toEqual([]);
    expectOk(registry.heartbeat('c/n1', 1, 0, 'direct:n1'));
    tickAt(clock, registry, 2625);
    const events = registry.takeEffects().events.map((e) => [e.member.key, e.type]);
    expect(events).toEqual([['c/n2', 'DOWN']]);
  });

  it('a check interval longer than the stall gap is not a stall', () => {
    const { clock, registry } = setup({ failureCheckIntervalMs: 1000 });
    register(registry, 'n1');
    registry.takeEffects();
    tickAt(clock, registry, 1000);
    tickAt(clock, registry, 2000);
    expect(registry.takeEffects().events.map((e) => e.type)).toEqual(['SUSPECT', 'DOWN']);
  });
});

describe('Registry: a member whose connection closed', () => {
  it('is DOWN after lease-ttl + margin when its relay reports the session ended, not after down-after', () => {
    const { clock, registry } = setup();
    register(registry, 'r1', RELAY_ROUTE, 'RELAY');
    register(registry, 'n1', RELAY_ROUTE);
    register(registry, 'n2', RELAY_ROUTE);
    registry.takeEffects();

    const seen = tickEveryMs(clock, registry, 4000, (now) => {
      if (now % 100 === 0) expectOk(registry.heartbeat('c/r1', 1, 0, RELAY_ROUTE));
      // n1 crashed at 200 (its relay saw the session end); n2 froze at 200 (its connection stays open).
      if (now === 300) registry.detached('c/n1', RELAY_ROUTE);
    });

    expect(downAt(seen, 'c/n1')).toBe(CONFIG.leaseTtlMs + CONFIG.disconnectedDownMarginMs);
    expect(downAt(seen, 'c/n2')).toBe(CONFIG.downAfterMs);
    expect(seen.filter((e) => e.key === 'c/r1')).toEqual([]);
  });

  it('ignores a detach from a route the member already left, and forgets it once the member speaks again', () => {
    const { clock, registry } = setup();
    register(registry, 'r1', RELAY_ROUTE, 'RELAY');
    register(registry, 'r2', 'relay:c/r2', 'RELAY');
    register(registry, 'n1', RELAY_ROUTE);
    register(registry, 'n2', RELAY_ROUTE);
    registry.takeEffects();

    const seen = tickEveryMs(clock, registry, 6000, (now) => {
      if (now % 100 === 0) {
        expectOk(registry.heartbeat('c/r1', 1, 0, RELAY_ROUTE));
        expectOk(registry.heartbeat('c/r2', 1, 0, 'relay:c/r2'));
      }
      // n1 moved to r2 before r1 reported its old session ended; it goes silent at 1000.
      if (now === 100) expectOk(registry.attach('NODE', input('n1'), 1, 'relay:c/r2'));
      if (now === 200) registry.detached('c/n1', RELAY_ROUTE);
      if (now === 1000) expectOk(registry.heartbeat('c/n1', 1, 0, 'relay:c/r2'));
      // n2's session ended, then it came back through r2 and went silent at 1000.
      if (now === 200) registry.detached('c/n2', RELAY_ROUTE);
      if (now === 1000) expectOk(registry.heartbeat('c/n2', 1, 0, 'relay:c/r2'));
    });

    expect(downAt(seen, 'c/n1')).toBe(1000 + CONFIG.downAfterMs);
    expect(downAt(seen, 'c/n2')).toBe(1000 + CONFIG.downAfterMs);
  });

  it('with a margin past down-after, it is DOWN after down-after as before', () => {
    const { clock, registry } = setup({ disconnectedDownMarginMs: 10_000 });
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();

    const seen = tickEveryMs(clock, registry, 3000, (now) => {
      if (now === 100) registry.routeClosed('direct:1');
    });

    expect(downAt(seen, 'c/n1')).toBe(CONFIG.downAfterMs);
  });
});

describe('Registry: restart grace', () => {
  function record(memberId: string, state: MemberRecord['state'], epoch: number): MemberRecord {
    return {
      key: `c/${memberId}`,
      clusterId: 'c',
      memberId,
      kind: 'NODE',
      instanceId: `${memberId}-instance-1`,
      address: '',
      labels: [],
      capacityWeight: 1,
      epoch,
      state,
      stateRevision: 1,
    };
  }

  it('gives loaded members restartGraceMs from load before DOWN', () => {
    const { clock, registry } = setup({}, 10_000);
    registry.load([record('n1', 'ALIVE', 4), record('n2', 'DOWN', 2)], 7, 1);

    expect(registry.size).toBe(2);
    expect(registry.currentRevision).toBe(7);
    expect(registry.ageMs('c/n1')).toBe(0);
    expect(registry.ageMs('c/n2')).toBeUndefined();

    tickAt(clock, registry, 10_000 + CONFIG.restartGraceMs - 1);
    expect(events(registry)).toEqual([]);

    tickAt(clock, registry, 10_000 + CONFIG.restartGraceMs);
    const effects = registry.takeEffects();
    expect(effects.events.map((e) => [e.type, e.member.key, e.revision, e.member.epoch])).toEqual([['DOWN', 'c/n1', 8, 4]]);
  });

  it('lets a loaded member resume its lease during the grace, from any route', () => {
    const { clock, registry } = setup({}, 10_000);
    registry.load([record('n1', 'ALIVE', 4)], 7, 1);

    clock.advance(2500);
    expectOk(registry.heartbeat('c/n1', 4, 0, RELAY_ROUTE));
    tickAt(clock, registry, 10_000 + CONFIG.restartGraceMs);

    expect(events(registry)).toEqual([]);
    expect(registry.get('c/n1')?.state).toBe('ALIVE');
    // After the grace, silence counts from the heartbeat (at 12 500) as usual.
    tickAt(clock, registry, 12_500 + CONFIG.suspectAfterMs);
    expect(events(registry)).toEqual(['SUSPECT c/n1']);
  });
});

describe('Registry: sessions', () => {
  it('a second session attaching supersedes the first: close ABORTED to the old route', () => {
    const { registry } = setup();
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();

    const resumed = expectOk(registry.attach('NODE', input('n1'), 1, RELAY_ROUTE));

    expect(resumed).toMatchObject({ epoch: 1, resumed: true });
    const effects = registry.takeEffects();
    expect(effects.events).toEqual([]);
    expect(effects.send).toEqual([
      { route: 'direct:1', key: 'c/n1', message: { kind: 'close', code: 'ABORTED', reason: expect.stringContaining('superseded') } },
    ]);
    expect(registry.relayOf('c/n1')).toBe('r1');
  });

  it('a heartbeat on the superseded route fails with ABORTED; the new route is fine', () => {
    const { registry } = setup();
    register(registry, 'n1', 'direct:1');
    expectOk(registry.attach('NODE', input('n1'), 1, 'direct:2'));
    registry.takeEffects();

    expectError(registry.heartbeat('c/n1', 1, 0, 'direct:1'), 'ABORTED');
    expectOk(registry.heartbeat('c/n1', 1, 0, 'direct:2'));
    expect(registry.takeEffects().send).toEqual([]);
  });

  it('after its route closed, a member may continue on any route without a close', () => {
    const { registry } = setup();
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();

    registry.routeClosed('direct:1');
    expectOk(registry.heartbeat('c/n1', 1, 0, 'direct:2'));

    expect(registry.takeEffects().send).toEqual([]);
  });
});

describe('Registry: event retention', () => {
  it('keeps at most eventsRetainedMax events and deletes the oldest', () => {
    const { registry } = setup({ eventsRetainedMax: 3 });
    const persist: BatchOp[] = [];
    const take = () => persist.push(...registry.takeEffects().persist);

    register(registry, 'a'); // 1
    register(registry, 'b'); // 2
    register(registry, 'c'); // 3
    take();
    expect(delKeys(persist)).toEqual([]);
    expectOk(registry.drain('c/a', 'drain')); // 4
    expectOk(registry.leave('c/b', 'b-instance-1', 1)); // 5
    take();

    expect(registry.currentRevision).toBe(5);
    expect(registry.oldestRetainedRevision).toBe(3);
    expect(delKeys(persist)).toEqual([eventKey(1), eventKey(2)]);
    expect(delKeys(persist)).toEqual(['e/0000000000000001', 'e/0000000000000002']);
    const meta = persist.filter((op) => op.key === KEY_META_REVISION).at(-1);
    expect(meta?.type === 'put' ? JSON.parse(meta.value) : undefined).toEqual({ revision: 5, firstRetained: 3 });
  });
});

describe('Registry: input validation', () => {
  const cases: Array<{ name: string; patch: Partial<RegisterInput>; field: string }> = [
    { name: 'empty cluster id', patch: { clusterId: '' }, field: 'cluster_id' },
    { name: 'empty node id', patch: { memberId: '' }, field: 'node_id' },
    { name: 'oversized node id (64 chars)', patch: { memberId: 'n'.repeat(64) }, field: 'node_id' },
    { name: 'node id with a space', patch: { memberId: 'node 1' }, field: 'node_id' },
    { name: 'node id with a slash', patch: { memberId: 'a/b' }, field: 'node_id' },
    { name: 'node id starting with a dash', patch: { memberId: '-n1' }, field: 'node_id' },
    { name: 'cluster id with illegal characters', patch: { clusterId: 'c!' }, field: 'cluster_id' },
    { name: 'empty instance id', patch: { instanceId: '' }, field: 'instance_id' },
    { name: 'instance id with a space', patch: { instanceId: 'i 1' }, field: 'instance_id' },
    { name: 'oversized address', patch: { address: 'x'.repeat(256) }, field: 'address' },
    {
      name: 'too many labels (33)',
      patch: { labels: Array.from({ length: 33 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
      field: 'labels',
    },
    {
      name: 'duplicate label keys',
      patch: { labels: [{ key: 'zone', value: 'a' }, { key: 'zone', value: 'b' }] },
      field: 'labels[1].key',
    },
    { name: 'illegal label key', patch: { labels: [{ key: 'bad key', value: 'a' }] }, field: 'labels[0].key' },
    { name: 'capacity weight above the maximum', patch: { capacityWeight: 1001 }, field: 'capacity_weight' },
    { name: 'negative capacity weight', patch: { capacityWeight: -1 }, field: 'capacity_weight' },
    { name: 'fractional capacity weight', patch: { capacityWeight: 1.5 }, field: 'capacity_weight' },
  ];

  it.each(cases)('$name → INVALID_ARGUMENT naming $field, nothing changes', ({ patch, field }) => {
    const { registry } = setup();
    register(registry, 'existing');
    registry.takeEffects();
    const before = { ...registry.get('c/existing')! };

    const result = registry.attach('NODE', input('n1', patch), 0, 'direct:1');

    expect(expectError(result, 'INVALID_ARGUMENT')).toContain(field);
    expect(registry.takeEffectsPending()).toBe(false);
    expect(registry.takeEffects()).toEqual({ persist: [], events: [], send: [] });
    expect(registry.size).toBe(1);
    expect(registry.currentRevision).toBe(1);
    expect(registry.get('c/existing')).toEqual(before);
  });

  it('rejects a bad re-register of an existing member without touching it', () => {
    const { registry } = setup();
    register(registry, 'n1', 'direct:1');
    registry.takeEffects();
    const before = { ...registry.get('c/n1')! };

    expectError(registry.attach('NODE', input('n1', { capacityWeight: 5000 }), 0, 'direct:2'), 'INVALID_ARGUMENT');

    expect(registry.takeEffects()).toEqual({ persist: [], events: [], send: [] });
    expect(registry.get('c/n1')).toEqual(before);
    // The old session was not superseded.
    expectOk(registry.heartbeat('c/n1', 1, 0, 'direct:1'));
  });

  it('accepts values exactly at the limits', () => {
    const { registry } = setup();
    const atLimits = input('n'.repeat(63), {
      instanceId: 'i'.repeat(128),
      address: 'x'.repeat(255),
      labels: Array.from({ length: 32 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(256) })),
      capacityWeight: 1000,
    });

    expectOk(registry.attach('NODE', atLimits, 0, 'direct:1'));
    expect(registry.size).toBe(1);
  });
});

describe('Registry: member retention', () => {
  const DAY = 86_400_000;

  it('deletes a DOWN member exactly memberRetentionMs after it went DOWN, with no event; it can register again from epoch 1', () => {
    const { clock, registry } = setup({ memberRetentionMs: DAY });
    register(registry, 'n1');
    register(registry, 'n2');
    registry.takeEffects();
    tickEveryMs(clock, registry, CONFIG.downAfterMs, () => expectOk(registry.heartbeat('c/n2', 1, 0, 'direct:n2')));
    expect(registry.get('c/n1')!.state).toBe('DOWN');
    const downAtWall = registry.get('c/n1')!.goneAtUnixMs!;
    expect(downAtWall).toBe(clock.wallMs());
    registry.takeEffects();

    // n2 stays alive throughout: it speaks just before each check.
    const aliveTickAt = (atMs: number) => {
      clock.advance(atMs - clock.monotonicMs());
      expectOk(registry.heartbeat('c/n2', 1, 0, 'direct:n2'));
      registry.tick();
    };
    aliveTickAt(CONFIG.downAfterMs + DAY - 1);
    expect(registry.takeEffects().persist).toEqual([]);
    expect(registry.list('').map((m) => m.key)).toEqual(['c/n1', 'c/n2']);

    aliveTickAt(CONFIG.downAfterMs + DAY);
    const effects = registry.takeEffects();
    expect(effects.events).toEqual([]);
    expect(effects.persist).toEqual([{ type: 'del', key: `${KEY_MEMBER}c/n1` }]);
    expect(registry.get('c/n1')).toBeUndefined();
    expect(registry.list('').map((m) => m.key)).toEqual(['c/n2']); // ListNodes no longer shows it
    expect(registry.sizes()).toMatchObject({ members: 1, gone: 0 });

    const again = expectOk(registry.attach('NODE', input('n1'), 0, 'direct:n1b'));
    expect(again).toMatchObject({ epoch: 1, resumed: false });
    expect(registry.takeEffects().events.map((e) => [e.type, e.reason])).toEqual([['REGISTERED', 'registered']]);
  });

  it('deletes a LEFT member after the retention too; one that registered again in time is kept', () => {
    const { clock, registry } = setup({ memberRetentionMs: DAY });
    register(registry, 'left');
    register(registry, 'back');
    expectOk(registry.leave('c/left', 'left-instance-1', 1));
    expectOk(registry.leave('c/back', 'back-instance-1', 1));
    clock.advance(DAY - 1);
    expect(expectOk(registry.attach('NODE', input('back'), 0, 'direct:back2')).epoch).toBe(2);
    registry.takeEffects();
    clock.advance(1);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toEqual([`${KEY_MEMBER}c/left`]);
    expect(registry.get('c/back')).toMatchObject({ state: 'ALIVE', epoch: 2 });
    expect(registry.get('c/back')!.goneAtUnixMs).toBeUndefined();
    // Leaving again starts a new retention from then.
    expectOk(registry.leave('c/back', 'back-instance-1', 2));
    clock.advance(DAY - 1);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toEqual([]);
    clock.advance(1);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toEqual([`${KEY_MEMBER}c/back`]);
  });

  it('keeps DOWN and LEFT members forever when no retention is set', () => {
    const { clock, registry } = setup();
    register(registry, 'n1');
    expectOk(registry.leave('c/n1', 'n1-instance-1', 1));
    clock.advance(1000 * DAY);
    registry.tick();
    expect(registry.get('c/n1')!.state).toBe('LEFT');
  });

  it('after a restart, gone members are deleted by their persisted time; records without one start their retention at the load', () => {
    const { clock, registry } = setup({ memberRetentionMs: DAY }, 10_000);
    const base = { clusterId: 'c', kind: 'NODE' as const, address: '', labels: [], capacityWeight: 1, epoch: 1, stateRevision: 1 };
    const wall = clock.wallMs();
    registry.load([
      { ...base, key: 'c/old', memberId: 'old', instanceId: 'i', state: 'DOWN', goneAtUnixMs: wall - DAY + 500 },
      { ...base, key: 'c/legacy', memberId: 'legacy', instanceId: 'i', state: 'LEFT' },
      { ...base, key: 'c/older', memberId: 'older', instanceId: 'i', state: 'LEFT', goneAtUnixMs: wall - DAY + 100 },
      { ...base, key: 'c/live', memberId: 'live', instanceId: 'i', state: 'ALIVE' },
    ], 5, 1);
    clock.advance(100);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toEqual([`${KEY_MEMBER}c/older`]);
    clock.advance(400);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toEqual([`${KEY_MEMBER}c/old`]);
    clock.advance(DAY - 500 - 1);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toEqual([]);
    clock.advance(1);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toEqual([`${KEY_MEMBER}c/legacy`]);
  });

  it(`deletes at most ${MEMBERS_FORGOTTEN_PER_TICK_MAX} members per tick, the rest on the next`, () => {
    const clock = new ManualClock();
    // Unchecked: a full index check after each of 10,000 registrations would be quadratic.
    const registry = new Registry({ ...CONFIG, memberRetentionMs: 1000 }, clock);
    const count = MEMBERS_FORGOTTEN_PER_TICK_MAX + 5;
    for (let i = 0; i < count; i++) {
      const id = `n${i}`;
      expectOk(registry.attach('NODE', input(id), 0, `direct:${id}`));
      expectOk(registry.leave(`c/${id}`, `${id}-instance-1`, 1));
    }
    registry.takeEffects();
    clock.advance(1000);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toHaveLength(MEMBERS_FORGOTTEN_PER_TICK_MAX);
    registry.tick();
    expect(delKeys(registry.takeEffects().persist)).toHaveLength(5);
    registry.checkIndexes();
    expect(registry.size).toBe(0);
  });

  it('a leaf that left a relay whose link had closed is out of that relay\'s index; the index goes when its last leaf goes', () => {
    const { registry } = setup();
    register(registry, 'r1', 'direct:r1', 'RELAY');
    register(registry, 'n1', RELAY_ROUTE);
    register(registry, 'n2', RELAY_ROUTE);
    expect(registry.sizes().relayLeafIndexes).toBe(1);
    // The relay's link closes: the leaves keep their lease, then one leaves, one comes back directly.
    registry.routeClosed(RELAY_ROUTE);
    expectOk(registry.leave('c/n1', 'n1-instance-1', 1));
    expect(registry.sizes().relayLeafIndexes).toBe(1);
    expectOk(registry.attach('NODE', input('n2'), 1, 'direct:n2'));
    expect(registry.sizes().relayLeafIndexes).toBe(0);
  });
});
