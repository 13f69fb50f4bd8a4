/** `relaycast nodes ...`: members of the cluster (relaycast.v1.Membership, Admin.DrainNode). */
import * as grpc from '@grpc/grpc-js';
import { Argument, Command, Option } from 'commander';
import type { Member__Output } from '../protocol/generated/relaycast/v1/Member';
import type { MemberKind } from '../protocol/generated/relaycast/v1/MemberKind';
import type { NodeState } from '../protocol/generated/relaycast/v1/NodeState';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import { isTransient } from './connection';
import { LIST_PAGES_MAX, type Context } from './context';
import { CliError, EXIT } from './exit-codes';
import { eventLine, memberTable } from './format';
import { choiceParser, intParser, parseNonEmpty } from './option-parsers';
import { shortEnum } from './progress-format';
import type { ActionFactory } from './action';

/** ListNodes' largest page. */
const MEMBER_PAGE_SIZE = 5000;
/** A watch stream that stayed open this long was healthy: its failure starts a fresh reconnect budget. */
const STREAM_HEALTHY_MS = 1000;
const RECONNECT_DELAY_MS = 500;

const STATES = ['alive', 'suspect', 'down', 'draining', 'left'] as const;
const KINDS = ['node', 'relay', 'all'] as const;

export function nodesCommand(action: ActionFactory): Command {
  const cmd = new Command('nodes').description('List, watch and drain the members of the cluster.');

  cmd.command('list')
    .description('List nodes and relays with their state, relay, address and last liveness.')
    .addOption(new Option('--state <state>', `only this state: ${STATES.join(', ')}`).argParser(choiceParser(STATES, 'state')))
    .addOption(new Option('--kind <kind>', 'node, relay or all').argParser(choiceParser(KINDS, 'kind')).default('all'))
    .action(action(async (ctx, _args, opts) => {
      const members = await listMembers(ctx, opts.state as string | undefined, opts.kind as string);
      ctx.out.result(members, () => memberTable(members));
    }));

  cmd.command('watch')
    .description('Print membership events (registered, suspect, recovered, down, draining, left) as they happen, until Ctrl-C (--json: one event per line).')
    .addOption(new Option('--from-revision <n>', 'replay the events after this revision first (default: from now)').argParser(intParser(0, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--limit <n>', 'exit 0 after this many events').argParser(intParser(1, Number.MAX_SAFE_INTEGER)))
    .action(action((ctx, _args, opts) => watchMembers(ctx, opts.fromRevision as number | undefined, opts.limit as number | undefined)));

  cmd.command('drain')
    .description('Stop a node cleanly: it takes no new work, finishes what is in flight, hands its remainders back, leaves, and its process exits.')
    .addArgument(new Argument('<node-id>', 'the node id (not the cluster/node key)').argParser(parseNonEmpty('node id')))
    .option('--wait', 'wait until the node has LEFT (bounded by --timeout-ms)')
    .action(action(async (ctx, [nodeId], opts) => {
      const res = await ctx.conn.unary(ctx.conn.admin, 'DrainNode', { clusterId: ctx.clusterId, nodeId: nodeId! });
      const node = res.node!;
      // An idle node can be gone already by the time the answer is written.
      if (opts.wait !== true || node.state === 'NODE_STATE_LEFT') {
        ctx.out.result(res, () => `node ${node.nodeKey} is ${shortEnum(node.state)}; ${res.shards} shard(s) being handed back`);
        return;
      }
      ctx.out.note(`node ${node.nodeKey} is ${shortEnum(node.state)}; ${res.shards} shard(s) being handed back; waiting for it to leave`);
      const ended = await waitForEnd(ctx, node);
      const result = { node: ended.node, shards: res.shards };
      ctx.out.result(result, () => `node ${node.nodeKey} is ${shortEnum(ended.type === 'EVENT_TYPE_LEFT' ? 'NODE_STATE_LEFT' : 'NODE_STATE_DOWN')}${ended.reason ? ` (${ended.reason})` : ''}`);
      return ended.type === 'EVENT_TYPE_LEFT' ? EXIT.OK : EXIT.FAILURE;
    }));

  return cmd;
}

export async function listMembers(ctx: Context, state: string | undefined, kind: string): Promise<Member__Output[]> {
  const out: Member__Output[] = [];
  let pageToken = '';
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const res = await ctx.conn.unary(ctx.conn.membership, 'ListNodes', {
      clusterId: ctx.clusterId,
      // The choices were checked when parsed, so these are enum names.
      state: (state === undefined ? 'NODE_STATE_UNSPECIFIED' : `NODE_STATE_${state.toUpperCase()}`) as NodeState,
      kind: (kind === 'all' ? 'MEMBER_KIND_UNSPECIFIED' : `MEMBER_KIND_${kind.toUpperCase()}`) as MemberKind,
      pageSize: MEMBER_PAGE_SIZE,
      pageToken,
    });
    out.push(...res.nodes);
    if (res.nextPageToken === '') return out;
    pageToken = res.nextPageToken;
  }
  throw new CliError(EXIT.FAILURE, `ListNodes did not end within ${LIST_PAGES_MAX} pages`);
}

/**
 * Events from a revision on, across dropped streams: the watch resumes after
 * the last revision seen, so nothing is missed or repeated (the coordinator
 * persists events; OUT_OF_RANGE means they were compacted).
 */
async function watchMembers(ctx: Context, fromRevision: number | undefined, limit: number | undefined): Promise<number> {
  // Listing first gives a revision to start from, so even the first stream can be resumed without a gap.
  let revision = fromRevision ?? (await ctx.conn.unary(ctx.conn.membership, 'ListNodes', { clusterId: ctx.clusterId, pageSize: 1 })).revision;
  ctx.out.note(`watching cluster ${ctx.clusterId} after revision ${revision} (Ctrl-C to stop)`);
  let seen = 0;
  let unreachableSince: number | undefined;
  for (;;) {
    const openedAt = Date.now();
    const error = await new Promise<grpc.ServiceError | undefined>((resolve) => {
      const stream = ctx.conn.membership.Watch({ clusterId: ctx.clusterId, afterRevision: revision });
      const finish = (err: grpc.ServiceError | undefined) => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve(err);
      };
      const onAbort = () => stream.cancel();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (e: WatchEvent__Output) => {
        revision = Math.max(revision, e.revision);
        unreachableSince = undefined;
        seen += 1;
        ctx.out.record(e, () => eventLine(e));
        if (limit !== undefined && seen >= limit) stream.cancel();
      });
      stream.on('error', (err: grpc.ServiceError) => finish(err));
      stream.on('end', () => finish(undefined));
    });
    if (limit !== undefined && seen >= limit) return EXIT.OK;
    if (ctx.signal.aborted) throw new CliError(EXIT.INTERRUPTED, 'interrupted');
    if (error !== undefined && !isTransient(error)) throw ctx.conn.describe(error, 'Watch');
    const now = Date.now();
    if (now - openedAt >= STREAM_HEALTHY_MS) unreachableSince = undefined;
    unreachableSince ??= now;
    if (now - unreachableSince > ctx.timeoutMs) throw ctx.conn.describe(error ?? new Error('the watch stream kept ending'), 'Watch');
    ctx.out.note(`lost the watch stream (${error?.details ?? 'ended'}); resuming after revision ${revision}`);
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
  }
}

