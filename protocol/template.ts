/**
 * The message template language, shared by the coordinator (validation when a
 * broadcast is created) and the node (rendering per recipient). Pure.
 *
 *   {{name}}            the recipient's variable `name`; whitespace inside the
 *   {{ name }}          braces is allowed; names match [A-Za-z0-9_.-]+
 *   {{name|fallback}}   the fallback when the variable is missing (may be empty,
 *                       may not contain "}}"; surrounding whitespace is trimmed)
 *   {{recipient.id}}    built in: the recipient id
 *   \{{                 a literal "{{"
 *   \\{{name}}          a literal backslash, then the placeholder
 *
 * Backslashes escape only directly before "{{": a run of k backslashes there
 * renders k/2 (rounded down) of them, and an odd k makes the "{{" literal.
 * Anywhere else a backslash is an ordinary character. Nothing is HTML- or
 * otherwise escaped: the text goes to the gateway as is. A variable that is
 * present with an empty value counts as present.
 *
 * Templates are parsed once into literal and placeholder parts; rendering is
 * a lookup per distinct variable and a concatenation.
 */
import { RENDERED_TEXT_LENGTH_MAX, TEMPLATE_BYTES_MAX } from './limits';
import { fail, ok, type Result } from './errors';

export { TEMPLATE_BYTES_MAX } from './limits';
/**
 * A rendered message is at most this many UTF-16 units (≤ 768 KiB of UTF-8).
 * Placeholders repeat variables of up to 4,096 characters, so without a
 * bound one recipient of a 64 KiB template could render to over 50 MB.
 */
export { RENDERED_TEXT_LENGTH_MAX } from './limits';

/** The built-in variable that renders the recipient id. */
export const TEMPLATE_RECIPIENT_ID = 'recipient.id';

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const NAME_QUOTED_CHARS_MAX = 40;

export type TemplateVars =
  | ReadonlyMap<string, string>
  | ReadonlyArray<{ key: string; value: string }>
  /** [key, value] tuples: how audiences are stored. */
  | ReadonlyArray<readonly [string, string]>;

export type RenderResult = { ok: true; text: string } | { ok: false; reason: string };

export interface CompiledTemplate {
  /** The distinct variables the template reads from the recipient, in order of first use (built-ins excluded). */
  readonly variables: string[];
  /** The subset of `variables` used at least once without a fallback: a recipient lacking one cannot be rendered. */
  readonly requiredVariables: string[];
  /** Fails (with a reason) rather than build a text longer than `lengthMax` (default RENDERED_TEXT_LENGTH_MAX). */
  render(recipientId: string, vars: TemplateVars, lengthMax?: number): RenderResult;
}

/** A placeholder: slot indexes `variables`; RECIPIENT_SLOT is the recipient id. */
interface Placeholder {
  slot: number;
  fallback: string | undefined;
  missingReason: string;
}

const RECIPIENT_SLOT = -1;

type Part = string | Placeholder;

function isArray(vars: TemplateVars): vars is ReadonlyArray<{ key: string; value: string }> | ReadonlyArray<readonly [string, string]> {
  return Array.isArray(vars);
}

class Template implements CompiledTemplate {
  readonly variables: string[];
  readonly requiredVariables: string[];
  private readonly slotByName: ReadonlyMap<string, number>;

  constructor(
    private readonly parts: readonly Part[],
    variables: string[],
    requiredVariables: string[],
  ) {
    this.variables = variables;
    this.requiredVariables = requiredVariables;
    this.slotByName = new Map(variables.map((name, slot) => [name, slot]));
  }

  render(recipientId: string, vars: TemplateVars, lengthMax = RENDERED_TEXT_LENGTH_MAX): RenderResult {
    const values = this.lookUp(vars);
    let text = '';
    for (const part of this.parts) {
      if (typeof part === 'string') text += part;
      else {
        const value = part.slot === RECIPIENT_SLOT ? recipientId : values[part.slot];
        if (value !== undefined) text += value;
        else if (part.fallback !== undefined) text += part.fallback;
        else return { ok: false, reason: part.missingReason };
      }
      if (text.length > lengthMax) return { ok: false, reason: `the rendered message is over ${lengthMax} characters` };
    }
    return { ok: true, text };
  }

