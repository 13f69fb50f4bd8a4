/**
 * npm run bench:restart — a coordinator holding a large broadcast (default
 * 10,000,000 recipients) is killed with kill -9 when half of it is
 * delivered, and restarted on the same data directory and port.
 *
 * Measured from the restarted process's spawn:
 *   serving  — gRPC health answers SERVING (it says NOT_SERVING while it
 *              loads its state, and the port is closed before that);
 *   resumed  — the gateway simulator sees recipients it had never seen
 *              before again, and the restarted coordinator has recorded
 *              progress past what it loaded from its checkpoint;
 * and the coordinator's RSS before the kill and after the restart. Unless
 * --no-complete is given, the broadcast then runs to the end and the counts
 * are checked: every recipient in exactly one final state, the gateway saw
 * every recipient, and nothing acknowledged before the kill went back.
 *
 * Flags: --audience N (10000000), --nodes N (4), --shard-size N (0: the
 *        coordinator default), --no-complete.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { LocalCluster } from '../testing/local-cluster';
import { broadcastsClient, unary } from '../client/client';
import { gatewaySimulatorClient } from '../gateway/simulator-client';
import { sampleRecipient, uploadAudience } from '../client/audience-upload';
import { LIMITS } from '../coordinator/broadcast-service';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { GatewaySimulatorClient } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import { machine, processRssMb, writeResult } from './measure';

export interface RestartOptions {
  audience: number;
  nodes: number;
  /** 0: the coordinator's --shard-size-default. */
  shardSize: number;
  /** Run the broadcast to the end after the restart and check the counts. */
  complete: boolean;
  /** Progress lines on stderr. */
  verbose: boolean;
}

export const RESTART_DEFAULTS: RestartOptions = { audience: 10_000_000, nodes: 4, shardSize: 0, complete: true, verbose: true };

/** Goals: serving again within this (the brief), and the coordinator's RSS after the restart below this (the task). */
export const RESTART_SERVING_MS_GOAL = 2000;
export const RESTART_RSS_MB_GOAL = 300;

const HEALTH_POLL_MS = 10;
const PROGRESS_POLL_MS = 50;
/** RSS "after restart" is the largest seen from spawn until this long after delivery resumed. */
const RSS_SETTLE_MS = 5_000;
const SERVING_TIMEOUT_MS = 60_000;
const RESUME_TIMEOUT_MS = 60_000;
/** The gateway simulator remembers every delivered key (~200 B each): give it room. */
const GATEWAY_HEAP_MB = 8192;

