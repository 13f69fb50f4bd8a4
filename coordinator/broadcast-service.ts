/**
 * relaycast.v1.Broadcasts (the public API) and relaycast.v1.ShardData (the
 * node-facing data plane). Audiences live in LevelDB under ordered sequence
 * keys; the coordinator reads them a page at a time.
 */
import { AUDIENCE_PAGE_BYTES_MAX, VAR_VALUE_LENGTH_MAX, VARS_PER_RECIPIENT_MAX } from '../protocol/limits';
import { joinAudienceRecords, type AudienceRecord } from '../protocol/audience';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { errorStatus, statusError, toStatus } from '../protocol/grpc-status';
import { CommandError } from './coordinator';
import { fail, ok, type Result } from '../protocol/errors';
import { prefixEnd, type BatchOp, type KvStore } from '../platform/store/store';
import { checkId, DEAD_LETTER_REASON_LENGTH_MAX, LIST_RESPONSE_BYTES_MAX, RECIPIENT_ID_LENGTH_MAX, truncate } from '../protocol/validate';
import { changeLifecycle, deadLetterStanding, recordDeadLetters, retryDeadLetters, type StoredDeadLetter } from './core/broadcast-commands';
import { compileTemplate } from '../protocol/template';
import type { BroadcastsHandlers } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { ShardDataHandlers } from '../protocol/generated/relaycast/v1/ShardData';
import type { Broadcast } from '../protocol/generated/relaycast/v1/Broadcast';
import type { Recipient__Output } from '../protocol/generated/relaycast/v1/Recipient';
import type { BroadcastOptions__Output } from '../protocol/generated/relaycast/v1/BroadcastOptions';
import type { DeadLetter } from '../protocol/generated/relaycast/v1/DeadLetter';
import type { Coordinator } from './coordinator';
import {
  KEY_REQUEST,
  audienceKey,
  deadLetterKey,
  type BroadcastMeta,
  type BroadcastOptionsDomain,
} from './core/scheduler';

export const LIMITS = {
  inlineRecipientsMax: 10_000,
  chunkRecipientsMax: 10_000,
  recipientIdLengthMax: RECIPIENT_ID_LENGTH_MAX,
  varsPerRecipientMax: VARS_PER_RECIPIENT_MAX,
  varValueLengthMax: VAR_VALUE_LENGTH_MAX,
  shardSizeMax: 10_000_000,
  audiencePageMax: 5000,
  deadLetterPageMax: 5000,
  retryMax: 100_000,
  watchIntervalMsMin: 50,
  requestIdLengthMax: 128,
  /**
   * Every shard lives in the coordinator's memory and store from the start;
   * a tiny shard size over a huge upload would exhaust both.
   */
  shardsPerBroadcastMax: 10_000,
  /** An audience page ends early past this much JSON: one recipient can be ~1.6 MB, gRPC allows 16 MiB. */
  audiencePageBytesMax: AUDIENCE_PAGE_BYTES_MAX,
  /** A node reports at most one delivery batch of dead letters at a time (--deliver-batch-size ≤ 10,000). */
  deadLettersPerReportMax: 10_000,
  /** Broadcast and upload ids are made here (22 characters); anything much longer is not one. */
  broadcastIdLengthMax: 64,
  /** Creates, lifecycle changes and retries waiting their turn; beyond it they are refused (UNAVAILABLE, retry). */
  adminCommandsQueuedMax: 1000,
};

/** Audience records read from the store per call while building a page. */
const AUDIENCE_READ_SLICE = 1000;

/** What a listed broadcast costs in a response beyond its template, generously. */
const BROADCAST_MESSAGE_OVERHEAD_BYTES = 512;
/** What a dead letter costs in a response beyond its strings, generously. */
const DEAD_LETTER_OVERHEAD_BYTES = 64;

/**
 * The shard size a broadcast of `total` recipients gets: the caller's
 * choice, refused if it makes too many shards; or the default, raised so
 * that it does not.
 */
