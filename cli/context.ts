/** What every client command gets: the global options, the connection and the output. */
import type { Connection } from './connection';
import type { Output } from './output';

/** The global options, as commander parses them (see client-commands.ts). */
export interface GlobalOptions {
  coordinator: string;
  cluster: string;
  json: boolean;
  timeoutMs: number;
  plaintext?: boolean;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  token?: string;
  tokenFile?: string;
}

export interface Context {
  readonly out: Output;
  readonly conn: Connection;
  readonly clusterId: string;
  readonly timeoutMs: number;
  /** Aborted by Ctrl-C. */
  readonly signal: AbortSignal;
  /** Wall clock, for ages and rates. */
  now(): number;
}

/** Pages fetched at most by a list that walks every page: a bound, far above real use. */
export const LIST_PAGES_MAX = 10_000;
