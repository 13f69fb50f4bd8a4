/**
 * The bulk deletes of the retention, in the shell: the scheduler forgets a
 * finished broadcast (meta and shards) in its own commit and lists it in
 * its effects' `purged`; this deletes the rest, which can be millions of
 * keys — the broadcast's own audience, its dead letters, its request id —
 * in chunks, yielding to the event loop between them so that liveness and
 * API calls keep flowing. It also expires uploaded audiences nobody uses
 * any more, and sweeps data a crash left behind.
 *
 * Everything runs one job at a time on one chain; close() waits for it.
 * Nothing here is acknowledged to a client, so a delete that fails is
 * logged and left for the next sweep (sweepOrphans) to find.
 */
import type { Logger } from '../platform/log';
import { prefixEnd, type BatchOp, type KvStore } from '../platform/store/store';
import { KEY_AUDIENCE, KEY_DEAD_LETTER, KEY_REQUEST, KEY_UPLOAD, audiencePrefix, deadLetterPrefix } from './core/keys';
import type { BroadcastMeta, PurgedBroadcast } from './core/scheduler';

export { KEY_UPLOAD } from './core/keys';

/** Keys deleted per write at most; the event loop gets a turn between writes. */
export const RETENTION_CHUNK_KEYS_MAX = 10_000;

/** What broadcast-service.ts stores under up/<uploadId>. */
interface UploadRecord {
  uploadId: string;
  recipients: number;
  createdAtUnixMs: number;
}

/** What the retention asks the scheduler: which broadcasts and audiences are still retained. */
export interface RetentionLookup {
  get(broadcastId: string): BroadcastMeta | undefined;
  audienceInUse(audienceId: string): boolean;
}

export interface RetentionOptions {
  /** The broadcast retention (--broadcast-retention-ms): uploads expire this long after they were made. */
  retentionMs: number;
  /** Keys per delete batch; RETENTION_CHUNK_KEYS_MAX unless a test wants smaller chunks. */
  chunkKeys?: number;
}

/** What a job deleted, for logs and tests. */
export interface Deleted {
  audienceKeys: number;
  deadLetters: number;
  requestIds: number;
  uploads: number;
}

const noneDeleted = (): Deleted => ({ audienceKeys: 0, deadLetters: 0, requestIds: 0, uploads: 0 });

/**
 * Ids made by broadcast-service's newId(): `bc-` or `up-`, the creation
 * time in base 36 (9 characters), 10 hex digits. Returns the creation time,
 * or undefined for anything else (which the sweep then leaves alone).
 */
export function idCreatedAtUnixMs(id: string): number | undefined {
  const match = /^(?:bc|up)-([0-9a-z]{9})[0-9a-f]{10}$/.exec(id);
  return match === null ? undefined : parseInt(match[1]!, 36);
}

/** Upload ids being (or recently) expired that a create must refuse; bounded, oldest forgotten first. */
const EXPIRING_REMEMBERED_MAX = 10_000;

export class Retention {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly expiring = new Set<string>();
  private queued = 0;
  private closing = false;
  private readonly chunkKeys: number;

  constructor(
    private readonly store: KvStore,
    private readonly log: Logger,
    private readonly lookup: RetentionLookup,
    private readonly options: RetentionOptions,
  ) {
    this.chunkKeys = options.chunkKeys ?? RETENTION_CHUNK_KEYS_MAX;
    if (!(Number.isSafeInteger(this.chunkKeys) && this.chunkKeys >= 1 && this.chunkKeys <= RETENTION_CHUNK_KEYS_MAX)) throw new Error(`chunkKeys must be 1-${RETENTION_CHUNK_KEYS_MAX}`);
    if (!(Number.isSafeInteger(options.retentionMs) && options.retentionMs >= 0)) throw new Error('retentionMs must be an integer >= 0');
  }

  /**
   * Whether an upload is being deleted (or was): a create that read its
   * record before the delete must refuse it inside its command.
   */
  isExpiring(uploadId: string): boolean {
    return this.expiring.has(uploadId);
  }

  /** Jobs waiting or running (purges count one per broadcast). */
  get pending(): number {
    return this.queued;
  }

