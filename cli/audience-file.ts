/**
 * Audience rows → recipients, pure: one CSV record or one JSONL line at a
 * time, checked against the coordinator's limits so that a bad row is
 * reported with its line number before anything is created, instead of as
 * an index into an upload chunk after part of it was sent.
 *
 *   CSV    a header row; the id column is `recipient_id` or `id` (or the one
 *          named with --id-column); every other column is a template variable
 *          named by its header. An empty cell leaves the variable unset, so
 *          `{{name|fallback}}` applies.
 *   JSONL  one object per line: {"id": "u1", "vars": {"name": "Ada"}}; vars
 *          may also be the proto's list form [{"key": "name", "value": "Ada"}].
 *          Blank lines are skipped.
 */
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';

/** The coordinator's limits (coordinator/broadcast-service.ts LIMITS; a unit test keeps them equal). */
export const RECIPIENT_LIMITS = {
  recipientIdLengthMax: 256,
  varsPerRecipientMax: 64,
  varValueLengthMax: 4096,
} as const;

/** Variable names the coordinator accepts. */
export const VAR_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** Id column/field names tried in order when --id-column is not given. */
export const DEFAULT_ID_NAMES = ['recipient_id', 'id'] as const;

/** The JSONL field that holds the variables. */
export const JSONL_VARS_FIELD = 'vars';

export type AudienceFormat = 'csv' | 'jsonl';

const EXTENSIONS: ReadonlyArray<[string, AudienceFormat]> = [['.csv', 'csv'], ['.jsonl', 'jsonl'], ['.ndjson', 'jsonl']];

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T = never>(error: string): Parsed<T> => ({ ok: false, error });

export function audienceFormatOf(file: string): AudienceFormat | undefined {
  const lower = file.toLowerCase();
  return EXTENSIONS.find(([ext]) => lower.endsWith(ext))?.[1];
}

export function supportedExtensions(): string {
  return EXTENSIONS.map(([ext]) => ext).join(', ');
}

/** Checks what the coordinator would refuse, so the error can name the line. */
export function checkRecipient(r: Recipient): string | undefined {
  const id = r.id ?? '';
  if (id.length === 0) return 'the recipient id is empty';
  if (id.length > RECIPIENT_LIMITS.recipientIdLengthMax) return `the recipient id is ${id.length} characters; at most ${RECIPIENT_LIMITS.recipientIdLengthMax}`;
  const vars = r.vars ?? [];
  if (vars.length > RECIPIENT_LIMITS.varsPerRecipientMax) return `${vars.length} variables; at most ${RECIPIENT_LIMITS.varsPerRecipientMax}`;
  for (const v of vars) {
    const key = v.key ?? '';
    if (!VAR_KEY.test(key)) return `variable name ${JSON.stringify(key)} is not allowed: use 1-64 letters, digits, '_', '.', '-'`;
    if ((v.value ?? '').length > RECIPIENT_LIMITS.varValueLengthMax) return `variable ${JSON.stringify(key)} is ${(v.value ?? '').length} characters; at most ${RECIPIENT_LIMITS.varValueLengthMax}`;
  }
  return undefined;
}

/** Which column is the id, and which columns are variables under which names. */
export interface CsvColumns {
  readonly idColumn: string;
  readonly idIndex: number;
  readonly vars: ReadonlyArray<{ readonly index: number; readonly key: string }>;
  readonly width: number;
}

export function planCsvColumns(header: readonly string[], idColumn?: string): Parsed<CsvColumns> {
  const names = header.map((h) => h.trim());
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name.length === 0) return bad(`column ${i + 1} of the header has no name`);
    if (seen.has(name)) return bad(`column ${JSON.stringify(name)} appears twice in the header`);
    seen.add(name);
  }
  let idName: string;
  if (idColumn !== undefined) {
    if (!seen.has(idColumn)) return bad(`no column ${JSON.stringify(idColumn)} (--id-column) in the header; columns: ${names.join(', ')}`);
    idName = idColumn;
  } else {
    const present = DEFAULT_ID_NAMES.filter((n) => seen.has(n));
    if (present.length === 0) return bad(`the header has no recipient id column: name one ${DEFAULT_ID_NAMES.map((n) => JSON.stringify(n)).join(' or ')} (or pass --id-column); columns: ${names.join(', ')}`);
    if (present.length > 1) return bad(`the header has both ${present.map((n) => JSON.stringify(n)).join(' and ')}; say which is the recipient id with --id-column`);
    idName = present[0]!;
  }
  const idIndex = names.indexOf(idName);
  const vars = names.flatMap((key, index) => (index === idIndex ? [] : [{ index, key }]));
  for (const v of vars) {
    if (!VAR_KEY.test(v.key)) return bad(`column ${JSON.stringify(v.key)} is not a usable variable name: use 1-64 letters, digits, '_', '.', '-'`);
  }
  if (vars.length > RECIPIENT_LIMITS.varsPerRecipientMax) return bad(`${vars.length} variable columns; at most ${RECIPIENT_LIMITS.varsPerRecipientMax}`);
  return ok({ idColumn: idName, idIndex, vars, width: names.length });
}

