/**
 * `relaycast broadcast create`: stream the audience file through
 * UploadAudience, then CreateBroadcast with the upload id, then follow it.
 *
 * Reading and uploading run together, so the whole file is validated by the
 * time the upload completes; a bad row cancels the upload, and the
 * coordinator only hands out an upload id for a completed one, so nothing
 * can be created from a bad file.
 */
import * as fs from 'node:fs';
import { uploadAudienceFrom } from '../client/audience-upload';
import { compileTemplate } from '../protocol/template';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { BroadcastOptions } from '../protocol/generated/relaycast/v1/BroadcastOptions';
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';
import type { UploadAudienceResponse__Output } from '../protocol/generated/relaycast/v1/UploadAudienceResponse';
import { AudienceFileError, openAudience, type AudienceSource } from './audience-reader';
import { followBroadcast, exitCodeOf } from './broadcast-follow';
import { isTransient } from './connection';
import type { Context } from './context';
import { CliError, EXIT } from './exit-codes';
import { formatCount } from './progress-format';
import { UploadProgress } from './progress-bar';

/** The coordinator's per-chunk limit. */
export const CHUNK_RECIPIENTS_MAX = 10_000;
/** Chunks also stop at about this many bytes of ids and variables, far below the 64 MiB message limit. */
export const CHUNK_BYTES_TARGET = 4 * 1024 * 1024;
/** CreateBroadcast is retried (same request id, so at most one broadcast) while the coordinator is unreachable. */
const CREATE_ATTEMPTS_MAX = 4;
const CREATE_RETRY_DELAY_MS = 500;

export interface CreateOptions {
  audience: string;
  template?: string;
  templateFile?: string;
  idColumn?: string;
  onlyReachable?: boolean;
  shardSize?: number;
  rateLimitPerS?: number;
  priority?: number;
  notBefore?: number;
  requestId?: string;
  detach?: boolean;
  intervalMs: number;
}

export async function createBroadcast(ctx: Context, opts: CreateOptions): Promise<number> {
  const template = readTemplate(opts);
  const compiled = compileTemplate(template);
  if (!compiled.ok) throw new CliError(EXIT.USAGE, `--template: ${compiled.error.message}`);

  const source = await openAudience(opts.audience, { idColumn: opts.idColumn, requiredVariables: compiled.value.requiredVariables }).catch(badAudience);
  const uploaded = await upload(ctx, source);
  ctx.out.note(`uploaded ${formatCount(uploaded.recipients)} recipients from ${source.file} (upload ${uploaded.uploadId})`);
  for (const [name, count] of source.stats.missing) {
    ctx.out.warn(`${formatCount(count)} recipient(s) have no value for {{${name}}}, which has no fallback: they will be dead-lettered`);
  }

  const options: BroadcastOptions = {
    shardSize: opts.shardSize ?? 0,
    onlyReachable: opts.onlyReachable === true,
    priority: opts.priority ?? 0,
    notBeforeUnixMs: opts.notBefore ?? 0,
    rateLimitPerS: opts.rateLimitPerS ?? 0,
  };
  // One request id per upload: a create retried after a lost answer returns the same broadcast.
  const requestId = opts.requestId ?? `cli-${uploaded.uploadId}`;
  const created = await createWithRetry(ctx, { clusterId: ctx.clusterId, template, uploadId: uploaded.uploadId, options, requestId });

  if (opts.detach === true) {
    ctx.out.result(created, () => created.broadcastId);
    ctx.out.note(`broadcast ${created.broadcastId} created (${formatCount(created.counts?.total ?? 0)} recipients); follow it with: relaycast broadcast watch ${created.broadcastId}`);
    return EXIT.OK;
  }
  ctx.out.note(`broadcast ${created.broadcastId} created (${formatCount(created.counts?.total ?? 0)} recipients)`);
  const final = await followBroadcast(ctx, created.broadcastId, opts.intervalMs, false);
  return exitCodeOf(final);
}