type HealthClient = grpc.Client & {
  Check(req: { service: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
};

function healthClient(address: string): HealthClient {
  const Client = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');
  // Reconnect fast: the port is closed until the process binds it.
  return new Client(address, grpc.credentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': HEALTH_POLL_MS,
    'grpc.max_reconnect_backoff_ms': HEALTH_POLL_MS * 5,
  }) as unknown as HealthClient;
}

function healthStatus(client: HealthClient): Promise<string> {
  return new Promise((resolve) => {
    client.Check({ service: '' }, { deadline: Date.now() + 250 }, (err, res) => resolve(err ? `error ${grpc.status[err.code]}` : res!.status));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gatewayUnique(client: GatewaySimulatorClient): Promise<number> {
  return Number((await unary(client, 'GetStats', {})).uniqueDelivered);
}

async function delivered(client: BroadcastsClient, broadcastId: string): Promise<Broadcast__Output> {
  return unary(client, 'GetBroadcast', { broadcastId, includeShards: false });
}

function waitFinal(client: BroadcastsClient, broadcastId: string, log: (line: string) => void): Promise<Broadcast__Output> {
  return new Promise((resolve, reject) => {
    const watch = client.WatchBroadcast({ broadcastId, intervalMs: 5000 });
    let last: Broadcast__Output | undefined;
    watch.on('data', (b: Broadcast__Output) => {
      last = b;
      log(`restart: ${b.state} ${b.counts!.delivered}/${b.counts!.total}`);
    });
    watch.on('end', () => (last ? resolve(last) : reject(new Error('no snapshot'))));
    watch.on('error', reject);
  });
}

export async function runRestart(partial: Partial<RestartOptions> = {}): Promise<Record<string, unknown> & { summary: RestartSummary }> {
  const options = { ...RESTART_DEFAULTS, ...partial };
  const { audience } = options;
  const log = (line: string) => {
    if (options.verbose) process.stderr.write(`${line}\n`);
  };
  const cluster = new LocalCluster('relaycast-bench-rs-');
  const closers: Array<{ close(): void }> = [];
  try {
    const quiet = ['--log-level', 'warn'];
    const dataDir = path.join(cluster.dir, 'coordinator');
    let { proc: coordinator, address } = await cluster.startCoordinator(quiet, 'coordinator', dataDir);
    const port = address.split(':')[1]!;
    const gatewayProc = cluster.spawn('gateway-sim', ['gateway-sim', '--listen', '127.0.0.1:0', '--ledger-keys-max', String(Math.max(audience, 1)), ...quiet], { NODE_OPTIONS: `--max-old-space-size=${GATEWAY_HEAP_MB}` });
    const gateway = (await gatewayProc.ready()).address;
    const relay = await cluster.startRelay('relay-1', address, quiet);
    for (let i = 1; i <= options.nodes; i++) await cluster.startNode(`node-${i}`, { relays: [relay.address] }, ['--gateway', gateway, ...quiet]);
    const broadcasts = broadcastsClient(address);
    const sim = gatewaySimulatorClient(gateway);
    closers.push(broadcasts, sim);

    log(`restart: uploading ${audience} recipients`);
    const uploadStarted = Date.now();
    const uploadId = await uploadAudience(broadcasts, audience, sampleRecipient, LIMITS.chunkRecipientsMax);
    const uploadSeconds = (Date.now() - uploadStarted) / 1000;
    const rssAfterUploadMb = processRssMb(coordinator.pid);
    log(`restart: uploaded in ${uploadSeconds.toFixed(1)} s (coordinator RSS ${rssAfterUploadMb} MB)`);
    const created = await unary(broadcasts, 'CreateBroadcast', {
      clusterId: 'default', template: 'Hello {{name}}, your code is {{code}} ({{recipient.id}}).', uploadId,
      ...(options.shardSize > 0 && { options: { shardSize: options.shardSize } }),
    });
    const broadcastId = created.broadcastId;
    const deliveryStarted = Date.now();

    // Run to half, watching the coordinator's RSS.
    let rssBeforeMaxMb = 0;
    let before: Broadcast__Output;
    for (let lastLog = 0; ; ) {
      before = await delivered(broadcasts, broadcastId);
      rssBeforeMaxMb = Math.max(rssBeforeMaxMb, processRssMb(coordinator.pid));
      if (before.counts!.delivered >= audience / 2) break;
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`restart: ${before.counts!.delivered}/${audience} delivered before the kill`);
      }
      await sleep(100);
    }
    const secondsToHalf = (Date.now() - deliveryStarted) / 1000;
    const shardsAtKill = (await unary(broadcasts, 'GetBroadcast', { broadcastId, includeShards: true })).shards.length;
    const rssBeforeMb = processRssMb(coordinator.pid);
    const deliveredBeforeKill = before.counts!.delivered;
    const gatewayAtKill = await gatewayUnique(sim);

    coordinator.kill('SIGKILL');
    await coordinator.exit();
    log(`restart: killed with ${deliveredBeforeKill} delivered (gateway ${gatewayAtKill}); restarting`);

    const spawnedAt = performance.now();
    coordinator = cluster.spawn('coordinator (restarted)', ['coordinator', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...quiet]);
    const since = () => performance.now() - spawnedAt;
    const health = healthClient(address);
    closers.push(health);
    let rssAfterMaxMb = 0;
    const sampleRss = () => {
      if (!coordinator.exited) rssAfterMaxMb = Math.max(rssAfterMaxMb, processRssMb(coordinator.pid));
    };
    const statuses = new Set<string>();
    let servingMs: number;
    for (;;) {
      const status = await healthStatus(health);
      sampleRss();
      statuses.add(status);
      if (status === 'SERVING') {
        servingMs = since();
        break;
      }
      if (coordinator.exited) throw new Error(`the restarted coordinator exited:\n${coordinator.lines.slice(-15).join('\n')}`);
      if (since() > SERVING_TIMEOUT_MS) throw new Error(`not SERVING within ${SERVING_TIMEOUT_MS} ms (saw ${[...statuses].join(', ')})`);
      await sleep(HEALTH_POLL_MS);
    }
    const rssAtServingMb = processRssMb(coordinator.pid);
    const gatewayAtServing = await gatewayUnique(sim);
    const loaded = (await delivered(broadcasts, broadcastId)).counts!.delivered;
    log(`restart: SERVING after ${Math.round(servingMs)} ms with ${loaded} delivered (checkpoint); gateway ${gatewayAtServing}`);

    // Resumed: new recipients reach the gateway and the restarted coordinator records them.
    let gatewayResumedMs: number | undefined;
    let coordinatorResumedMs: number | undefined;
    let afterResume: Broadcast__Output | undefined;
    while (gatewayResumedMs === undefined || coordinatorResumedMs === undefined) {
      const [g, b] = await Promise.all([gatewayUnique(sim), delivered(broadcasts, broadcastId)]);
      sampleRss();
      if (gatewayResumedMs === undefined && g > gatewayAtServing) gatewayResumedMs = since();
      if (coordinatorResumedMs === undefined && (b.counts!.delivered > loaded || b.state === 'BROADCAST_STATE_COMPLETED')) coordinatorResumedMs = since();
      afterResume = b;
      if (since() > RESUME_TIMEOUT_MS) throw new Error(`delivery did not resume within ${RESUME_TIMEOUT_MS} ms`);
      await sleep(PROGRESS_POLL_MS);
    }
    const resumedMs = Math.max(gatewayResumedMs, coordinatorResumedMs);
    log(`restart: delivery resumed after ${Math.round(resumedMs)} ms (gateway ${Math.round(gatewayResumedMs)} ms, coordinator ${Math.round(coordinatorResumedMs)} ms)`);
    const rssAtResumedMb = processRssMb(coordinator.pid);
    const settleUntil = performance.now() + RSS_SETTLE_MS;
    while (performance.now() < settleUntil) {
      sampleRss();
      await sleep(100);
    }
    const rssAfterMb = rssAfterMaxMb;
    const deliveredAfterResume = (await delivered(broadcasts, broadcastId)).counts!.delivered;

    let completion: Record<string, unknown> | undefined;
    let lost: boolean | undefined;
    if (options.complete) {
      const sampler = setInterval(sampleRss, 500);
      const final = await waitFinal(broadcasts, broadcastId, log).finally(() => clearInterval(sampler));
      const stats = await unary(sim, 'GetStats', {});
      const c = final.counts!;
      const addsUp = c.delivered + c.skippedUnreachable + c.deadLettered === c.total && c.inFlight === 0 && c.pending === 0;
      lost = !(final.state === 'BROADCAST_STATE_COMPLETED' && addsUp && Number(stats.uniqueDelivered) === audience);
      completion = {
        state: final.state, counts: c, countsAddUp: addsUp,
        gatewayUniqueDelivered: Number(stats.uniqueDelivered), gatewayDuplicates: Number(stats.duplicates),
        totalSeconds: Number(((Date.now() - deliveryStarted) / 1000).toFixed(1)), rssMaxToCompletionMb: rssAfterMaxMb,
      };
    }
    const summary = {
      audience,
      servingMs: Math.round(servingMs),
      resumedMs: Math.round(resumedMs),
      rssBeforeMb,
      rssAfterMb,
      servingGoalMet: servingMs < RESTART_SERVING_MS_GOAL,
      rssGoalMet: rssAfterMb < RESTART_RSS_MB_GOAL,
      deliveredBeforeKill,
      deliveredLoaded: loaded,
      // Nothing acknowledged before the kill went back once delivery resumed.
      checkpointKept: (afterResume?.counts!.delivered ?? 0) >= loaded && deliveredAfterResume >= deliveredBeforeKill,
      ...(lost !== undefined && { nothingLost: !lost }),
    };
    const result = {
      benchmark: 'restart', machine: machine(),
      audience, nodes: options.nodes, relays: 1, shardSize: options.shardSize === 0 ? 'coordinator default' : options.shardSize,
      shardsAtKill, uploadSeconds: Number(uploadSeconds.toFixed(1)), secondsToHalf: Number(secondsToHalf.toFixed(1)),
      rssAfterUploadMb, deliveredBeforeKill, gatewayAtKill, rssBeforeMb, rssBeforeMaxMb,
      servingMs: Number(servingMs.toFixed(1)), healthSeen: [...statuses],
      rssAtServingMb, deliveredLoaded: loaded, gatewayAtServing,
      gatewayResumedMs: Math.round(gatewayResumedMs), coordinatorResumedMs: Math.round(coordinatorResumedMs), resumedMs: Math.round(resumedMs),
      rssAtResumedMb, rssAfterMb, deliveredAfterResume,
      ...(completion !== undefined && { completion }),
      goals: { servingMs: RESTART_SERVING_MS_GOAL, rssMb: RESTART_RSS_MB_GOAL },
      summary,
    };
    return result;
  } finally {
    for (const c of closers) c.close();
    await cluster.stopAll(3000);
  }
}

export type RestartSummary = {
  audience: number;
  servingMs: number;
  resumedMs: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  servingGoalMet: boolean;
  rssGoalMet: boolean;
  deliveredBeforeKill: number;
  deliveredLoaded: number;
  checkpointKept: boolean;
  nothingLost?: boolean;
};

export function restartSummaryLine(summary: RestartSummary): string {
  return `restart: audience=${summary.audience} serving_ms=${summary.servingMs} resumed_ms=${summary.resumedMs} rss_mb=${summary.rssAfterMb}`;
}

export function parseRestartArgs(argv: string[]): Partial<RestartOptions> {
  const { values } = parseArgs({ args: argv, options: { audience: { type: 'string' }, nodes: { type: 'string' }, 'shard-size': { type: 'string' }, 'no-complete': { type: 'boolean' } }, strict: true });
  const int = (flag: string, text: string | undefined, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${flag}: expected a whole number >= ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  const options: Partial<RestartOptions> = {};
  const audience = int('audience', values.audience, 2);
  const nodes = int('nodes', values.nodes, 1);
  const shardSize = int('shard-size', values['shard-size'], 0);
  if (audience !== undefined) options.audience = audience;
  if (nodes !== undefined) options.nodes = nodes;
  if (shardSize !== undefined) options.shardSize = shardSize;
  if (values['no-complete'] === true) options.complete = false;
  return options;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { benchmark, ...rest } = await runRestart(parseRestartArgs(args));
  const result = { benchmark, command: `npm run bench:restart${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`, ...rest };
  writeResult('restart', result);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(restartSummaryLine(result.summary) + '\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  });
}
