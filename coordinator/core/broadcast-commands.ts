/**
 * Broadcast commands, pure: what cancel, pause, resume, a dead-letter report
 * and a dead-letter retry change, and which store writes go with the
 * change. The gRPC shell (broadcast-service.ts) and the simulator run each
 * of them inside one command of the coordinator, so the change and its
 * writes are one atomic batch.
 */
import { fail, ok, type Result } from '../../protocol/errors';
import type { BatchOp } from '../../platform/store/store';
import { DEAD_LETTER_REASON_LENGTH_MAX, RECIPIENT_ID_LENGTH_MAX, truncate } from '../../protocol/validate';
import { deadLetterKey, type BroadcastMeta, type Scheduler } from './scheduler';

export type LifecycleOp = 'cancel' | 'pause' | 'resume';

/**
 * A dead letter as stored (one JSON value per sequence) and listed by
 * ListDeadLetters, with the shard and order epoch it was recorded under.
 */
export interface StoredDeadLetter {
  broadcastId: string;
  sequence: number;
  recipientId: string;
  reason: string;
  attempts: number;
  /** Absent on records written before they carried it (treated as counted). */
  shardId?: number;
  epoch?: number;
}

/**
 * Where a recorded dead letter stands. A node records a dead letter first
 * and counts it final afterwards (its progress reaches the coordinator with
 * a later liveness packet), so a record is:
 * - counted: its shard, still under the epoch that recorded it, has its
 *   watermark past it — the record is in counts.dead;
 * - pending: recorded under the shard's current epoch, not yet past the
 *   watermark — it will be counted with the owner's next report;
 * - stale: the shard moved on below it (its owner died or stopped before
 *   counting it): the recipient is redone from the checkpoint and ends in
 *   whatever state the new attempt reaches, so the record is void.
 */
export type DeadLetterStanding = 'counted' | 'pending' | 'stale';

export function deadLetterStanding(scheduler: Scheduler, record: StoredDeadLetter): DeadLetterStanding {
  if (record.shardId === undefined || record.epoch === undefined) return 'counted';
  const shard = scheduler.shard(record.broadcastId, record.shardId);
  if (shard === undefined || shard.epoch !== record.epoch || record.sequence < shard.start || record.sequence >= shard.end) return 'stale';
  return record.sequence < shard.watermark ? 'counted' : 'pending';
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
    const stored: StoredDeadLetter = { broadcastId, sequence: dl.sequence, recipientId: dl.recipientId, reason: truncate(dl.reason, DEAD_LETTER_REASON_LENGTH_MAX), attempts: dl.attempts, shardId, epoch };
    ops.push({ type: 'put', key: deadLetterKey(broadcastId, dl.sequence), value: JSON.stringify(stored) });
  }
  return ok(ops);
}

/**
 * Hand dead letters back for another try: the counted ones leave the
 * dead-letter queue in the same write that makes them new shards, or not at
 * all; pending ones stay for a later retry. `records` are the stored dead
 * letters chosen (read before the command); their standing is judged here,
 * atomically with the change. Stale records are left alone (they count for
 * nothing, listings skip them, the retention removes them): the record read
 * may already have been replaced by the recipient's new owner, whose fresh
 * record must not be deleted on the strength of the old one.
 */
export function retryDeadLetters(scheduler: Scheduler, id: string, records: readonly StoredDeadLetter[]): Result<{ meta: BroadcastMeta; ops: BatchOp[]; retried: number; voided: number; sequences: number[] }> {
  const counted: number[] = [];
  const ops: BatchOp[] = [];
  let voided = 0;
  for (const record of records) {
    const standing = deadLetterStanding(scheduler, record);
    if (standing === 'stale') voided += 1;
    if (standing !== 'counted') continue;
    counted.push(record.sequence);
    ops.push({ type: 'del', key: deadLetterKey(id, record.sequence) });
  }
  const result = scheduler.retry(id, counted);
  if (!result.ok) return result;
  scheduler.tick();
  return ok({ meta: result.value, ops, retried: counted.length, voided, sequences: counted });
}
