/** Human text for the client commands' results, pure (the JSON form is the message itself). */
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { DeadLetter__Output } from '../protocol/generated/relaycast/v1/DeadLetter';
import type { Member__Output } from '../protocol/generated/relaycast/v1/Member';
import type { WatchEvent__Output } from '../protocol/generated/relaycast/v1/WatchEvent';
import type { GetStatusResponse__Output } from '../protocol/generated/relaycast/v1/GetStatusResponse';
import { doneOf, formatCount, formatDuration, formatPercent, shortEnum } from './progress-format';

/** Columns padded to the widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [render(headers), ...rows.map(render)].join('\n');
}

/** Wall-clock time as ISO-8601 (UTC), or "-" for 0 (unset). */
export function formatTime(unixMs: number): string {
  return unixMs > 0 ? new Date(unixMs).toISOString() : '-';
}

/** "3.2 s" for summaries, where a whole-second ETA format would hide short runs. */
export function formatSeconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

export function broadcastDetail(b: Broadcast__Output, nowMs: number): string {
  const c = b.counts!;
  const o = b.options;
  const opts = o === null ? '-' : [
    `shard size ${formatCount(o.shardSize)}`,
    o.onlyReachable ? 'only reachable' : 'all recipients',
    `priority ${o.priority}`,
    o.rateLimitPerS > 0 ? `rate limit ${formatCount(o.rateLimitPerS)}/s` : 'no rate limit',
    ...(o.notBeforeUnixMs > 0 ? [`not before ${formatTime(o.notBeforeUnixMs)}`] : []),
  ].join(', ');
  const finishedOrAge = b.finishedAtUnixMs > 0
    ? `${formatTime(b.finishedAtUnixMs)} (took ${formatSeconds(b.finishedAtUnixMs - b.createdAtUnixMs)})`
    : '-';
  const rows: Array<[string, string]> = [
    ['broadcast', b.broadcastId],
    ['state', `${shortEnum(b.state)}, ${formatPercent(doneOf(b), c.total)} done`],
    ['cluster', b.clusterId],
    ['created', `${formatTime(b.createdAtUnixMs)} (${formatDuration(nowMs - b.createdAtUnixMs)} ago)`],
    ['finished', finishedOrAge],
    ['template', JSON.stringify(b.template)],
    ['options', opts],
    ['request id', b.requestId === '' ? '-' : b.requestId],
    ['total', formatCount(c.total)],
    ['delivered', formatCount(c.delivered)],
    ['skipped', `${formatCount(c.skippedUnreachable)} (unreachable)`],
    ['dead-lettered', formatCount(c.deadLettered)],
    ['in flight', formatCount(c.inFlight)],
    ['pending', formatCount(c.pending)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (b.shards.length > 0) {
    lines.push('', table(
      ['SHARD', 'RANGE', 'STATE', 'OWNER', 'EPOCH', 'WATERMARK', 'DELIVERED', 'SKIPPED', 'DEAD'],
      b.shards.map((s) => [String(s.shardId), `[${s.start}, ${s.end})`, shortEnum(s.state), s.ownerNodeKey || '-', String(s.epoch), String(s.watermark), String(s.delivered), String(s.skippedUnreachable), String(s.deadLettered)]),
    ));
  }
  return lines.join('\n');
}

export function broadcastTable(broadcasts: readonly Broadcast__Output[]): string {
  if (broadcasts.length === 0) return 'no broadcasts';
  return table(
    ['ID', 'STATE', 'DONE', 'TOTAL', 'DELIVERED', 'SKIPPED', 'DEAD', 'CREATED', 'TEMPLATE'],
    broadcasts.map((b) => [
      b.broadcastId, shortEnum(b.state), formatPercent(doneOf(b), b.counts?.total ?? 0), formatCount(b.counts?.total ?? 0),
      formatCount(b.counts?.delivered ?? 0), formatCount(b.counts?.skippedUnreachable ?? 0), formatCount(b.counts?.deadLettered ?? 0),
      formatTime(b.createdAtUnixMs), truncate(b.template, 40),
    ]),
  );
}

/** The closing lines of create/watch. */
export function broadcastSummary(b: Broadcast__Output): string {
  const c = b.counts!;
  const took = b.finishedAtUnixMs > 0 ? ` in ${formatSeconds(b.finishedAtUnixMs - b.createdAtUnixMs)}` : '';
  return [
    `broadcast ${b.broadcastId} ${shortEnum(b.state)}${took}`,
    `  delivered      ${formatCount(c.delivered)}`,
    `  skipped        ${formatCount(c.skippedUnreachable)} (unreachable)`,
    `  dead-lettered  ${formatCount(c.deadLettered)}${c.deadLettered > 0 ? `  (relaycast broadcast dead-letters ${b.broadcastId})` : ''}`,
    `  total          ${formatCount(c.total)}`,
  ].join('\n');
}

export function deadLetterRows(deadLetters: readonly DeadLetter__Output[]): string[][] {
  return deadLetters.map((d) => [String(d.sequence), d.recipientId, String(d.attempts), d.reason]);
}

export const DEAD_LETTER_HEADERS = ['SEQUENCE', 'RECIPIENT', 'ATTEMPTS', 'REASON'];

export function memberTable(members: readonly Member__Output[]): string {
  if (members.length === 0) return 'no members';
  return table(
    ['KIND', 'ID', 'STATE', 'VIA', 'ADDRESS', 'EPOCH', 'LAST SEEN', 'WEIGHT', 'LABELS'],
    members.map((m) => [
      shortEnum(m.kind).toLowerCase(), m.nodeId, shortEnum(m.state),
      m.kind === 'MEMBER_KIND_RELAY' ? '-' : m.relayId || 'direct',
      m.address || '-', String(m.leaseEpoch), m.lastLivenessAgeMs > 0 ? `${formatDuration(m.lastLivenessAgeMs)} ago` : '-',
      String(m.capacityWeight), m.labels.map((l) => `${l.key}=${l.value}`).join(',') || '-',
    ]),
  );
}

export function eventLine(e: WatchEvent__Output): string {
  const m = e.node;
  const kind = m === null ? '' : shortEnum(m.kind).toLowerCase();
  const at = e.atUnixMs > 0 ? formatTime(e.atUnixMs) : '';
  return `${at}  rev ${e.revision}  ${shortEnum(e.type).padEnd(10)} ${kind} ${m?.nodeKey ?? '?'} (epoch ${m?.leaseEpoch ?? 0})${e.reason ? `  ${e.reason}` : ''}`.trim();
}

/** Counts by lowercase state name, e.g. { alive: 3, down: 1 }. */
export function countByState(status: GetStatusResponse__Output, kind: 'MEMBER_KIND_NODE' | 'MEMBER_KIND_RELAY'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of status.members) if (s.kind === kind) out[shortEnum(s.state).toLowerCase()] = (out[shortEnum(s.state).toLowerCase()] ?? 0) + s.count;
  return out;
}

export function stateCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([state, n]) => `${n} ${state}`).join(', ');
}