  /** Values by slot; one pass over the recipient's variables whatever the number of placeholders. */
  private lookUp(vars: TemplateVars): Array<string | undefined> {
    const values = new Array<string | undefined>(this.variables.length);
    if (this.variables.length === 0) return values;
    if (isArray(vars)) {
      // Later pairs win, as they would when building a Map from them.
      for (const pair of vars) {
        const [key, value] = Array.isArray(pair) ? (pair as readonly [string, string]) : [(pair as { key: string }).key, (pair as { value: string }).value];
        const slot = this.slotByName.get(key);
        if (slot !== undefined) values[slot] = value;
      }
    } else {
      for (let slot = 0; slot < this.variables.length; slot++) values[slot] = vars.get(this.variables[slot]!);
    }
    return values;
  }
}

function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3; // Includes lone surrogates, which encode as U+FFFD.
  }
  return bytes;
}

/** Position in characters (code points) from 0, as an operator counts them. */
function positionOf(text: string, index: number): number {
  let position = 0;
  for (let i = 0; i < index; i++) {
    const isSecondHalfOfPair = i > 0 && (text.charCodeAt(i) & 0xfc00) === 0xdc00 && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800;
    if (!isSecondHalfOfPair) position += 1;
  }
  return position;
}

function quoteName(name: string): string {
  const shown = name.length > NAME_QUOTED_CHARS_MAX ? `${name.slice(0, NAME_QUOTED_CHARS_MAX)}…` : name;
  return JSON.stringify(shown);
}

export function compileTemplate(text: string): Result<CompiledTemplate> {
  // Every UTF-16 unit takes at least one UTF-8 byte: reject huge input before counting.
  if (text.length > TEMPLATE_BYTES_MAX) {
    return fail('INVALID_ARGUMENT', `template is at least ${text.length} bytes in UTF-8, over the limit of ${TEMPLATE_BYTES_MAX}`);
  }
  const bytes = utf8ByteLength(text);
  if (bytes > TEMPLATE_BYTES_MAX) {
    return fail('INVALID_ARGUMENT', `template is ${bytes} bytes in UTF-8, over the limit of ${TEMPLATE_BYTES_MAX}`);
  }

  const parts: Part[] = [];
  const variables: string[] = [];
  const required = new Set<string>();
  const slotByName = new Map<string, number>();
  let literal = '';
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf('{{', index);
    if (open < 0) {
      literal += text.slice(index);
      break;
    }
    let backslashes = 0;
    while (open - backslashes - 1 >= index && text.charCodeAt(open - backslashes - 1) === 0x5c) backslashes += 1;
    literal += text.slice(index, open - backslashes) + '\\'.repeat(backslashes >> 1);
    if (backslashes % 2 === 1) {
      literal += '{{';
      index = open + 2;
      continue;
    }

    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      return fail('INVALID_ARGUMENT', `unclosed "{{" at position ${positionOf(text, open)} of the template`);
    }
    const inner = text.slice(open + 2, close);
    const bar = inner.indexOf('|');
    const name = (bar < 0 ? inner : inner.slice(0, bar)).trim();
    const fallback = bar < 0 ? undefined : inner.slice(bar + 1).trim();
    if (name.length === 0) {
      return fail('INVALID_ARGUMENT', `empty template variable name at position ${positionOf(text, open)}`);
    }
    if (!NAME_PATTERN.test(name)) {
      return fail(
        'INVALID_ARGUMENT',
        `illegal template variable name ${quoteName(name)} at position ${positionOf(text, open)}: names use only A-Z a-z 0-9 _ . -`,
      );
    }

    let slot = RECIPIENT_SLOT;
    if (name !== TEMPLATE_RECIPIENT_ID) {
      const known = slotByName.get(name);
      if (known === undefined) {
        slot = variables.length;
        variables.push(name);
        slotByName.set(name, slot);
      } else slot = known;
      if (fallback === undefined) required.add(name);
    }
    if (literal.length > 0) parts.push(literal);
    literal = '';
    parts.push({ slot, fallback, missingReason: `missing template variable ${JSON.stringify(name)}` });
    index = close + 2;
  }
  if (literal.length > 0) parts.push(literal);

  return ok(
    new Template(
      parts,
      variables,
      variables.filter((name) => required.has(name)),
    ),
  );
}
