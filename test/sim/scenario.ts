/**
 * One simulated run from one seed: the seed picks the cluster's shape, the
 * network's behaviour and a fault schedule; the cluster runs on simulated
 * time through the faults (chaos phase), then everything is healed and every
 * broadcast must complete (liveness phase). The checkers watch throughout.
 */
import { mulberry32 } from '../../gateway/core/random';
import type { RegistryConfig } from '../../coordinator/core/registry';
import type { BroadcastMeta, SchedulerConfig } from '../../coordinator/core/scheduler';
import { Checker, type Violation } from './observer';
import { SimCoordinator } from './coordinator';
import { REFUSAL, SimGateway, isPermanentFailure, isUnreachable } from './gateway';
import { SimNode, type SimNodeConfig } from './node';
import { SimRelay } from './relay';
import { World, WALL_START_MS, type NetworkFaults } from './world';

/** Ways to break the system on purpose, to prove the checkers can fail. */
export type Variant = 'correct' | 'lease-outlives-down';

export interface RunOptions {
  variant?: Variant;
  /** Print the fault schedule as it happens. */
  trace?: boolean;
}

export interface RunResult {
  seed: number;
  ok: boolean;
  violations: Violation[];
  shape: string;
  faults: string[];
  simulatedMs: number;
  steps: number;
  stats: { attempts: number; duplicates: number; downs: number; takeovers: number; detectP99Ms: number; reassignP99Ms: number };
}

const CHAOS_MS = 12_000;
const LIVENESS_MS_MAX = 120_000;

interface Fault {
  atMs: number;
  describe: string;
  apply: () => void;
}

