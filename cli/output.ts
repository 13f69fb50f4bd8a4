/**
 * Where the client commands write. Results go to stdout: text for people by
 * default, JSON with --json (one document per command; streaming commands
 * print one JSON object per line). Progress, notes and errors go to stderr,
 * so stdout can be piped or captured whatever the command prints meanwhile.
 */
import { CliError, EXIT } from './exit-codes';

export interface Stream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
}

export class Output {
  constructor(
    readonly json: boolean,
    readonly stdout: Stream,
    readonly stderr: Stream,
  ) {}

  /** The command's result: `value` as JSON, or `human()` as text. */
  result(value: unknown, human: () => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else this.line(human());
  }

  /** One record of a stream (watch): a JSON line, or text. */
  record(value: unknown, human: () => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value)}\n`);
    else this.line(human());
  }

  /** A text line on stdout (human mode only). */
  line(text: string): void {
    if (!this.json) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Commentary for people on stderr; silent with --json. */
  note(text: string): void {
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  /** Something the user should act on; shown in both modes. */
  warn(text: string): void {
    this.stderr.write(this.json ? `${JSON.stringify({ warning: text })}\n` : `warning: ${text}\n`);
  }

  /** The error that ends the command; returns its exit code. */
  error(command: string, err: unknown): number {
    const e = err instanceof CliError ? err : new CliError(EXIT.FAILURE, err instanceof Error ? err.message : String(err));
    if (this.json) this.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message, exitCode: e.exitCode } })}\n`);
    else this.stderr.write(`relaycast ${command}: ${e.message}\n`);
    return e.exitCode;
  }
}