  /**
   * Delete the data of broadcasts the scheduler purged — call it once their
   * meta deletes are durable. Their own audience (not an upload: that goes
   * with expireUploads), their dead letters, and their request id if it
   * still names them. Resolves when done.
   */
  purge(purged: readonly PurgedBroadcast[]): Promise<Deleted> {
    const total = noneDeleted();
    if (purged.length === 0) return Promise.resolve(total);
    this.queued += purged.length;
    return this.enqueue(async () => {
      for (const p of purged) {
        try {
          if (this.closing) continue;
          const deleted = await this.purgeOne(p);
          addTo(total, deleted);
          this.log.info({ broadcastId: p.broadcastId, clusterId: p.clusterId, audienceId: p.audienceId, finishedAtUnixMs: p.finishedAtUnixMs, ...deleted }, 'finished broadcast deleted after the retention');
        } catch (err) {
          this.log.error({ err, broadcastId: p.broadcastId, clusterId: p.clusterId }, 'deleting a purged broadcast\'s data failed; the next sweep retries');
        } finally {
          this.queued -= 1;
        }
      }
      return total;
    });
  }

  /**
   * Delete uploads made more than the retention ago that no retained
   * broadcast uses: first up/<id> (so no new broadcast can start from it),
   * then its audience. Cost: one pass over the up/ keys.
   */
  expireUploads(nowWallMs: number): Promise<Deleted> {
    this.queued += 1;
    return this.enqueue(async () => {
      const total = noneDeleted();
      try {
        let from = KEY_UPLOAD;
        for (;;) {
          const page: Array<[string, string]> = [];
          for await (const entry of this.store.scan({ gte: from, lt: prefixEnd(KEY_UPLOAD), limit: this.chunkKeys })) page.push(entry);
          for (const [key, value] of page) {
            if (this.closing) return total;
            const uploadId = key.slice(KEY_UPLOAD.length);
            const createdAtUnixMs = uploadCreatedAt(value);
            if (createdAtUnixMs === undefined) {
              this.log.error({ uploadId }, 'upload record is not one this coordinator wrote; left alone');
              continue;
            }
            if (createdAtUnixMs + this.options.retentionMs > nowWallMs || this.lookup.audienceInUse(uploadId)) continue;
            // Marked in the same turn as the check: a create applied after it sees the mark and refuses (isExpiring).
            this.expiring.add(uploadId);
            if (this.expiring.size > EXPIRING_REMEMBERED_MAX) this.expiring.delete(this.expiring.values().next().value!);
            await this.store.del(key);
            const audienceKeys = await this.deletePrefix(audiencePrefix(uploadId));
            total.uploads += 1;
            total.audienceKeys += audienceKeys;
            this.log.info({ uploadId, createdAtUnixMs, audienceKeys }, 'upload deleted after the retention');
          }
          if (page.length < this.chunkKeys) return total;
          from = page[page.length - 1]![0] + '\u0000';
          await yieldToEventLoop();
        }
      } catch (err) {
        this.log.error({ err }, 'expiring uploads failed; the next run retries');
        return total;
      } finally {
        this.queued -= 1;
      }
    });
  }

