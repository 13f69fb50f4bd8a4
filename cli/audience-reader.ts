/**
 * Streams an audience file (.csv or .jsonl) as chunks of recipients, one
 * chunk in memory at a time, with the file's line numbers in every error.
 * Pulling the next chunk reads more of the file, so a slow upload slows the
 * reading (backpressure end to end).
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { parse as parseCsv, CsvError, type Options as CsvOptions } from 'csv-parse';
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';
import {
  audienceFormatOf,
  columnsMissingFor,
  csvRecordToRecipient,
  jsonLineToRecipient,
  missingVariables,
  planCsvColumns,
  supportedExtensions,
  type AudienceFormat,
  type CsvColumns,
  type Parsed,
} from './audience-file';

/** A problem with the file itself; `line` is 1-based when known. */
export class AudienceFileError extends Error {
  override readonly name = 'AudienceFileError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

export interface AudienceOptions {
  /** The id column (CSV) or field (JSONL); default: recipient_id or id. */
  readonly idColumn?: string;
  /** Template variables without a fallback: counted per recipient that lacks them. */
  readonly requiredVariables?: readonly string[];
}

export interface AudienceStats {
  recipients: number;
  /** The last line read (1-based). */
  line: number;
  bytesRead: number;
  readonly bytesTotal: number;
  /** Per required variable: recipients without it (they will be dead-lettered). */
  readonly missing: Map<string, number>;
}

export interface AudienceSource {
  readonly file: string;
  readonly format: AudienceFormat;
  readonly stats: AudienceStats;
  /** Chunks of at most `size` recipients; throws AudienceFileError at the first bad row. */
  chunks(size: number, signal?: AbortSignal): AsyncGenerator<Recipient[]>;
}

/** Checks what can be checked without reading (exists, regular file, extension). */
export async function openAudience(file: string, options: AudienceOptions = {}): Promise<AudienceSource> {
  const format = audienceFormatOf(file);
  if (format === undefined) throw new AudienceFileError(file, undefined, `unknown audience file type; use one of ${supportedExtensions()}`);
  let size: number;
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw new AudienceFileError(file, undefined, 'not a regular file');
    size = stat.size;
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (err) {
    if (err instanceof AudienceFileError) throw err;
    throw new AudienceFileError(file, undefined, describeFsError(err));
  }
  const stats: AudienceStats = { recipients: 0, line: 0, bytesRead: 0, bytesTotal: size, missing: new Map() };
  const required = options.requiredVariables ?? [];
  return {
    file,
    format,
    stats,
    chunks: (chunkSize, signal) => chunked(file, format === 'csv' ? csvRows(file, stats, options, required) : jsonlRows(file, stats, options), stats, required, chunkSize, signal),
  };
}

async function* chunked(
  file: string,
  rows: AsyncGenerator<{ line: number; parsed: Parsed<Recipient> }>,
  stats: AudienceStats,
  required: readonly string[],
  chunkSize: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Recipient[]> {
  let chunk: Recipient[] = [];
  for await (const { line, parsed } of rows) {
    if (!parsed.ok) throw new AudienceFileError(file, line, parsed.error);
    for (const name of missingVariables(parsed.value, required)) stats.missing.set(name, (stats.missing.get(name) ?? 0) + 1);
    chunk.push(parsed.value);
    stats.recipients += 1;
    if (chunk.length >= chunkSize) {
      signal?.throwIfAborted();
      yield chunk;
      chunk = [];
    }
  }
  signal?.throwIfAborted();
  if (stats.recipients === 0) throw new AudienceFileError(file, undefined, 'has no recipients');
  if (chunk.length > 0) yield chunk;
}

function countBytes(stream: fs.ReadStream, stats: AudienceStats): fs.ReadStream {
  stream.on('data', (data) => {
    stats.bytesRead += data.length;
  });
  return stream;
}

async function* csvRows(file: string, stats: AudienceStats, options: AudienceOptions, required: readonly string[]): AsyncGenerator<{ line: number; parsed: Parsed<Recipient> }> {
  const input = countBytes(fs.createReadStream(file), stats);
  // Field counts are checked here rather than by the parser so the message can compare with the header.
  // on_record takes just the line number; `info: true` would copy the whole info object per record.
  const withLine = (record: string[], context: { lines: number }) => ({ record, line: context.lines });
  const parser = input.pipe(parseCsv({ bom: true, skip_empty_lines: true, relax_column_count: true, on_record: withLine as unknown as CsvOptions['on_record'] }));
  input.on('error', (err) => parser.destroy(err));
  let columns: CsvColumns | undefined;
  try {
    for await (const { record, line } of parser as AsyncIterable<{ record: string[]; line: number }>) {
      stats.line = line;
      if (columns === undefined) {
        const plan = planCsvColumns(record, options.idColumn);
        if (!plan.ok) throw new AudienceFileError(file, line, plan.error);
        const missing = columnsMissingFor(plan.value, required);
        if (missing.length > 0) {
          const list = missing.map((m) => `{{${m}}}`).join(', ');
          throw new AudienceFileError(file, line, `the template uses ${list} without a fallback, but there is no such column; add the column or write a fallback, e.g. {{${missing[0]}|...}}`);
        }
        columns = plan.value;
        continue;
      }
      yield { line, parsed: csvRecordToRecipient(columns, record) };
    }
  } catch (err) {
    if (err instanceof CsvError) throw new AudienceFileError(file, csvErrorLine(err) ?? stats.line + 1, csvErrorText(err));
    if (err instanceof AudienceFileError) throw err;
    throw new AudienceFileError(file, undefined, describeFsError(err));
  } finally {
    input.destroy();
  }
  if (columns === undefined) throw new AudienceFileError(file, undefined, 'is empty: expected a header row naming the columns');
}

async function* jsonlRows(file: string, stats: AudienceStats, options: AudienceOptions): AsyncGenerator<{ line: number; parsed: Parsed<Recipient> }> {
  // Buffers, not strings, so that bytesRead counts bytes; readline decodes UTF-8 itself.
  const input = countBytes(fs.createReadStream(file), stats);
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of lines) {
      line += 1;
      stats.line = line;
      // A byte-order mark would make the first object unparsable.
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim().length === 0) continue;
      yield { line, parsed: jsonLineToRecipient(text, options.idColumn) };
    }
  } catch (err) {
    if (err instanceof AudienceFileError) throw err;
    throw new AudienceFileError(file, undefined, describeFsError(err));
  } finally {
    lines.close();
    input.destroy();
  }
}

function csvErrorLine(err: CsvError): number | undefined {
  const lines = (err as unknown as { lines?: unknown }).lines;
  return typeof lines === 'number' && lines > 0 ? lines : undefined;
}

/** csv-parse messages repeat the line ("... at line 3"); the line is in our prefix already. */
function csvErrorText(err: CsvError): string {
  return `bad CSV: ${err.message.replace(/\s+(on|at) line \d+/, '')}`;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    default: return `cannot read: ${(err as Error)?.message ?? String(err)}`;
  }
}
