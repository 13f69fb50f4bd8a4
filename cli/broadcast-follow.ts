/**
 * Following a broadcast to its end, for `create` and `watch`: the progress
 * bar (or, with --json, nothing until the end, or one line per snapshot for
 * `watch`), then the final counts, and an exit code that says whether it
 * COMPLETED.
 */
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import { watchUntilFinal } from './broadcast-watch';
import type { Context } from './context';
import { CliError, EXIT } from './exit-codes';
import { broadcastSummary } from './format';
import { BroadcastProgress } from './progress-bar';

/** COMPLETED is success, dead letters included: they are a result, listed by `dead-letters`. */
export function exitCodeOf(final: Broadcast__Output): number {
  return final.state === 'BROADCAST_STATE_COMPLETED' ? EXIT.OK : EXIT.NOT_COMPLETED;
}

/** Watches until final and prints the final state; `jsonLines` prints every snapshot as a JSON line instead. */
export async function followBroadcast(ctx: Context, broadcastId: string, intervalMs: number, jsonLines: boolean): Promise<Broadcast__Output> {
  const progress = ctx.out.json ? undefined : new BroadcastProgress(ctx.out.stderr);
  let final: Broadcast__Output;
  try {
    final = await watchUntilFinal(ctx.conn, broadcastId, {
      intervalMs,
      // A coordinator restart takes a few seconds; --timeout-ms bounds how long we wait it out.
      reconnectBudgetMs: ctx.timeoutMs,
      onSnapshot: (b) => {
        progress?.update(b);
        if (jsonLines) ctx.out.record(b, () => '');
      },
      onReconnect: (reason) => ctx.out.note(`lost the watch stream (${reason}); reconnecting`),
    });
  } catch (err) {
    progress?.stop();
    if (err instanceof CliError && err.exitCode === EXIT.INTERRUPTED) {
      throw new CliError(EXIT.INTERRUPTED, `stopped watching; broadcast ${broadcastId} carries on (relaycast broadcast watch ${broadcastId}, or cancel ${broadcastId})`);
    }
    throw err;
  }
  progress?.stop();
  if (!jsonLines) ctx.out.result(final, () => broadcastSummary(final));
  return final;
}