function effectiveShardSize(total: number, resolved: number, chosen: boolean): Result<number> {
  const fewest = Math.ceil(total / LIMITS.shardsPerBroadcastMax);
  if (resolved >= fewest) return ok(resolved);
  if (!chosen) return ok(fewest);
  return fail('INVALID_ARGUMENT', `options.shard_size ${resolved} cuts ${total} recipients into ${Math.ceil(total / resolved)} shards; at most ${LIMITS.shardsPerBroadcastMax} allowed (use a shard_size of at least ${fewest}, or 0 for the default)`);
}

import { KEY_UPLOAD, audiencePrefix, deadLetterPrefix } from './core/keys';
const VAR_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

interface UploadMeta {
  uploadId: string;
  recipients: number;
  createdAtUnixMs: number;
}


export function newId(prefix: string, wallMs: number): string {
  // Time first so ids sort by creation; random tail for uniqueness.
  return `${prefix}${wallMs.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
}

function checkRecipients(field: string, recipients: readonly Recipient__Output[]): Result<AudienceRecord[]> {
  const out: AudienceRecord[] = [];
  for (const [i, r] of recipients.entries()) {
    if (r.id.length === 0) return fail('INVALID_ARGUMENT', `${field}[${i}].id is required`);
    if (r.id.length > LIMITS.recipientIdLengthMax) return fail('INVALID_ARGUMENT', `${field}[${i}].id is longer than ${LIMITS.recipientIdLengthMax} characters`);
    if (r.vars.length > LIMITS.varsPerRecipientMax) return fail('INVALID_ARGUMENT', `${field}[${i}] has ${r.vars.length} vars; at most ${LIMITS.varsPerRecipientMax}`);
    const vars: Array<[string, string]> = [];
    for (const [j, v] of r.vars.entries()) {
      if (!VAR_KEY.test(v.key)) return fail('INVALID_ARGUMENT', `${field}[${i}].vars[${j}].key ${JSON.stringify(v.key)} must be 1-64 of letters, digits, '_', '.', '-'`);
      if (v.value.length > LIMITS.varValueLengthMax) return fail('INVALID_ARGUMENT', `${field}[${i}].vars[${j}].value is longer than ${LIMITS.varValueLengthMax} characters`);
      vars.push([v.key, v.value]);
    }
    out.push({ id: r.id, vars });
  }
  return ok(out);
}

function checkOptions(options: BroadcastOptions__Output | null, shardSizeDefault: number): Result<BroadcastOptionsDomain> {
  const o = options ?? { shardSize: 0, onlyReachable: false, priority: 0, notBeforeUnixMs: 0, rateLimitPerS: 0 };
  if (o.shardSize > LIMITS.shardSizeMax) return fail('INVALID_ARGUMENT', `options.shard_size ${o.shardSize} is above the maximum ${LIMITS.shardSizeMax}`);
  if (o.notBeforeUnixMs < 0) return fail('INVALID_ARGUMENT', 'options.not_before_unix_ms must not be negative');
  return ok({ shardSize: o.shardSize === 0 ? shardSizeDefault : o.shardSize, onlyReachable: o.onlyReachable, priority: o.priority, notBeforeUnixMs: o.notBeforeUnixMs, rateLimitPerS: o.rateLimitPerS });
}

function recipientOps(audienceId: string, from: number, recipients: readonly AudienceRecord[]): BatchOp[] {
  return recipients.map((r, i) => ({ type: 'put', key: audienceKey(audienceId, from + i), value: JSON.stringify(r) }));
}

async function deletePrefix(store: KvStore, prefix: string): Promise<void> {
  for (;;) {
    const ops: BatchOp[] = [];
    for await (const [key] of store.scan({ gte: prefix, lt: prefixEnd(prefix), limit: 10_000 })) ops.push({ type: 'del', key });
    if (ops.length === 0) return;
    await store.batch(ops);
  }
}

export function toBroadcastMessage(coordinator: Coordinator, meta: BroadcastMeta, includeShards: boolean): Broadcast {
  const counts = coordinator.scheduler.counts(meta.id);
  return {
    broadcastId: meta.id,
    clusterId: meta.clusterId,
    state: `BROADCAST_STATE_${meta.state}`,
    counts: { total: counts.total, delivered: counts.delivered, skippedUnreachable: counts.skipped, deadLettered: counts.dead, inFlight: counts.inFlight, pending: counts.pending },
    shards: includeShards
      ? coordinator.scheduler.shardsOf(meta.id).map((s) => ({
          shardId: s.shardId, start: s.start, end: s.end,
          state: `SHARD_STATE_${s.state === 'REVOKING' ? 'ASSIGNED' : s.state}`,
          ownerNodeKey: s.owner, epoch: s.epoch, watermark: s.watermark,
          delivered: s.delivered, skippedUnreachable: s.skipped, deadLettered: s.dead,
        }))
      : [],
    template: meta.template,
    options: meta.options,
    createdAtUnixMs: meta.createdAtUnixMs,
    finishedAtUnixMs: meta.finishedAtUnixMs,
    requestId: meta.requestId,
  };
}

const FINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

export function broadcastHandlers(coordinator: Coordinator, store: KvStore, config: { shardSizeDefault: number; clusterIdDefault: string }): BroadcastsHandlers {
  const { scheduler } = coordinator;
  const snapshot = (meta: BroadcastMeta, includeShards = false) => toBroadcastMessage(coordinator, meta, includeShards);
  const lookup = (id: string): Result<BroadcastMeta> => {
    if (id === '') return fail('INVALID_ARGUMENT', 'broadcast_id is required');
    if (id.length > LIMITS.broadcastIdLengthMax) return fail('INVALID_ARGUMENT', `broadcast_id is ${id.length} characters; ids are at most ${LIMITS.broadcastIdLengthMax}`);
    const meta = scheduler.get(id);
    if (meta !== undefined) return ok(meta);
    return fail('NOT_FOUND', scheduler.purgedReason(id) ?? `broadcast ${JSON.stringify(id)} does not exist`);
  };
  /**
   * Creates, cancels, pauses, resumes and retries take turns: each reads
   * what the one before it made durable, and each is one command (one
   * atomic write) on the coordinator's command path.
   */
  let lane: Promise<unknown> = Promise.resolve();
  let laneQueued = 0;
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    if (laneQueued >= LIMITS.adminCommandsQueuedMax) return Promise.reject(new CommandError('UNAVAILABLE', `${laneQueued} broadcast commands are waiting their turn; retry shortly`));
    laneQueued += 1;
    const run = lane.then(work);
    lane = run.then(
      () => void (laneQueued -= 1),
      () => void (laneQueued -= 1),
    );
    return run;
  };
  /** Cancel, pause and resume: a state change in the scheduler, durable before the answer. */
  const lifecycle = (id: string, callback: grpc.sendUnaryData<Broadcast>, op: 'cancel' | 'pause' | 'resume') => {
    const meta = lookup(id);
    if (!meta.ok) return callback(toStatus(meta.error));
    inTurn(() =>
      coordinator.propose(() => changeLifecycle(scheduler, meta.value.id, op), 'api'),
    ).then((result) => {
      if (!result.ok) return callback(toStatus(result.error));
      coordinator.log.info({ broadcastId: meta.value.id, state: result.value.state }, `broadcast ${op}`);
      callback(null, snapshot(result.value));
    }, (err: unknown) => callback(errorStatus(err)));
  };

  return {
    CreateBroadcast(call, callback) {
      const req = call.request;
      const clusterId = req.clusterId === '' ? config.clusterIdDefault : req.clusterId;
      const cluster = checkId('cluster_id', clusterId);
      if (!cluster.ok) return callback(toStatus(cluster.error));
      const template = compileTemplate(req.template);
      if (!template.ok) return callback(toStatus({ code: 'INVALID_ARGUMENT', message: `template: ${template.error.message}` }));
      if (req.template.length === 0) return callback(statusError(grpc.status.INVALID_ARGUMENT, 'template is required'));
      const options = checkOptions(req.options, config.shardSizeDefault);
      if (!options.ok) return callback(toStatus(options.error));
      if (req.requestId.length > LIMITS.requestIdLengthMax) return callback(statusError(grpc.status.INVALID_ARGUMENT, `request_id is longer than ${LIMITS.requestIdLengthMax} characters`));
      if (req.uploadId.length > LIMITS.broadcastIdLengthMax) return callback(statusError(grpc.status.INVALID_ARGUMENT, `upload_id is ${req.uploadId.length} characters; ids are at most ${LIMITS.broadcastIdLengthMax}`));
      if (req.uploadId !== '' && req.audience.length > 0) return callback(statusError(grpc.status.INVALID_ARGUMENT, 'give either audience or upload_id, not both'));
      if (req.uploadId === '' && req.audience.length === 0) return callback(statusError(grpc.status.INVALID_ARGUMENT, 'audience is empty: give recipients inline or an upload_id from UploadAudience'));
      if (req.audience.length > LIMITS.inlineRecipientsMax) return callback(statusError(grpc.status.INVALID_ARGUMENT, `an inline audience has at most ${LIMITS.inlineRecipientsMax} recipients (${req.audience.length} given); use UploadAudience`));
      const recipients = checkRecipients('audience', req.audience);
      if (!recipients.ok) return callback(toStatus(recipients.error));

      inTurn(async (): Promise<Result<BroadcastMeta>> => {
        if (req.requestId !== '') {
          const existing = await store.get(KEY_REQUEST + req.requestId);
          const meta = existing === undefined ? undefined : scheduler.get(existing);
          if (meta !== undefined) return ok(meta);
        }
        let total = recipients.value.length;
        let audienceId: string | undefined;
        if (req.uploadId !== '') {
          const upload = await store.get(KEY_UPLOAD + req.uploadId);
          if (upload === undefined) return fail('NOT_FOUND', `upload ${JSON.stringify(req.uploadId)} does not exist (or did not complete)`);
          total = (JSON.parse(upload) as UploadMeta).recipients;
          audienceId = req.uploadId;
        }
        const shardSize = effectiveShardSize(total, options.value.shardSize, (req.options?.shardSize ?? 0) !== 0);
        if (!shardSize.ok) return shardSize;
        options.value.shardSize = shardSize.value;
        const id = newId('bc-', coordinator.clock.wallMs());
        const meta: BroadcastMeta = {
          id, clusterId, template: req.template, options: options.value, state: 'PENDING', total, audienceId: audienceId ?? id,
          createdAtUnixMs: coordinator.clock.wallMs(), finishedAtUnixMs: 0, requestId: req.requestId, nextShardId: 0, deadRetried: 0,
        };
        // One atomic write: the inline audience, the request id, the broadcast and its shards.
        const created = await coordinator.propose((tx): Result<true> => {
          // The upload may have expired since its record was read: never start from a vanishing audience.
          if (audienceId !== undefined && coordinator.retention?.isExpiring(audienceId) === true) return fail('NOT_FOUND', `upload ${JSON.stringify(audienceId)} has expired (uploads are kept for the broadcast retention)`);
          if (audienceId === undefined) tx.write(recipientOps(id, 0, recipients.value));
          if (req.requestId !== '') tx.write([{ type: 'put', key: KEY_REQUEST + req.requestId, value: id }]);
          scheduler.create(meta);
          scheduler.tick();
          return ok(true);
        }, 'api');
        if (!created.ok) return created;
        coordinator.log.info({ broadcastId: id, clusterId, total, shards: scheduler.shardsOf(id).length, audienceId: meta.audienceId }, 'broadcast created');
        return ok(meta);
      }).then((result) => (result.ok ? callback(null, snapshot(result.value)) : callback(toStatus(result.error))), (err: unknown) => callback(errorStatus(err)));
    },

    UploadAudience(call, callback) {
      const uploadId = newId('up-', coordinator.clock.wallMs());
      const log = coordinator.log.child({ uploadId });
      let count = 0;
      let settled = false;
      /** The last chunk write; a failed write settles the upload at once and is never left rejected. */
      let writing: Promise<void> = Promise.resolve();
      const finish = (error: grpc.ServiceError | undefined, response?: { uploadId: string; recipients: number }) => {
        if (settled) return;
        settled = true;
        if (error === undefined) return callback(null, response);
        // Keep nothing of a failed upload: remove what was written, after any write still in flight.
        call.resume();
        writing
          .then(() => deletePrefix(store, audiencePrefix(uploadId)))
          .catch((err: unknown) => log.error({ err }, "removing a failed upload's recipients failed; without an upload record nothing can use them"))
          .finally(() => callback(error));
      };
      const refuse = (code: grpc.status, message: string) => finish(statusError(code, message));
      const storeFailed = (err: Error) => `the coordinator could not store the audience (${err.message}); nothing was kept, upload again`;
      call.on('data', (chunk: { recipients: Recipient__Output[] }) => {
        if (settled) return;
        if (chunk.recipients.length > LIMITS.chunkRecipientsMax) return refuse(grpc.status.INVALID_ARGUMENT, `a chunk has ${chunk.recipients.length} recipients (after ${count} accepted); at most ${LIMITS.chunkRecipientsMax} per chunk`);
        const checked = checkRecipients(`recipients (after ${count} accepted)`, chunk.recipients);
        if (!checked.ok) return refuse(grpc.status.INVALID_ARGUMENT, checked.error.message);
        const from = count;
        count += checked.value.length;
        // Backpressure: read the next chunk only once this one is written.
        call.pause();
        writing = writing.then(() => store.batch(recipientOps(uploadId, from, checked.value))).then(
          () => {
            if (!settled) call.resume();
          },
          (err: Error) => {
            log.error({ err }, 'writing an upload chunk failed');
            refuse(grpc.status.UNAVAILABLE, storeFailed(err));
          },
        );
      });
      call.on('error', () => refuse(grpc.status.CANCELLED, 'upload cancelled by the client'));
      call.on('end', () => {
        if (settled) return;
        writing
          .then(async () => {
            if (settled) return;
            if (count === 0) return refuse(grpc.status.INVALID_ARGUMENT, 'the upload has no recipients');
            const meta: UploadMeta = { uploadId, recipients: count, createdAtUnixMs: coordinator.clock.wallMs() };
            await store.put(KEY_UPLOAD + uploadId, JSON.stringify(meta));
            log.info({ recipients: count }, 'audience uploaded');
            finish(undefined, { uploadId, recipients: count });
          })
          .catch((err: Error) => refuse(grpc.status.UNAVAILABLE, storeFailed(err)));
      });
    },

    GetBroadcast(call, callback) {
      const meta = lookup(call.request.broadcastId);
      if (!meta.ok) return callback(toStatus(meta.error));
      callback(null, snapshot(meta.value, call.request.includeShards));
    },

    ListBroadcasts(call, callback) {
      const { clusterId, pageSize, pageToken } = call.request;
      const limit = pageSize === 0 ? 100 : Math.min(pageSize, 1000);
      const all = scheduler.list(clusterId).filter((b) => pageToken === '' || b.id > pageToken);
      const page: BroadcastMeta[] = [];
      let bytes = 0;
      for (const b of all) {
        // Templates are up to 64 KiB each: a page of them could outgrow what clients accept.
        bytes += b.template.length * 3 + b.requestId.length + BROADCAST_MESSAGE_OVERHEAD_BYTES;
        if (page.length === limit || (page.length > 0 && bytes > LIST_RESPONSE_BYTES_MAX)) break;
        page.push(b);
      }
      callback(null, { broadcasts: page.map((b) => snapshot(b)), nextPageToken: all.length > page.length ? page[page.length - 1]!.id : '' });
    },

    WatchBroadcast(call) {
      const meta = lookup(call.request.broadcastId);
      if (!meta.ok) return call.emit('error', statusError(toStatus(meta.error).code!, meta.error.message));
      const id = meta.value.id;
      const intervalMs = Math.max(LIMITS.watchIntervalMsMin, call.request.intervalMs === 0 ? 500 : call.request.intervalMs);
      const now = () => coordinator.clock.monotonicMs();
      let lastSent = Number.NEGATIVE_INFINITY;
      let timer: NodeJS.Timeout | undefined;
      let finished = false;
      /** The client has not taken the last snapshot: send the newest once it drains (snapshots supersede each other). */
      let blocked = false;
      let changedWhileBlocked = false;
      let unsubscribe: () => void = () => undefined;
      const stop = () => {
        finished = true;
        unsubscribe();
        if (timer !== undefined) clearTimeout(timer);
      };
      const send = () => {
        timer = undefined;
        if (finished) return;
        const current = scheduler.get(id);
        if (current === undefined) {
          stop();
          return call.emit('error', statusError(grpc.status.NOT_FOUND, `broadcast ${id} no longer exists`));
        }
        lastSent = now();
        blocked = !call.write(snapshot(current));
        if (FINAL.has(current.state)) {
          stop();
          call.end();
        }
      };
      const schedule = () => {
        if (timer !== undefined || finished) return;
        if (blocked) return void (changedWhileBlocked = true);
        timer = setTimeout(send, Math.max(0, lastSent + intervalMs - now()));
      };
      const subscribed = coordinator.onBroadcastChange((changed) => {
        if (changed.has(id)) schedule();
      });
      if (subscribed === undefined) return call.emit('error', statusError(grpc.status.RESOURCE_EXHAUSTED, 'too many WatchBroadcast streams are open on this coordinator; retry later or poll GetBroadcast'));
      unsubscribe = subscribed;
      call.on('drain', () => {
        blocked = false;
        if (changedWhileBlocked) {
          changedWhileBlocked = false;
          schedule();
        }
      });
      call.on('cancelled', stop);
      send();
    },

    CancelBroadcast: (call, callback) => lifecycle(call.request.broadcastId, callback, 'cancel'),
    PauseBroadcast: (call, callback) => lifecycle(call.request.broadcastId, callback, 'pause'),
    ResumeBroadcast: (call, callback) => lifecycle(call.request.broadcastId, callback, 'resume'),

    ListDeadLetters(call, callback) {
      const meta = lookup(call.request.broadcastId);
      if (!meta.ok) return callback(toStatus(meta.error));
      const { pageSize, pageToken } = call.request;
      const limit = pageSize === 0 ? 500 : Math.min(pageSize, LIMITS.deadLetterPageMax);
      const prefix = deadLetterPrefix(meta.value.id);
      if (pageToken !== '' && !/^\d{1,15}$/.test(pageToken)) return callback(statusError(grpc.status.INVALID_ARGUMENT, 'page_token is not one this server returned (use next_page_token as given)'));
      const from = pageToken === '' ? prefix : deadLetterKey(meta.value.id, Number(pageToken) + 1);
      (async () => {
        const deadLetters: DeadLetter[] = [];
        let bytes = 0;
        let more = false;
        for await (const [, value] of store.scan({ gte: from, lt: prefixEnd(prefix) })) {
          const record = JSON.parse(value) as StoredDeadLetter;
          // A void record (its recipient is being redone after its node died) is not a dead letter.
          if (deadLetterStanding(scheduler, record) === 'stale') continue;
          bytes += value.length * 3 + DEAD_LETTER_OVERHEAD_BYTES;
          if (deadLetters.length === limit || (deadLetters.length > 0 && bytes > LIST_RESPONSE_BYTES_MAX)) {
            more = true;
            break;
          }
          const { broadcastId, sequence, recipientId, reason, attempts } = record;
          deadLetters.push({ broadcastId, sequence, recipientId, reason, attempts });
        }
        const page = deadLetters;
        callback(null, { deadLetters: page, nextPageToken: more ? String(page[page.length - 1]!.sequence) : '' });
      })().catch((err: Error) => callback(statusError(grpc.status.INTERNAL, err.message)));
    },

    RetryDeadLetters(call, callback) {
      const meta = lookup(call.request.broadcastId);
      if (!meta.ok) return callback(toStatus(meta.error));
      const id = meta.value.id;
      const wanted = call.request.sequences.length === 0 ? undefined : new Set(call.request.sequences);
      if (wanted !== undefined && wanted.size > LIMITS.retryMax) return callback(statusError(grpc.status.INVALID_ARGUMENT, `at most ${LIMITS.retryMax} sequences per call`));
      inTurn(async () => {
        const prefix = deadLetterPrefix(id);
        const records: StoredDeadLetter[] = [];
        for await (const [, value] of store.scan({ gte: prefix, lt: prefixEnd(prefix) })) {
          const record = JSON.parse(value) as StoredDeadLetter;
          if (wanted === undefined || wanted.has(record.sequence)) records.push(record);
          if (records.length >= LIMITS.retryMax) break;
        }
        // One command: the dead letters leave the queue in the same atomic
        // write that hands them back as new shards, or not at all.
        return coordinator.propose((tx) => {
          const result = retryDeadLetters(scheduler, id, records);
          if (result.ok) tx.write(result.value.ops);
          return result;
        }, 'api');
      }).then((result) => {
        if (!result.ok) return callback(toStatus(result.error));
        coordinator.log.info({ broadcastId: id, retried: result.value.retried, voided: result.value.voided }, 'dead letters retried');
        callback(null, { retried: result.value.retried, broadcast: snapshot(result.value.meta) });
      }, (err: unknown) => callback(errorStatus(err)));
    },
  };
}

export function shardDataHandlers(coordinator: Coordinator, store: KvStore): ShardDataHandlers {
  const { scheduler } = coordinator;
  return {
    ReadAudience(call, callback) {
      const { broadcastId, shardId, epoch, nodeKey, fromSequence, limit } = call.request;
      const pageSize = Math.min(limit === 0 ? 1000 : limit, LIMITS.audiencePageMax);
      (async () => {
        // A command, not a query: the read frontier it records decides where a split may cut.
        const held = await coordinator.propose(() => scheduler.beginRead(nodeKey, broadcastId, shardId, epoch, fromSequence, pageSize), 'member', { ordered: false });
        if (!held.ok) return callback(toStatus(held.error));
        const { shard, end } = held.value;
        const audienceId = scheduler.get(broadcastId)!.audienceId;
        // Captured now: a split while the page is read never cuts below `end`.
        const shardEnd = shard.end;
        const lines: string[] = [];
        let bytes = 0;
        // Sequences are dense (0..total-1), so the page is contiguous; a
        // shorter one is fine: the node asks again from where it ended.
        // Values only, a slice per call: far cheaper than entry by entry,
        // and no more in memory at once than one slice.
        let next = fromSequence;
        read: while (next < end) {
          const slice = await store.scanValues({ gte: audienceKey(audienceId, next), lt: audienceKey(audienceId, end), limit: AUDIENCE_READ_SLICE });
          for (const value of slice) {
            bytes += value.length * 3 + 1;
            if (lines.length > 0 && bytes > LIMITS.audiencePageBytesMax) break read;
            lines.push(value);
          }
          if (slice.length < AUDIENCE_READ_SLICE) break;
          next += slice.length;
        }
        callback(null, { recordsJson: joinAudienceRecords(lines), firstSequence: fromSequence, count: lines.length, shardEnd });
      })().catch((err: unknown) => callback(errorStatus(err)));
    },

    ReportDeadLetters(call, callback) {
      const { broadcastId, shardId, epoch, nodeKey, deadLetters } = call.request;
      if (deadLetters.length > LIMITS.deadLettersPerReportMax) return callback(statusError(grpc.status.INVALID_ARGUMENT, `${deadLetters.length} dead letters in one report; at most ${LIMITS.deadLettersPerReportMax}`));
      // One command: ownership is checked against the state the write lands in.
      coordinator
        .propose((tx) => {
          const result = recordDeadLetters(scheduler, { broadcastId, shardId, epoch, nodeKey, deadLetters });
          if (result.ok) tx.write(result.value);
          return result;
        }, 'member')
        .then((result) => {
          if (!result.ok) return callback(toStatus(result.error));
          if (deadLetters.length > 0) {
            const first = deadLetters[0]!;
            coordinator.log.warn({ broadcastId, shardId, nodeKey, deadLetters: deadLetters.length, sequence: first.sequence, recipientId: first.recipientId, reason: truncate(first.reason, DEAD_LETTER_REASON_LENGTH_MAX) }, 'dead letters recorded (the first shown)');
          }
          callback(null, {});
        }, (err: unknown) => callback(errorStatus(err)));
    },
  };
}