export function runSeed(seed: number, options: RunOptions = {}): RunResult {
  const random = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const variant = options.variant ?? 'correct';

  // ---- shape ----
  const network: NetworkFaults = {
    delayMinMs: 0.2,
    delayMaxMs: [2, 10, 40][int(0, 2)]!,
    resetChance: [0, 0, 0.001, 0.005][int(0, 3)]!,
    duplicateChance: [0, 0.02, 0.1][int(0, 2)]!,
    keepaliveTimeoutMs: 10_000,
  };
  const world = new World(random, network);
  const registry: RegistryConfig = {
    heartbeatIntervalMs: 500,
    suspectAfterMs: 1000,
    downAfterMs: 2000,
    leaseTtlMs: 1500,
    // 600: as if off (down after the full 2 s); 1: the thinnest margin.
    disconnectedDownMarginMs: [1, 100, 600][int(0, 2)]!,
    relayGraceMs: 3000,
    restartGraceMs: 3000,
    eventsRetainedMax: 10_000,
    failureCheckIntervalMs: 25,
  };
  const scheduler: SchedulerConfig = { shardsPerWeight: int(1, 3), splitSizeMin: int(10, 80), checkpointIntervalMs: 200, orderResendMs: 2000 };
  const checker = new Checker({
    reassignMaxMs: 25,
    falseDownWindowMs: registry.downAfterMs + registry.relayGraceMs + registry.restartGraceMs + 8000,
    detectMaxMs: registry.downAfterMs + 1000,
  });
  const coordinator = new SimCoordinator(world, {
    registry,
    scheduler,
    failureCheckIntervalMs: registry.failureCheckIntervalMs,
    fsyncMinMs: 0.5,
    fsyncMaxMs: 5,
    // The broken variant tells nodes their lease lasts longer than the coordinator waits before handing their work on.
    leaseTtlAdvertisedMs: variant === 'lease-outlives-down' ? 6000 : registry.leaseTtlMs,
  }, checker);
  const gateway = new SimGateway(world);
  gateway.retryChance = [0, 0, 0.01, 0.05][int(0, 3)]!;

  const relayCount = int(0, 3);
  const relays = Array.from({ length: relayCount }, (_, i) => new SimRelay(`r${i}`, world, coordinator, {
    aggregator: { batchEntriesMax: 1000, batchesInFlightMax: 4, leavesMax: 100 },
    flushMs: [20, 50, 100][int(0, 2)]!,
    reconnectBackoffMinMs: 100,
    reconnectBackoffMaxMs: 2000,
  }));
  const nodeCount = int(2, 6);
  const nodeConfig = (): SimNodeConfig => ({
    agent: { relayFailoverMs: 1000, reconnectBackoffMinMs: 100, reconnectBackoffMaxMs: 2000 },
    work: {
      audiencePageSize: int(20, 200),
      deliverBatchSize: int(5, 50),
      deliverBatchesInFlightMax: int(1, 4),
      // Few attempts: RETRY answers and refusals end in dead letters; many: they never do.
      deliveryAttemptsMax: [3, 5, 1000][int(0, 2)]!,
      gatewayRetryMinMs: 50,
      gatewayRetryMaxMs: 1000,
      // A small outbox makes the node stop reading while it is full.
      outboxItemsMax: [20, 200, 100_000][int(0, 2)]!,
      // Few tries: a coordinator restart or a partition makes nodes give shards back.
      coordinatorCallAttemptsMax: [3, 10][int(0, 1)]!,
    },
    callTimeoutMs: 1000,
    capacityWeight: int(1, 3),
  });
  const nodes = Array.from({ length: nodeCount }, (_, i) => {
    // Through the relays in some order, then the coordinator; some nodes talk to the coordinator directly.
    const viaRelays = relays.length > 0 && random() < 0.8 ? shuffle(relays, random) : [];
    checker.noteEndpoints(`sim/n${i}`, viaRelays.map((r) => r.proc.name));
    return new SimNode(`n${i}`, world, [...viaRelays, coordinator], coordinator, gateway, nodeConfig(), checker);
  });

  const broadcasts: BroadcastMeta[] = Array.from({ length: int(1, 3) }, (_, i) => {
    const total = int(100, 3000);
    return {
      id: `b${i}`,
      clusterId: 'sim',
      template: 'hi {{recipient.id}}',
      // Rate-limited so that it lasts through the faults (3 to 15 s with every node working), but
      // not so tightly that one node's share of it (fixed when its order is issued) crawls.
      options: { shardSize: int(25, 1000), onlyReachable: false, priority: int(0, 2), notBeforeUnixMs: 0, rateLimitPerS: Math.max(300, Math.ceil(total / int(3, 15))) },
      state: 'PENDING',
      total,
      audienceId: `b${i}`,
      createdAtUnixMs: WALL_START_MS + i,
      finishedAtUnixMs: 0,
      requestId: '',
      nextShardId: 0,
      deadRetried: 0,
    };
  });
  // Some runs have one more broadcast, which an operator cancels mid-way.
  const cancelled: BroadcastMeta | undefined = random() < 0.25 ? { ...broadcasts[0]!, id: 'bx', audienceId: 'bx', options: { ...broadcasts[0]!.options }, createdAtUnixMs: WALL_START_MS + 10 } : undefined;
  for (const meta of broadcasts) coordinator.seedBroadcast(meta);
  if (cancelled !== undefined) coordinator.seedBroadcast(cancelled);
  const shape = `relays=${relayCount} nodes=${nodeCount} broadcasts=${broadcasts.map((b) => `${b.total}/${b.options.shardSize}`).join(',')} shardsPerWeight=${scheduler.shardsPerWeight} splitMin=${scheduler.splitSizeMin} delayMaxMs=${network.delayMaxMs} reset=${network.resetChance} dup=${network.duplicateChance} gatewayRetry=${gateway.retryChance}`;

  // ---- faults ----
  const faults: Fault[] = [];
  const log: string[] = [];
  const crashed = new Set<SimNode | SimRelay>();
  let coordinatorDown = false;
  const at = (atMs: number, describe: string, apply: () => void) => faults.push({ atMs, describe, apply });
  const faultCount = int(0, 7);
  const nodeByName = new Map(nodes.map((n) => [n.proc.name, n]));
  for (let f = 0; f < faultCount; f++) {
    const t = int(300, CHAOS_MS - 1000);
    const kind = int(0, 10);
    const node = nodes[int(0, nodes.length - 1)]!;
    if (kind <= 2) {
      const downMs = random() < 0.5 ? int(200, 6000) : Number.POSITIVE_INFINITY;
      at(t, `kill ${node.proc.name}${Number.isFinite(downMs) ? ` for ${downMs} ms` : ''}`, () => {
        if (crashed.has(node) || !node.proc.up) return;
        node.crash();
        crashed.add(node);
        checker.noteAdversity(node.proc.name, t, Number.isFinite(downMs) ? t + downMs : Number.POSITIVE_INFINITY);
        checker.noteCrash(node.key, world.nowMs, coordinatorDown || relays.some((r) => crashed.has(r)) || faults.some((x) => x.atMs >= t - 4000 && x.atMs <= t + 4000 && !x.describe.startsWith('kill node') && !x.describe.startsWith('gateway')));
      });
      if (Number.isFinite(downMs)) {
        at(t + downMs, `restart ${node.proc.name}`, () => {
          if (!crashed.has(node)) return;
          crashed.delete(node);
          node.restart();
        });
      }
    } else if (kind === 3) {
      const pauseMs = int(500, 5000);
      at(t, `pause ${node.proc.name} for ${pauseMs} ms`, () => {
        if (!node.proc.up || node.proc.paused) return;
        world.pause(node.proc);
        checker.noteAdversity(node.proc.name, t, t + pauseMs);
      });
      at(t + pauseMs, `resume ${node.proc.name}`, () => world.resume(node.proc));
    } else if (kind === 4) {
      // The node loses its control plane (relays and coordinator) but can still reach the gateway: the dangerous case for fencing.
      const cutMs = int(500, 6000);
      const peers = [coordinator.proc.name, ...relays.map((r) => r.proc.name)];
      at(t, `isolate ${node.proc.name} from the control plane for ${cutMs} ms`, () => {
        for (const p of peers) world.partition(node.proc.name, p);
        checker.noteAdversity(node.proc.name, t, t + cutMs);
      });
      at(t + cutMs, `heal ${node.proc.name}`, () => {
        for (const p of peers) world.heal(node.proc.name, p);
      });
    } else if (kind === 5 && relays.length > 0) {
      const relay = relays[int(0, relays.length - 1)]!;
      const downMs = int(200, 6000);
      at(t, `kill ${relay.proc.name} for ${downMs} ms`, () => {
        if (crashed.has(relay)) return;
        checker.noteAdversity(relay.proc.name, t, t + downMs);
        relay.crash();
        crashed.add(relay);
      });
      at(t + downMs, `restart ${relay.proc.name}`, () => {
        if (!crashed.has(relay)) return;
        crashed.delete(relay);
        relay.restart();
      });
    } else if (kind === 6 && relays.length > 0) {
      const relay = relays[int(0, relays.length - 1)]!;
      const cutMs = int(500, 6000);
      at(t, `partition ${relay.proc.name} from the coordinator for ${cutMs} ms`, () => {
        world.partition(relay.proc.name, coordinator.proc.name);
        checker.noteAdversity(relay.proc.name, t, t + cutMs);
      });
      at(t + cutMs, `heal ${relay.proc.name}`, () => world.heal(relay.proc.name, coordinator.proc.name));
    } else if (kind === 7) {
      const downMs = int(0, 2000);
      at(t, `kill the coordinator for ${downMs} ms`, () => {
        if (coordinatorDown) return;
        checker.noteAdversity(coordinator.proc.name, t, t + downMs);
        coordinatorDown = true;
        coordinator.crash();
      });
      at(t + downMs, 'restart the coordinator', () => {
        if (!coordinatorDown) return;
        coordinatorDown = false;
        coordinator.restart();
      });
    } else if (kind === 8) {
      const outMs = int(200, 5000);
      at(t, `gateway outage for ${outMs} ms`, () => (gateway.outage = true));
      at(t + outMs, 'gateway back', () => (gateway.outage = false));
    } else if (kind === 10) {
      // A gateway that refuses every call (a revoked credential): items count attempts and may end dead-lettered with its reason.
      const refuseMs = int(200, 3000);
      at(t, `gateway refuses every call for ${refuseMs} ms`, () => (gateway.refusing = true));
      at(t + refuseMs, 'gateway accepts calls again', () => (gateway.refusing = false));
    } else {
      const slowMs = int(200, 5000);
      const extra = int(200, 1500);
      at(t, `gateway slow (+${extra} ms) for ${slowMs} ms`, () => (gateway.slowExtraMs = extra));
      at(t + slowMs, 'gateway fast again', () => (gateway.slowExtraMs = 0));
    }
  }
  // ---- an operator's commands, through the same cores as the API ----
  // Pause and resume a broadcast; retry dead letters mid-run; cancel an extra broadcast.
  if (random() < 0.3) {
    const b = broadcasts[int(0, broadcasts.length - 1)]!;
    const t = int(300, CHAOS_MS - 2000);
    const pausedMs = int(100, 3000);
    at(t, `pause ${b.id} for ${pausedMs} ms`, () => coordinator.changeLifecycle(b.id, 'pause'));
    at(t + pausedMs, `resume ${b.id}`, () => coordinator.changeLifecycle(b.id, 'resume'));
  }
  if (random() < 0.3) {
    const b = broadcasts[int(0, broadcasts.length - 1)]!;
    at(int(1000, CHAOS_MS - 500), `retry the dead letters of ${b.id}`, () => coordinator.retryDeadLetters(b.id));
  }
  if (cancelled !== undefined) {
    const id = cancelled.id;
    at(int(300, 4000), `cancel ${id}`, () => coordinator.changeLifecycle(id, 'cancel'));
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  for (const fault of faults) {
    world.after(fault.atMs, undefined, () => {
      log.push(`${fault.atMs} ms: ${fault.describe}`);
      if (options.trace) console.log(`[${fault.atMs} ms] ${fault.describe}`);
      fault.apply();
    });
  }

  // ---- run ----
  coordinator.start();
  for (const relay of relays) relay.start();
  for (const node of nodes) node.start();
  const failed = () => checker.violations.length > 0;
  world.run(CHAOS_MS, failed);

  // Heal everything: bring every process back, end partitions and gateway trouble.
  if (!failed()) {
    world.after(0, undefined, () => {
      log.push(`${CHAOS_MS} ms: heal everything`);
      world.faults.resetChance = 0;
      world.healAll();
      gateway.outage = false;
      gateway.refusing = false;
      gateway.slowExtraMs = 0;
      gateway.retryChance = 0;
      if (coordinatorDown) {
        coordinatorDown = false;
        coordinator.restart();
      }
      for (const p of [...relays, ...nodes]) {
        if (crashed.has(p)) {
          crashed.delete(p);
          p.restart();
        } else if (p.proc.paused) world.resume(p.proc);
      }
      // The operator finishes what a coordinator outage interrupted.
      for (const b of broadcasts) if (coordinator.scheduler.get(b.id)?.state === 'PAUSED') coordinator.changeLifecycle(b.id, 'resume');
      if (cancelled !== undefined) coordinator.changeLifecycle(cancelled.id, 'cancel');
    });
    const stopped = () => cancelled === undefined || coordinator.scheduler.shardsOf(cancelled.id).every((shard) => shard.state === 'DONE');
    const complete = () => broadcasts.every((b) => coordinator.scheduler.get(b.id)?.state === 'COMPLETED') && stopped();
    const done = world.run(CHAOS_MS + LIVENESS_MS_MAX, () => failed() || complete());
    if (!failed() && !done) {
      const states = broadcasts.map((b) => `${b.id}=${coordinator.scheduler.get(b.id)?.state} ${JSON.stringify(coordinator.scheduler.counts(b.id))}`).join('; ');
      checker.fail('progress', world.nowMs, `broadcasts did not complete within ${LIVENESS_MS_MAX} ms after healing: ${states}`);
    }
    // Let the last checkpoints become durable, then check the sums (invariant 1).
    if (!failed()) {
      world.run(world.nowMs + 1000, failed);
      checker.finish(world.nowMs);
      for (const meta of broadcasts) checkNothingLost(meta, coordinator, gateway, checker, world.nowMs);
      // A cancel that came too late (the broadcast had completed) is refused: then it is a completed broadcast like the others.
      if (cancelled !== undefined && coordinator.scheduler.get(cancelled.id)?.state === 'COMPLETED') checkNothingLost(cancelled, coordinator, gateway, checker, world.nowMs);
      else if (cancelled !== undefined) checkCancelled(cancelled, coordinator, gateway, checker, world.nowMs);
    }
    // Then the operator retries every dead letter with the gateway healthy: each broadcast completes again and still adds up.
    const retried = broadcasts.filter((b) => coordinator.scheduler.counts(b.id).dead > 0);
    const retriedBefore = new Map(retried.map((b) => [b.id, coordinator.scheduler.get(b.id)!.deadRetried]));
    if (!failed() && retried.length > 0) {
      world.after(0, undefined, () => {
        log.push(`${Math.round(world.nowMs)} ms: retry every dead letter`);
        for (const b of retried) coordinator.retryDeadLetters(b.id);
      });
      const again = world.run(world.nowMs + LIVENESS_MS_MAX, () => failed() || retried.every((b) => coordinator.scheduler.get(b.id)?.state === 'COMPLETED' && coordinator.scheduler.get(b.id)!.deadRetried > retriedBefore.get(b.id)!));
      if (!failed() && !again) checker.fail('progress', world.nowMs, `retried broadcasts did not complete again: ${retried.map((b) => `${b.id}=${coordinator.scheduler.get(b.id)?.state}`).join(', ')}`);
      if (!failed()) {
        world.run(world.nowMs + 1000, failed);
        for (const meta of retried) checkNothingLost(meta, coordinator, gateway, checker, world.nowMs);
      }
    }
  }
  void nodeByName;

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const p99 = (xs: number[]) => (xs.length === 0 ? 0 : sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!);
  return {
    seed,
    ok: checker.violations.length === 0,
    violations: checker.violations,
    shape,
    faults: log,
    simulatedMs: world.nowMs,
    steps: world.steps,
    stats: {
      attempts: gateway.attempts,
      duplicates: gateway.duplicateAttempts,
      downs: checker.downs.length,
      takeovers: checker.takeoverMs.length,
      detectP99Ms: Math.round(p99(checker.detectMs)),
      reassignP99Ms: Math.round(p99(checker.takeoverMs) * 10) / 10,
    },
  };
}

/**
 * Invariant 1: every recipient in exactly one final state, the sums exact, the
 * gateway agreeing, all of it durable. The final states are known in advance
 * (r<i> is unreachable or fails permanently by its number), except for
 * recipients the gateway refused or answered RETRY: a node may dead-letter
 * those once out of attempts, with the gateway's reason.
 */
function checkNothingLost(meta: BroadcastMeta, coordinator: SimCoordinator, gateway: SimGateway, checker: Checker, atMs: number): void {
  const c = coordinator.scheduler.counts(meta.id);
  const fail = (detail: string) => checker.fail('nothing-lost', atMs, `${meta.id}: ${detail} (counts ${JSON.stringify(c)})`);
  let unreachable = 0;
  let permanent = 0;
  /** Unreachable, and deliverable, recipients that may have been dead-lettered instead. */
  let unreachableInVain = 0;
  let deliverableInVain = 0;
  for (let seq = 0; seq < meta.total; seq++) {
    const inVain = gateway.triedInVain.has(`${meta.id}/${seq}`);
    if (isUnreachable(seq)) {
      unreachable += 1;
      if (inVain) unreachableInVain += 1;
    } else if (isPermanentFailure(seq)) permanent += 1;
    else if (inVain) deliverableInVain += 1;
  }
  if (c.delivered + c.skipped + c.dead !== meta.total) fail(`final states add up to ${c.delivered + c.skipped + c.dead}, not ${meta.total}`);
  if (c.inFlight + c.pending !== 0) fail('recipients still in flight or pending');
  if (c.skipped > unreachable || c.skipped < unreachable - unreachableInVain) fail(`skipped ${c.skipped}, but ${unreachable} recipients are unreachable (${unreachableInVain} of them refused or answered RETRY)`);
  if (c.dead < permanent || c.dead > permanent + unreachableInVain + deliverableInVain) fail(`dead-lettered ${c.dead}, but ${permanent} recipients fail permanently and ${unreachableInVain + deliverableInVain} more were refused or answered RETRY`);
  // Every dead letter counted was recorded, with a reason that fits the recipient.
  let recorded = 0;
  /**
   * Delivered at the gateway, yet dead-lettered for want of attempts: a call
   * that timed out (or a duplicate of a request) had delivered it unbeknown
   * to the node, which saw only refusals or RETRY answers.
   */
  let deliveredInVain = 0;
  for (const { record, standing } of coordinator.deadLettersOf(meta.id)) {
    // A void record (its node died before counting it; the recipient was redone) is not a dead letter.
    if (standing === 'stale') continue;
    if (standing === 'pending') fail(`dead letter ${record.sequence} is still pending after the broadcast completed`);
    recorded += 1;
    const seq = record.sequence;
    const reason = record.reason;
    const key = `${meta.id}/${seq}`;
    if (gateway.delivered.has(key) && gateway.triedInVain.has(key)) deliveredInVain += 1;
    const fits = (isPermanentFailure(seq) && reason === 'permanent failure (simulated)')
      || (gateway.triedInVain.has(key) && (reason === `gateway refused: ${REFUSAL}` || reason.startsWith('gave up after ')));
    if (!fits) fail(`recipient ${seq} was dead-lettered with the reason ${JSON.stringify(reason)}`);
  }
  // What ListDeadLetters shows is exactly what the counts say.
  if (recorded !== c.dead) fail(`${c.dead} dead letters counted, but ${recorded} recorded`);
  const atGateway = gateway.deliveredOf(meta.id);
  if (atGateway < c.delivered || atGateway > c.delivered + deliveredInVain) {
    fail(`the gateway holds ${atGateway} delivered keys, the coordinator counts ${c.delivered} (${deliveredInVain} of them dead-lettered after refusals or RETRY answers)`);
  }
  const durable = coordinator.durableShards().filter((s) => s.broadcastId === meta.id);
  // Retried dead letters are counted again by their retry shards; the durable meta says how many were handed back.
  const durableMeta = coordinator.durableMeta(meta.id);
  const durableFinal = durable.reduce((n, s) => n + (s.state === 'DONE' ? s.delivered + s.skipped + s.dead : 0), 0) - (durableMeta?.deadRetried ?? 0);
  if (durableFinal !== meta.total) fail(`what a restart would load accounts for ${durableFinal} of ${meta.total}`);
}

/** A cancelled broadcast: every shard stopped, nothing in flight, the sums exact, the dead-letter list agreeing, nothing counted that the gateway lacks. */
function checkCancelled(meta: BroadcastMeta, coordinator: SimCoordinator, gateway: SimGateway, checker: Checker, atMs: number): void {
  const c = coordinator.scheduler.counts(meta.id);
  const fail = (detail: string) => checker.fail('nothing-lost', atMs, `${meta.id} (cancelled): ${detail} (counts ${JSON.stringify(c)})`);
  if (coordinator.scheduler.get(meta.id)?.state !== 'CANCELLED') fail(`ended ${coordinator.scheduler.get(meta.id)?.state}, not CANCELLED`);
  if (c.inFlight !== 0) fail('recipients still in flight');
  if (c.delivered + c.skipped + c.dead + c.pending !== meta.total) fail(`final and unsent recipients add up to ${c.delivered + c.skipped + c.dead + c.pending}, not ${meta.total}`);
  const counted = coordinator.deadLettersOf(meta.id).filter((d) => d.standing === 'counted').length;
  if (counted !== c.dead) fail(`${c.dead} dead letters counted, but ${counted} recorded`);
  // Deliveries past the last report of a node that died are never counted (the cancel hands nothing on): at most that many more.
  if (gateway.deliveredOf(meta.id) < c.delivered) fail(`the gateway holds ${gateway.deliveredOf(meta.id)} delivered keys, fewer than the ${c.delivered} counted`);
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
