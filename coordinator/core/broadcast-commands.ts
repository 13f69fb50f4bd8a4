/**
 * Broadcast commands, pure: what cancel, pause, resume, a dead-letter report
 * and a dead-letter retry change, and which store writes go with the
 * change. The gRPC shell (broadcast-service.ts) and the simulator run each
 * of them inside one command of the coordinator, so the change and its
 * writes are one atomic batch.
 */
import { fail, ok, type Result } from '../../shared/errors';
import type { BatchOp } from '../../shared/store/store';
import { DEAD_LETTER_REASON_LENGTH_MAX, RECIPIENT_ID_LENGTH_MAX, truncate } from '../../shared/validate';
import { deadLetterKey, type BroadcastMeta, type Scheduler } from './scheduler';

export type LifecycleOp = 'cancel' | 'pause' | 'resume';

/** A dead letter as stored (one JSON value per sequence) and listed by ListDeadLetters. */
export interface StoredDeadLetter {
  broadcastId: string;
  sequence: number;
  recipientId: string;
  reason: string;
  attempts: number;
}

export interface DeadLetterReport {
  broadcastId: string;
  shardId: number;
  epoch: number;
  nodeKey: string;
  deadLetters: ReadonlyArray<{ sequence: number; recipientId: string; reason: string; attempts: number }>;
}

/** Cancel, pause or resume, then schedule at once (a resumed broadcast takes nodes now, not at the next tick). */
export function changeLifecycle(scheduler: Scheduler, id: string, op: LifecycleOp): Result<BroadcastMeta> {
  const result = scheduler[op](id);
  if (result.ok) scheduler.tick();
  return result;
}

/**
 * A node's dead letters: accepted only from the shard's current owner
 * and epoch, and only inside the shard; the records to write.
 */
export function recordDeadLetters(scheduler: Scheduler, report: DeadLetterReport): Result<BatchOp[]> {
  const { broadcastId, shardId, epoch, nodeKey } = report;
  const shard = scheduler.shard(broadcastId, shardId);
  if (shard === undefined || shard.owner !== nodeKey || shard.epoch !== epoch || (shard.state !== 'ASSIGNED' && shard.state !== 'REVOKING')) {
    return fail('FAILED_PRECONDITION', `shard ${broadcastId}#${shardId} epoch ${epoch} is not held by ${nodeKey}`);
  }
  const ops: BatchOp[] = [];
  for (const dl of report.deadLetters) {
    if (!Number.isSafeInteger(dl.sequence) || dl.sequence < shard.start || dl.sequence >= shard.end) return fail('OUT_OF_RANGE', `dead letter ${dl.sequence} is outside shard [${shard.start}, ${shard.end})`);
    if (dl.recipientId.length > RECIPIENT_ID_LENGTH_MAX) return fail('INVALID_ARGUMENT', `dead letter ${dl.sequence}: recipient_id is longer than ${RECIPIENT_ID_LENGTH_MAX} characters`);
    const stored: StoredDeadLetter = { broadcastId, sequence: dl.sequence, recipientId: dl.recipientId, reason: truncate(dl.reason, DEAD_LETTER_REASON_LENGTH_MAX), attempts: dl.attempts };
    ops.push({ type: 'put', key: deadLetterKey(broadcastId, dl.sequence), value: JSON.stringify(stored) });
  }
  return ok(ops);
}

/**
 * Hand dead letters back for another try: they leave the dead-letter queue
 * in the same write that makes them new shards, or not at all.
 * `sequences` are the stored dead letters chosen (read before the command).
 */
export function retryDeadLetters(scheduler: Scheduler, id: string, sequences: readonly number[]): Result<{ meta: BroadcastMeta; ops: BatchOp[]; retried: number }> {
  const result = scheduler.retry(id, sequences);
  if (!result.ok) return result;
  scheduler.tick();
  return ok({ meta: result.value, ops: sequences.map((seq): BatchOp => ({ type: 'del', key: deadLetterKey(id, seq) })), retried: sequences.length });
}