/** The node's LEFT (or DOWN, if it died while draining) event after its DRAINING revision. */
function waitForEnd(ctx: Context, node: Member__Output): Promise<WatchEvent__Output> {
  return new Promise((resolve, reject) => {
    const stream = ctx.conn.membership.Watch({ clusterId: ctx.clusterId, afterRevision: Math.max(0, node.stateRevision - 1) }, { deadline: Date.now() + ctx.timeoutMs });
    let done = false;
    const onAbort = () => stream.cancel();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      ctx.signal.removeEventListener('abort', onAbort);
      stream.cancel();
      outcome();
    };
    stream.on('data', (e: WatchEvent__Output) => {
      if (e.node?.nodeKey !== node.nodeKey) return;
      if (e.type === 'EVENT_TYPE_LEFT' || e.type === 'EVENT_TYPE_DOWN') finish(() => resolve(e));
    });
    stream.on('error', (err: grpc.ServiceError) => finish(() => reject(
      err.code === grpc.status.DEADLINE_EXCEEDED
        ? new CliError(EXIT.FAILURE, `node ${node.nodeKey} did not leave within ${ctx.timeoutMs} ms (raise --timeout-ms); it is still draining`, 'DEADLINE_EXCEEDED')
        : ctx.conn.describe(err, 'Watch'),
    )));
    stream.on('end', () => finish(() => reject(new CliError(EXIT.FAILURE, 'the watch stream ended before the node left'))));
  });
}