/** Template variables without a fallback that no column provides: every recipient would be dead-lettered. */
export function columnsMissingFor(columns: CsvColumns, requiredVariables: readonly string[]): string[] {
  const provided = new Set(columns.vars.map((v) => v.key));
  return requiredVariables.filter((name) => !provided.has(name));
}

export function csvRecordToRecipient(columns: CsvColumns, fields: readonly string[]): Parsed<Recipient> {
  if (fields.length !== columns.width) return bad(`${fields.length} fields, but the header has ${columns.width}`);
  const id = fields[columns.idIndex]!;
  if (id.length === 0) return bad(`the recipient id (column ${JSON.stringify(columns.idColumn)}) is empty`);
  const vars: Array<{ key: string; value: string }> = [];
  for (const { index, key } of columns.vars) {
    const value = fields[index]!;
    if (value.length > 0) vars.push({ key, value });
  }
  return checked({ id, vars });
}

/** One non-blank JSONL line. */
export function jsonLineToRecipient(text: string, idField?: string): Parsed<Recipient> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return bad(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('expected a JSON object like {"id": "u1", "vars": {"name": "Ada"}}');
  const object = value as Record<string, unknown>;
  const idNames = idField !== undefined ? [idField] : DEFAULT_ID_NAMES.filter((n) => n in object);
  if (idNames.length === 0 || !(idNames[0]! in object)) {
    return bad(idField !== undefined ? `no field ${JSON.stringify(idField)} (--id-column)` : `no recipient id: give ${DEFAULT_ID_NAMES.map((n) => JSON.stringify(n)).join(' or ')}`);
  }
  if (idNames.length > 1) return bad(`both ${idNames.map((n) => JSON.stringify(n)).join(' and ')}; say which is the recipient id with --id-column`);
  const idName = idNames[0]!;
  for (const key of Object.keys(object)) {
    if (key !== idName && key !== JSONL_VARS_FIELD) return bad(`unknown field ${JSON.stringify(key)}: put template variables under "${JSONL_VARS_FIELD}"`);
  }
  const id = idOf(object[idName]);
  if (!id.ok) return bad(`${JSON.stringify(idName)} ${id.error}`);
  const vars = varsOf(object[JSONL_VARS_FIELD]);
  if (!vars.ok) return vars;
  return checked({ id: id.value, vars: vars.value });
}

function idOf(value: unknown): Parsed<string> {
  if (typeof value === 'string') return ok(value);
  // Numeric ids are common in exports; only exact integers convert without loss.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return ok(String(value));
  return bad(`must be a string (or a whole number), got ${describe(value)}`);
}

function varsOf(value: unknown): Parsed<Array<{ key: string; value: string }>> {
  if (value === undefined || value === null) return ok([]);
  const out: Array<{ key: string; value: string }> = [];
  if (Array.isArray(value)) {
    const keys = new Set<string>();
    for (const [i, item] of value.entries()) {
      if (typeof item !== 'object' || item === null || typeof (item as { key?: unknown }).key !== 'string') return bad(`vars[${i}] must be {"key": "...", "value": "..."}`);
      const { key, value: v } = item as { key: string; value?: unknown };
      if (keys.has(key)) return bad(`variable ${JSON.stringify(key)} is given twice`);
      keys.add(key);
      const text = scalar(v);
      if (!text.ok) return bad(`vars[${i}].value ${text.error}`);
      if (text.value !== undefined) out.push({ key, value: text.value });
    }
    return ok(out);
  }
  if (typeof value !== 'object') return bad(`"${JSONL_VARS_FIELD}" must be an object of variables, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const text = scalar(v);
    if (!text.ok) return bad(`variable ${JSON.stringify(key)} ${text.error}`);
    if (text.value !== undefined) out.push({ key, value: text.value });
  }
  return ok(out);
}

/** Variables are text; numbers and booleans convert, null means unset, nesting is refused. */
function scalar(value: unknown): Parsed<string | undefined> {
  if (value === null || value === undefined) return ok(undefined);
  if (typeof value === 'string') return ok(value);
  if (typeof value === 'number' || typeof value === 'boolean') return ok(String(value));
  return bad(`must be a string, number or boolean, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function checked(r: Recipient): Parsed<Recipient> {
  const error = checkRecipient(r);
  return error === undefined ? ok(r) : bad(error);
}

/** Required template variables this recipient lacks (it would be dead-lettered). */
export function missingVariables(r: Recipient, requiredVariables: readonly string[]): string[] {
  if (requiredVariables.length === 0) return [];
  const present = new Set((r.vars ?? []).map((v) => v.key));
  return requiredVariables.filter((name) => !present.has(name));
}
