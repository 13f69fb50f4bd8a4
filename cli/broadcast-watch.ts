/**
 * Follows a broadcast with WatchBroadcast until it is final. The coordinator
 * is built to restart without losing anything, so a dropped stream
 * (UNAVAILABLE) is reopened rather than reported, as long as it comes back
 * within the reconnect budget; every other status ends the watch.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { Connection } from './connection';
import { isTransient } from './connection';
import { CliError, EXIT } from './exit-codes';
import { isFinal } from './progress-format';

/** Back-off between reopen attempts while the coordinator is away. */
const RECONNECT_DELAY_MIN_MS = 200;
const RECONNECT_DELAY_MAX_MS = 2000;

export interface WatchOptions {
  /** Minimum time between snapshots (0: the coordinator's default). */
  readonly intervalMs: number;
  /** How long the coordinator may stay unreachable before the watch gives up. */
  readonly reconnectBudgetMs: number;
  readonly onSnapshot: (b: Broadcast__Output) => void;
  /** Told when the stream dropped and is being reopened. */
  readonly onReconnect?: (reason: string) => void;
}

/** Resolves with the final snapshot; rejects with a CliError. */
export async function watchUntilFinal(conn: Connection, broadcastId: string, options: WatchOptions): Promise<Broadcast__Output> {
  let unreachableSince: number | undefined;
  let delayMs = RECONNECT_DELAY_MIN_MS;
  let seen = false;
  for (;;) {
    const outcome = await watchOnce(conn, broadcastId, options.intervalMs, (b) => {
      seen = true;
      unreachableSince = undefined;
      delayMs = RECONNECT_DELAY_MIN_MS;
      options.onSnapshot(b);
    });
    if (outcome.final !== undefined) return outcome.final;
    if (conn.signal.aborted) throw new CliError(EXIT.INTERRUPTED, 'interrupted');
    // Never reached at all: a wrong address or a stopped coordinator, not a restart to wait out.
    if (outcome.error !== undefined && (!seen || !isTransient(outcome.error))) throw conn.describe(outcome.error, 'WatchBroadcast');
    // A transient failure, or a stream that ended before a final state: reopen.
    const now = Date.now();
    unreachableSince ??= now;
    if (now - unreachableSince > options.reconnectBudgetMs) {
      throw outcome.error !== undefined ? conn.describe(outcome.error, 'WatchBroadcast') : new CliError(EXIT.FAILURE, `WatchBroadcast ${broadcastId} kept ending before the broadcast was final`);
    }
    options.onReconnect?.(outcome.error?.details ?? 'stream ended early');
    await sleep(delayMs, conn.signal);
    delayMs = Math.min(RECONNECT_DELAY_MAX_MS, delayMs * 2);
  }
}

function watchOnce(conn: Connection, broadcastId: string, intervalMs: number, onSnapshot: (b: Broadcast__Output) => void): Promise<{ final?: Broadcast__Output; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const stream = conn.broadcasts.WatchBroadcast({ broadcastId, intervalMs });
    let last: Broadcast__Output | undefined;
    let settled = false;
    const settle = (outcome: { final?: Broadcast__Output; error?: grpc.ServiceError }) => {
      if (settled) return;
      settled = true;
      conn.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = () => {
      stream.cancel();
      settle({});
    };
    conn.signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (b: Broadcast__Output) => {
      last = b;
      onSnapshot(b);
    });
    stream.on('error', (error: grpc.ServiceError) => settle({ error }));
    stream.on('end', () => settle(last !== undefined && isFinal(last) ? { final: last } : {}));
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