export interface StatusView {
  coordinator: string;
  clusterId: string;
  status: GetStatusResponse__Output;
  relays: Member__Output[];
  nodes: Record<string, number>;
  broadcasts: { active: Broadcast__Output[]; finished: number };
}

export function statusText(v: StatusView): string {
  const s = v.status;
  const relayCounts = countByState(s, 'MEMBER_KIND_RELAY');
  const lines = [
    `coordinator  ${v.coordinator}  version ${s.version}  up ${formatDuration(s.uptimeMs)}  revision ${s.revision} (oldest retained ${s.oldestRetainedRevision})`,
    `  streams    ${s.relayLinks} relay link(s), ${s.directSessions} direct node session(s), ${s.watchers} watcher(s)`,
    `  liveness   ${formatCount(s.livenessPacketsTotal)} packets, ${formatCount(s.relayBatchesTotal)} relay batches since start`,
    `  takeovers  ${s.reassignments}${s.reassignments > 0 ? ` (reassigned after DOWN in p50 ${s.reassignP50Ms} ms, p99 ${s.reassignP99Ms} ms)` : ''}`,
    `cluster ${v.clusterId}`,
    `  relays     ${stateCounts(relayCounts)}${v.relays.length > 0 ? `: ${v.relays.map((r) => `${r.nodeId} ${shortEnum(r.state)}`).join(', ')}` : ''}`,
    `  nodes      ${stateCounts(v.nodes)}`,
    `  broadcasts ${v.broadcasts.active.length} active, ${v.broadcasts.finished} finished`,
  ];
  for (const b of v.broadcasts.active) {
    lines.push(`    ${b.broadcastId}  ${shortEnum(b.state).padEnd(9)} ${formatPercent(doneOf(b), b.counts?.total ?? 0).padStart(6)}  ${formatCount(doneOf(b))}/${formatCount(b.counts?.total ?? 0)}  dead-lettered ${formatCount(b.counts?.deadLettered ?? 0)}`);
  }
  return lines.join('\n');
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
