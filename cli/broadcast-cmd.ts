/** `relaycast broadcast ...`: create, inspect and steer broadcasts (relaycast.v1.Broadcasts). */
import { Argument, Command, Option } from 'commander';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import { createBroadcast, type CreateOptions } from './broadcast-create';
import { exitCodeOf, followBroadcast } from './broadcast-follow';
import { LIST_PAGES_MAX, type Context } from './context';
import { CliError, EXIT } from './exit-codes';
import { broadcastDetail, broadcastTable, DEAD_LETTER_HEADERS, deadLetterRows, table } from './format';
import { choiceParser, intParser, parseNonEmpty, parseRequestId, parseSequences, parseTime } from './option-parsers';
import { isFinal, shortEnum, formatCount } from './progress-format';
import type { ActionFactory } from './action';

/** WatchBroadcast's minimum interval (coordinator LIMITS.watchIntervalMsMin). */
const WATCH_INTERVAL_MS_MIN = 50;
const WATCH_INTERVAL_MS_DEFAULT = 500;
/** ListBroadcasts and ListDeadLetters page sizes (the coordinator's maximums). */
const BROADCAST_PAGE_SIZE = 1000;
const DEAD_LETTER_PAGE_SIZE = 5000;
const DEAD_LETTERS_SHOWN_DEFAULT = 1000;
const UINT32_MAX = 4_294_967_295;
const INT32_MAX = 2_147_483_647;
const SHARD_SIZE_MAX = 10_000_000;

const STATES = ['pending', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const;

const broadcastId = () => new Argument('<broadcast-id>', 'the broadcast id (bc-...)').argParser(parseNonEmpty('broadcast id'));
const intervalOption = () => new Option('--interval-ms <ms>', 'minimum time between progress snapshots').argParser(intParser(WATCH_INTERVAL_MS_MIN, 60_000)).default(WATCH_INTERVAL_MS_DEFAULT);

export function broadcastCommand(action: ActionFactory): Command {
  const cmd = new Command('broadcast').description('Create, follow and steer broadcasts.');

  cmd.command('create')
    .description('Upload an audience file (.csv or .jsonl, streamed) and start a broadcast; follows it with a progress bar until it is final, unless --detach.')
    .requiredOption('--audience <file>', 'audience file: .csv with a header (recipient_id or id column, other columns are variables) or .jsonl ({"id": ..., "vars": {...}} per line)')
    .option('--template <text>', 'message template, e.g. "Hello {{name}}, your code is {{code|none}}"')
    .option('--template-file <file>', 'read the template from a file instead')
    .option('--id-column <name>', 'the recipient id column (CSV) or field (JSONL), when not recipient_id or id')
    .option('--only-reachable', 'skip recipients the gateway reports as unreachable')
    .addOption(new Option('--shard-size <n>', 'recipients per shard (default: the coordinator\'s)').argParser(intParser(1, SHARD_SIZE_MAX)))
    .addOption(new Option('--rate-limit-per-s <n>', 'deliveries per second across the cluster (default: unlimited)').argParser(intParser(1, UINT32_MAX)))
    .addOption(new Option('--priority <n>', 'higher first when nodes are busy').argParser(intParser(-INT32_MAX, INT32_MAX)))
    .addOption(new Option('--not-before <time>', 'do not start before this time (ISO-8601 or Unix ms)').argParser(parseTime))
    .addOption(new Option('--request-id <id>', 'idempotency key: the same id returns the same broadcast (default: derived from the upload)').argParser(parseRequestId))
    .option('--detach', 'print the broadcast id and return once it is created')
    .addOption(intervalOption())
    .action(action((ctx, _args, opts) => createBroadcast(ctx, opts as unknown as CreateOptions)));

  cmd.command('get')
    .description('Show a broadcast: state, counts, template and options.')
    .addArgument(broadcastId())
    .option('--shards', 'include the per-shard status')
    .action(action(async (ctx, [id], opts) => {
      const b = await ctx.conn.unary(ctx.conn.broadcasts, 'GetBroadcast', { broadcastId: id!, includeShards: opts.shards === true });
      ctx.out.result(b, () => broadcastDetail(b, ctx.now()));
    }));

  cmd.command('list')
    .description('List the broadcasts of the cluster, oldest first.')
    .option('--active', 'only broadcasts that are not final (pending, running, paused)')
    .addOption(new Option('--state <state>', `only this state: ${STATES.join(', ')}`).argParser(choiceParser(STATES, 'state')))
    .action(action(async (ctx, _args, opts) => {
      const wanted = opts.state === undefined ? undefined : `BROADCAST_STATE_${String(opts.state).toUpperCase()}`;
      const all = await listBroadcasts(ctx);
      const shown = all.filter((b) => (opts.active !== true || !isFinal(b)) && (wanted === undefined || b.state === wanted));
      ctx.out.result(shown, () => broadcastTable(shown));
    }));

  cmd.command('watch')
    .description('Follow a broadcast with a progress bar until it is final (--json: one snapshot per line). Exit 0 when it COMPLETED, 4 when CANCELLED or FAILED.')
    .addArgument(broadcastId())
    .addOption(intervalOption())
    .action(action(async (ctx, [id], opts) => exitCodeOf(await followBroadcast(ctx, id!, opts.intervalMs as number, ctx.out.json))));

  for (const [name, method, what] of [
    ['cancel', 'CancelBroadcast', 'Cancel a broadcast: its shards are revoked and nothing more is delivered.'],
    ['pause', 'PauseBroadcast', 'Pause a running broadcast (its shards are revoked until resumed).'],
    ['resume', 'ResumeBroadcast', 'Resume a paused broadcast.'],
  ] as const) {
    cmd.command(name)
      .description(what)
      .addArgument(broadcastId())
      .action(action(async (ctx, [id]) => {
        const b = await ctx.conn.unary(ctx.conn.broadcasts, method, { broadcastId: id! });
        ctx.out.result(b, () => `broadcast ${b.broadcastId} is ${shortEnum(b.state)}`);
      }));
  }

  cmd.command('dead-letters')
    .description('List the recipients that failed permanently, with the reason.')
    .addArgument(broadcastId())
    .addOption(new Option('--limit <n>', 'show at most this many (0: all)').argParser(intParser(0, Number.MAX_SAFE_INTEGER)).default(DEAD_LETTERS_SHOWN_DEFAULT))
    .action(action((ctx, [id], opts) => listDeadLetters(ctx, id!, opts.limit as number)));

  cmd.command('retry')
    .description('Deliver dead letters again: all of them, or the listed sequences.')
    .addArgument(broadcastId())
    .addOption(new Option('--sequences <list>', 'comma-separated sequence numbers (from dead-letters)').argParser(parseSequences))
    .action(action(async (ctx, [id], opts) => {
      const res = await ctx.conn.unary(ctx.conn.broadcasts, 'RetryDeadLetters', { broadcastId: id!, sequences: (opts.sequences as number[] | undefined) ?? [] });
      ctx.out.result(res, () => `${formatCount(res.retried)} dead letter(s) handed out again; broadcast ${id} is ${shortEnum(res.broadcast?.state ?? '')} (follow it: relaycast broadcast watch ${id})`);
    }));

  return cmd;
}

export async function listBroadcasts(ctx: Context): Promise<Broadcast__Output[]> {
  const out: Broadcast__Output[] = [];
  let pageToken = '';
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const res = await ctx.conn.unary(ctx.conn.broadcasts, 'ListBroadcasts', { clusterId: ctx.clusterId, pageSize: BROADCAST_PAGE_SIZE, pageToken });
    out.push(...res.broadcasts);
    if (res.nextPageToken === '') return out;
    pageToken = res.nextPageToken;
  }
  throw new CliError(EXIT.FAILURE, `ListBroadcasts did not end within ${LIST_PAGES_MAX} pages`);
}

