/**
 * Option and argument values, checked where they are parsed so that a bad
 * one is a usage error (exit 2) naming the option, before any call is made.
 */
import { InvalidArgumentError } from 'commander';
import { checkId } from '../protocol/validate';

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
/** The coordinator's request_id limit. */
export const REQUEST_ID_LENGTH_MAX = 128;

export function parseAddress(value: string): string {
  const match = ADDRESS.exec(value.trim());
  if (!match || Number(match[2]) > 65535 || Number(match[2]) === 0) throw new InvalidArgumentError(`expected HOST:PORT, got ${JSON.stringify(value)}`);
  return value.trim();
}

export function intParser(min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    if (!/^-?\d+$/.test(text)) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
    const n = Number(text);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is outside ${min}..${max}`);
    return n;
  };
}

export function parseClusterId(value: string): string {
  const check = checkId('cluster id', value);
  if (!check.ok) throw new InvalidArgumentError(check.error.message);
  return value;
}

export function parseRequestId(value: string): string {
  if (value.length === 0 || value.length > REQUEST_ID_LENGTH_MAX) throw new InvalidArgumentError(`must be 1-${REQUEST_ID_LENGTH_MAX} characters`);
  return value;
}

/** An ISO-8601 time (2025-06-01T09:00:00Z) or Unix milliseconds. */
export function parseTime(value: string): number {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // Date.parse accepts odd forms ("1"); require something that looks like a date.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`expected an ISO-8601 time like 2025-06-01T09:00:00Z or Unix milliseconds, got ${JSON.stringify(value)}`);
  return ms;
}

/** "3,17,42" → [3, 17, 42] (dead-letter sequences). */
export function parseSequences(value: string): number[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidArgumentError('expected comma-separated sequence numbers');
  return items.map((s) => {
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new InvalidArgumentError(`${JSON.stringify(s)} is not a sequence number`);
    return Number(s);
  });
}

export function choiceParser<T extends string>(choices: readonly T[], what: string): (value: string) => T {
  return (value) => {
    const v = value.trim().toLowerCase() as T;
    if (!choices.includes(v)) throw new InvalidArgumentError(`${what} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return v;
  };
}

/** Positional ids (broadcast, node): non-empty, no surrounding space. */
export function parseNonEmpty(what: string): (value: string) => string {
  return (value) => {
    const v = value.trim();
    if (v.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
    return v;
  };
}
