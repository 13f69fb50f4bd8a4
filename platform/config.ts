/**
 * Declarative settings: every value has a flag, a RELAYCAST_* environment
 * variable, a default, validation and a line of documentation. The schema is
 * the single source for parsing, `--help` and the README's reference table.
 */
import { parseArgs } from 'node:util';
import { checkId } from '../protocol/validate';

export type OptionKind = 'int' | 'string' | 'address' | 'list' | 'bool' | 'path' | 'id';

export interface OptionSpec {
  /** Property name in the parsed config, camelCase with the unit last (heartbeatIntervalMs). */
  readonly name: string;
  readonly kind: OptionKind;
  readonly default: number | string | boolean | readonly string[];
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  /** For kind 'string': the accepted values. */
  readonly choices?: readonly string[];
}

export type Schema = readonly OptionSpec[];

/** The TypeScript type a setting of each kind parses to. */
type ValueOf<K extends OptionKind> = K extends 'int' ? number : K extends 'bool' ? boolean : K extends 'list' ? string[] : string;

/**
 * A command's parsed configuration, derived from its schema (declared
 * `as const satisfies Schema`), so that each setting is declared once:
 * its name, kind, default, limits and documentation, and from them its type.
 */
export type ConfigOf<S extends Schema> = { -readonly [O in S[number] as O['name']]: ValueOf<O['kind']> };

/** The settings of `config` named in `keys`, for handing a group of them to a core. */
export function pick<T extends object, K extends keyof T>(config: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = config[key];
  return out;
}

/** The log-level option every command has. */
export const LOG_LEVEL_OPTION = {
  name: 'logLevel', kind: 'string', default: 'info',
  choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  doc: 'pino log level: fatal, error, warn, info, debug, trace or silent.',
} as const satisfies OptionSpec;

/** The Prometheus endpoint option of the coordinator, relays and nodes (docs/metrics.md). */
export const METRICS_LISTEN_OPTION = {
  name: 'metricsListen', kind: 'address', default: '',
  doc: 'Where to serve Prometheus metrics (HOST:PORT, GET /metrics; port 0 picks a free port, printed as metricsAddress in the ready line); off when empty.',
} as const satisfies OptionSpec;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** heartbeatIntervalMs → heartbeat-interval-ms */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** heartbeatIntervalMs → RELAYCAST_HEARTBEAT_INTERVAL_MS */
export function envName(name: string): string {
  return `RELAYCAST_${flagName(name).replace(/-/g, '_').toUpperCase()}`;
}

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function convert(spec: OptionSpec, raw: string | boolean, source: string): unknown {
  const where = source;
  if (spec.kind === 'bool') {
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(raw)}`);
  }
  const text = String(raw).trim();
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`${where}: expected a whole number, got ${JSON.stringify(text)}`);
      const value = Number(text);
      if (spec.min !== undefined && value < spec.min) throw new ConfigError(`${where}: ${value} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) throw new ConfigError(`${where}: ${value} is above the maximum ${spec.max}`);
      return value;
    }
    case 'address':
      checkAddress(text, where);
      return text;
    case 'list': {
      const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      for (const item of items) checkAddress(item, where);
      return items;
    }
    case 'id': {
      // An empty id passes here; commands that require one say so.
      if (text.length === 0) return text;
      const check = checkId(where, text);
      if (!check.ok) throw new ConfigError(check.error.message);
      return text;
    }
    case 'string':
    case 'path':
      if (text.length === 0) throw new ConfigError(`${where}: must not be empty`);
      if (spec.choices !== undefined && !spec.choices.includes(text)) throw new ConfigError(`${where}: expected one of ${spec.choices.join(', ')}, got ${JSON.stringify(text)}`);
      return text;
  }
}

function checkAddress(text: string, where: string): void {
  const match = ADDRESS.exec(text);
  if (!match || Number(match[2]) > 65535) {
    throw new ConfigError(`${where}: expected HOST:PORT (port 0-65535), got ${JSON.stringify(text)}`);
  }
}

export interface ParsedCommand<T> {
  config: T;
  help: boolean;
  positionals: string[];
}

/**
 * Flags win over environment variables, which win over defaults. Unknown
 * flags and bad values throw ConfigError naming the flag or variable.
 */
export function parseConfig<T>(schema: Schema, argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand<T> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const spec of schema) options[flagName(spec.name)] = { type: spec.kind === 'bool' ? 'boolean' : 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  const config: Record<string, unknown> = {};
  for (const spec of schema) {
    const flag = flagName(spec.name);
    const fromFlag = parsed.values[flag];
    const fromEnv = env[envName(spec.name)];
    if (fromFlag !== undefined) config[spec.name] = convert(spec, fromFlag as string | boolean, `--${flag}`);
    else if (fromEnv !== undefined && fromEnv !== '') config[spec.name] = convert(spec, fromEnv, envName(spec.name));
    else config[spec.name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return { config: config as T, help: parsed.values.help === true, positionals: parsed.positionals };
}

export function formatDefault(spec: OptionSpec): string {
  if (Array.isArray(spec.default)) return spec.default.length === 0 ? '(none)' : spec.default.join(',');
  if (spec.default === '') return '(none)';
  return String(spec.default);
}

export function formatHelp(usage: string, summary: string, schema: Schema): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options (flag / environment variable, default):'];
  for (const spec of schema) {
    const value = spec.kind === 'bool' ? '' : ` <${spec.kind === 'int' ? 'n' : spec.kind}>`;
    lines.push(`  --${flagName(spec.name)}${value}`);
    lines.push(`      ${spec.doc}`);
    const range = spec.min !== undefined || spec.max !== undefined ? ` range ${spec.min ?? ''}..${spec.max ?? ''}` : '';
    lines.push(`      env ${envName(spec.name)}, default ${formatDefault(spec)}${range}`);
  }
  lines.push('  --help', '      Print this help and exit.');
  return lines.join('\n') + '\n';
}

/** Markdown table for the README's configuration reference. */
export function formatMarkdown(schema: Schema): string {
  const rows = schema.map((spec) =>
    `| \`--${flagName(spec.name)}\` | \`${envName(spec.name)}\` | \`${formatDefault(spec)}\` | ${spec.doc} |`);
  return ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