/**
 * Page by page, so millions of dead letters never sit in memory: text rows
 * as they come (a table per page), or one JSON array written incrementally.
 */
async function listDeadLetters(ctx: Context, id: string, limit: number): Promise<void> {
  let pageToken = '';
  let shown = 0;
  let first = true;
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const pageSize = limit === 0 ? DEAD_LETTER_PAGE_SIZE : Math.min(DEAD_LETTER_PAGE_SIZE, limit - shown);
    const res = await ctx.conn.unary(ctx.conn.broadcasts, 'ListDeadLetters', { broadcastId: id, pageSize, pageToken });
    // Opened only once the first page came back, so an error leaves stdout empty.
    if (ctx.out.json && page === 0) ctx.out.stdout.write('[');
    const rows = res.deadLetters.slice(0, limit === 0 ? undefined : limit - shown);
    if (ctx.out.json) {
      for (const d of rows) {
        ctx.out.stdout.write(`${first ? '\n  ' : ',\n  '}${JSON.stringify(d)}`);
        first = false;
      }
    } else if (rows.length > 0) {
      const text = table(DEAD_LETTER_HEADERS, deadLetterRows(rows));
      ctx.out.line(shown === 0 ? text : text.slice(text.indexOf('\n') + 1));
    }
    shown += rows.length;
    const more = res.nextPageToken !== '';
    if (!more || (limit !== 0 && shown >= limit)) {
      if (ctx.out.json) ctx.out.stdout.write(first ? ']\n' : '\n]\n');
      else if (shown === 0) ctx.out.line(`broadcast ${id} has no dead letters`);
      else if (more) ctx.out.note(`showing the first ${formatCount(shown)}; --limit 0 shows all`);
      return;
    }
    pageToken = res.nextPageToken;
  }
  throw new CliError(EXIT.FAILURE, `ListDeadLetters did not end within ${LIST_PAGES_MAX} pages`);
}