function readTemplate(opts: CreateOptions): string {
  if (opts.template !== undefined && opts.templateFile !== undefined) throw new CliError(EXIT.USAGE, 'give --template or --template-file, not both');
  if (opts.template !== undefined) return opts.template;
  if (opts.templateFile === undefined) throw new CliError(EXIT.USAGE, 'a message is required: --template TEXT or --template-file FILE');
  try {
    return fs.readFileSync(opts.templateFile, 'utf8');
  } catch (err) {
    throw new CliError(EXIT.USAGE, `--template-file ${opts.templateFile}: ${(err as Error).message}`);
  }
}

function badAudience(err: unknown): never {
  if (err instanceof AudienceFileError) throw new CliError(EXIT.BAD_AUDIENCE, `${err.message}; nothing was created`);
  throw err;
}

async function upload(ctx: Context, source: AudienceSource): Promise<UploadAudienceResponse__Output> {
  const progress = ctx.out.json ? undefined : new UploadProgress(ctx.out.stderr, source.stats.bytesTotal);
  async function* withProgress(): AsyncGenerator<Recipient[]> {
    for await (const chunk of byteBoundedChunks(source.chunks(CHUNK_RECIPIENTS_MAX, ctx.signal))) {
      progress?.update(source.stats.bytesRead, source.stats.recipients, source.stats.line);
      yield chunk;
    }
  }
  let uploaded: UploadAudienceResponse__Output;
  try {
    uploaded = await uploadAudienceFrom(ctx.conn.broadcasts, withProgress());
  } catch (err) {
    if (err instanceof AudienceFileError) badAudience(err);
    if (ctx.signal.aborted) throw new CliError(EXIT.INTERRUPTED, 'interrupted during the upload; nothing was created');
    const failure = ctx.conn.describe(err, 'UploadAudience');
    throw new CliError(failure.exitCode, `${failure.message} (after ${formatCount(source.stats.recipients)} recipients, line ${formatCount(source.stats.line)}); nothing was created`, failure.code);
  } finally {
    progress?.stop();
  }
  if (uploaded.recipients !== source.stats.recipients) {
    throw new CliError(EXIT.FAILURE, `the coordinator stored ${uploaded.recipients} recipients but ${source.stats.recipients} were read from ${source.file}; nothing was created`);
  }
  return uploaded;
}

/** Splits chunks further so a chunk of long rows stays near CHUNK_BYTES_TARGET. */
export async function* byteBoundedChunks(chunks: AsyncIterable<Recipient[]>, bytesTarget = CHUNK_BYTES_TARGET): AsyncGenerator<Recipient[]> {
  for await (const chunk of chunks) {
    let part: Recipient[] = [];
    let bytes = 0;
    for (const r of chunk) {
      const size = recipientBytes(r);
      if (part.length > 0 && bytes + size > bytesTarget) {
        yield part;
        part = [];
        bytes = 0;
      }
      part.push(r);
      bytes += size;
    }
    if (part.length > 0) yield part;
  }
}

/** An estimate (UTF-16 length, plus framing) that is cheap and close enough for bounding. */
function recipientBytes(r: Recipient): number {
  let bytes = (r.id?.length ?? 0) + 8;
  for (const v of r.vars ?? []) bytes += (v.key?.length ?? 0) + (v.value?.length ?? 0) + 8;
  return bytes;
}

async function createWithRetry(ctx: Context, request: { clusterId: string; template: string; uploadId: string; options: BroadcastOptions; requestId: string }): Promise<Broadcast__Output> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.conn.unary(ctx.conn.broadcasts, 'CreateBroadcast', request);
    } catch (err) {
      const deadline = err instanceof CliError && err.code === 'DEADLINE_EXCEEDED';
      if (attempt >= CREATE_ATTEMPTS_MAX || !(isTransient(err) || deadline)) throw err;
      ctx.out.note(`CreateBroadcast failed (${(err as Error).message}); retrying with the same request id`);
      await new Promise((resolve) => setTimeout(resolve, CREATE_RETRY_DELAY_MS * attempt));
    }
  }
}
