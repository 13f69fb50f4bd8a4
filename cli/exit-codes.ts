/**
 * Exit codes of the client commands (broadcast, nodes, status). Scripts
 * branch on them, so they are part of the interface: docs/cli.md lists them
 * and they never change meaning.
 */
export const EXIT = {
  /** Done; for create (without --detach) and watch: the broadcast COMPLETED. */
  OK: 0,
  /** The operation failed: coordinator unreachable, timeout, or refused (NOT_FOUND, FAILED_PRECONDITION, ...). */
  FAILURE: 1,
  /** Bad command line: unknown command or option, missing argument, bad option value. */
  USAGE: 2,
  /** The audience file is missing, unreadable, of an unknown type or has a bad row; nothing was created. */
  BAD_AUDIENCE: 3,
  /** The broadcast being waited for ended CANCELLED or FAILED. */
  NOT_COMPLETED: 4,
  /** Interrupted (Ctrl-C): 128 + SIGINT, as shells report it. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An operating error that ends the command with a clear message and a documented exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** Machine-readable cause for --json, e.g. a gRPC status name or "BAD_AUDIENCE". */
    readonly code: string = codeFor(exitCode),
  ) {
    super(message);
  }
}

function codeFor(exitCode: ExitCode): string {
  switch (exitCode) {
    case EXIT.USAGE: return 'USAGE';
    case EXIT.BAD_AUDIENCE: return 'BAD_AUDIENCE';
    case EXIT.NOT_COMPLETED: return 'NOT_COMPLETED';
    case EXIT.INTERRUPTED: return 'INTERRUPTED';
    default: return 'FAILURE';
  }
}