  /**
   * Delete what a crash between the scheduler's purge and this module's
   * deletes (or an upload that died half-way) left behind: audiences, dead
   * letters and request ids of broadcasts that are no longer retained, and
   * audiences of uploads without an up/ record. Only ids created more than
   * the retention ago are considered, so nothing being created right now is
   * touched. Walks one key per distinct id (a seek past each), never the
   * audiences themselves.
   */
  sweepOrphans(nowWallMs: number): Promise<Deleted> {
    this.queued += 1;
    return this.enqueue(async () => {
      const total = noneDeleted();
      try {
        const old = (id: string) => {
          const createdAt = idCreatedAtUnixMs(id);
          return createdAt !== undefined && createdAt + this.options.retentionMs <= nowWallMs;
        };
        const broadcastGone = (id: string) => id.startsWith('bc-') && old(id) && this.lookup.get(id) === undefined;
        for await (const id of this.distinctIds(KEY_AUDIENCE)) {
          if (this.closing) return total;
          const orphan = id.startsWith('up-')
            ? old(id) && !this.lookup.audienceInUse(id) && (await this.store.get(KEY_UPLOAD + id)) === undefined
            : broadcastGone(id);
          if (orphan) total.audienceKeys += await this.deletePrefix(audiencePrefix(id));
        }
        for await (const id of this.distinctIds(KEY_DEAD_LETTER)) {
          if (this.closing) return total;
          if (broadcastGone(id)) total.deadLetters += await this.deletePrefix(deadLetterPrefix(id));
        }
        let from = KEY_REQUEST;
        for (;;) {
          const page: Array<[string, string]> = [];
          for await (const entry of this.store.scan({ gte: from, lt: prefixEnd(KEY_REQUEST), limit: this.chunkKeys })) page.push(entry);
          const ops: BatchOp[] = page.filter(([, broadcastId]) => broadcastGone(broadcastId)).map(([key]) => ({ type: 'del', key }));
          if (ops.length > 0) await this.store.batch(ops);
          total.requestIds += ops.length;
          if (page.length < this.chunkKeys || this.closing) break;
          from = page[page.length - 1]![0] + '\u0000';
          await yieldToEventLoop();
        }
        if (total.audienceKeys + total.deadLetters + total.requestIds > 0) this.log.info({ ...total }, 'data of broadcasts and uploads past the retention swept');
      } catch (err) {
        this.log.error({ err }, 'sweeping orphaned data failed; the next sweep retries');
      } finally {
        this.queued -= 1;
      }
      return total;
    });
  }

  /** Stop between chunks and wait for the job in progress; later calls do nothing. */
  async close(): Promise<void> {
    this.closing = true;
    await this.chain;
  }

  private async purgeOne(p: PurgedBroadcast): Promise<Deleted> {
    const deleted = noneDeleted();
    // An upload's audience may be shared: expireUploads deletes it once no broadcast uses it.
    if (p.audienceId === p.broadcastId) deleted.audienceKeys = await this.deletePrefix(audiencePrefix(p.broadcastId));
    deleted.deadLetters = await this.deletePrefix(deadLetterPrefix(p.broadcastId));
    // Its request id went with its meta, in the scheduler's own write.
    return deleted;
  }

  /** Deletes every key under `prefix`, a chunk per write, yielding between chunks; returns how many. */
  private async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const ops: BatchOp[] = [];
      for await (const [key] of this.store.scan({ gte: prefix, lt: prefixEnd(prefix), limit: this.chunkKeys })) ops.push({ type: 'del', key });
      if (ops.length === 0) return deleted;
      await this.store.batch(ops);
      deleted += ops.length;
      if (ops.length < this.chunkKeys) return deleted;
      await yieldToEventLoop();
      if (this.closing) return deleted;
    }
  }

  /** The distinct ids under `kind` (keys `<kind><id>/<n>`), one seek per id, in key order. */
  private async *distinctIds(kind: string): AsyncGenerator<string> {
    let from = kind;
    for (let n = 1; ; n++) {
      let key: string | undefined;
      for await (const [k] of this.store.scan({ gte: from, lt: prefixEnd(kind), limit: 1 })) key = k;
      if (key === undefined) return;
      const slash = key.indexOf('/', kind.length);
      const id = slash === -1 ? key.slice(kind.length) : key.slice(kind.length, slash);
      // Past every key of this id, whatever the caller deleted meanwhile.
      from = slash === -1 ? key + '\u0000' : prefixEnd(`${kind}${id}/`);
      yield id;
      if (n % 1000 === 0) await yieldToEventLoop();
    }
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job);
    this.chain = run.catch(() => undefined);
    return run;
  }
}


function uploadCreatedAt(value: string): number | undefined {
  try {
    const record = JSON.parse(value) as Partial<UploadRecord>;
    return typeof record.createdAtUnixMs === 'number' ? record.createdAtUnixMs : undefined;
  } catch {
    return undefined;
  }
}

function addTo(total: Deleted, more: Deleted): void {
  total.audienceKeys += more.audienceKeys;
  total.deadLetters += more.deadLetters;
  total.requestIds += more.requestIds;
  total.uploads += more.uploads;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
