/**
 * The client commands (broadcast, nodes, status) on commander: global
 * options, one Connection per run, Ctrl-C, and every failure turned into a
 * message and a documented exit code (cli/exit-codes.ts) at this edge.
 */
import { Command, CommanderError, Option } from 'commander';
import type { ActionFactory } from './action';
import { broadcastCommand } from './broadcast-cmd';
export { isClientInvocation } from './client-command-names';
import { Connection, DEFAULT_COORDINATOR, DEFAULT_TIMEOUT_MS } from './connection';
import type { Context, GlobalOptions } from './context';
import { CliError, EXIT } from './exit-codes';
import { nodesCommand } from './nodes-cmd';
import { intParser, parseAddress, parseClusterId } from './option-parsers';
import { Output, type Stream } from './output';
import { statusCommand } from './status-cmd';

/** Largest --timeout-ms: an hour; anything longer is a mistake in units. */
const TIMEOUT_MS_MAX = 3_600_000;
const DEFAULT_CLUSTER = 'default';

export const EXIT_CODES_HELP = `
Exit codes:
  0    done (create/watch: the broadcast COMPLETED)
  1    failed: coordinator unreachable, timeout, or the request was refused
  2    usage error: unknown command or option, bad option value
  3    bad audience file (missing, unknown type, bad row); nothing was created
  4    the broadcast ended CANCELLED or FAILED (create/watch)
  130  interrupted (Ctrl-C); a broadcast being watched carries on`;

export interface ClientIo {
  readonly stdout: Stream;
  readonly stderr: Stream;
}

export function buildClientProgram(action: ActionFactory, io: ClientIo): Command {
  const program = new Command('relaycast')
    .description('relaycast client: talk to a coordinator. Server commands (coordinator, relay, node, gateway-sim, demo): relaycast --help.')
    .addOption(new Option('--coordinator <host:port>', 'the coordinator to talk to').env('RELAYCAST_COORDINATOR').default(DEFAULT_COORDINATOR).argParser(parseAddress))
    .addOption(new Option('--cluster <id>', 'cluster id').env('RELAYCAST_CLUSTER').default(DEFAULT_CLUSTER).argParser(parseClusterId))
    .addOption(new Option('--json', 'print results as JSON on stdout (streams: one object per line); errors as JSON on stderr'))
    .addOption(new Option('--timeout-ms <ms>', 'deadline of each call to the coordinator, and how long a watch waits out a coordinator restart').env('RELAYCAST_TIMEOUT_MS').default(DEFAULT_TIMEOUT_MS).argParser(intParser(1, TIMEOUT_MS_MAX)))
    .addOption(new Option('--plaintext', 'no TLS, for a coordinator started with --plaintext (also RELAYCAST_PLAINTEXT=true); without it the connection uses TLS'))
    .addOption(new Option('--tls-ca-file <file>', "PEM CA the coordinator's certificate must chain to (default: the system's trusted roots)").env('RELAYCAST_TLS_CA_FILE'))
    .addOption(new Option('--tls-cert-file <file>', 'PEM client certificate (a coordinator with TLS requires one)').env('RELAYCAST_TLS_CERT_FILE'))
    .addOption(new Option('--tls-key-file <file>', 'PEM private key of --tls-cert-file').env('RELAYCAST_TLS_KEY_FILE'))
    .addOption(new Option('--token-file <file>', 'file holding the API token, sent as "authorization: Bearer <token>"').env('RELAYCAST_TOKEN_FILE'))
    .addOption(new Option('--token <token>', 'the API token itself; prefer RELAYCAST_TOKEN or --token-file (flags show in ps)').env('RELAYCAST_TOKEN'));
  program.addCommand(broadcastCommand(action));
  program.addCommand(nodesCommand(action));
  program.addCommand(statusCommand(action));
  // addCommand does not pass settings down (only .command() does): apply them to every command.
  const configure = (cmd: Command): void => {
    cmd.exitOverride()
      .configureOutput({
        writeOut: (s) => void io.stdout.write(s),
        writeErr: (s) => void io.stderr.write(s),
        outputError: (s, write) => write(`relaycast: ${s.replace(/^error: /, '')}`),
      })
      .showHelpAfterError(`(${helpHint(cmd)} for usage)`)
      .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
      .addHelpText('after', EXIT_CODES_HELP);
    for (const sub of cmd.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Runs one client command line; resolves with the exit code. */
export async function runClientCli(argv: readonly string[], io: ClientIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const controller = new AbortController();
  let exitCode: number = EXIT.OK;
  const connections: Connection[] = [];
  const action: ActionFactory = (handler) => async (...args) => {
    const command = args[args.length - 1] as Command;
    const opts = args[args.length - 2] as Record<string, unknown>;
    const positionals = args.slice(0, -2) as string[];
    const globals = command.optsWithGlobals<GlobalOptions>();
    const out = new Output(globals.json === true, io.stdout, io.stderr);
    const conn = new Connection({
      coordinator: globals.coordinator,
      timeoutMs: globals.timeoutMs,
      plaintext: globals.plaintext === true || /^(1|true|yes|on)$/i.test(process.env.RELAYCAST_PLAINTEXT ?? ''),
      tlsCaFile: globals.tlsCaFile,
      tlsCertFile: globals.tlsCertFile,
      tlsKeyFile: globals.tlsKeyFile,
      token: globals.token,
      tokenFile: globals.tokenFile,
    }, controller.signal);
    connections.push(conn);
    const ctx: Context = { out, conn, clusterId: globals.cluster, timeoutMs: globals.timeoutMs, signal: controller.signal, now: Date.now };
    try {
      exitCode = (await handler(ctx, positionals, opts)) ?? EXIT.OK;
    } catch (err) {
      // A bug is not an operating error: let it crash with its stack (bin prints it, exit 1).
      const operating = err instanceof CliError || typeof (err as { code?: unknown } | null)?.code === 'number' || controller.signal.aborted;
      if (!operating) throw err;
      exitCode = out.error(commandPath(command), conn.describe(err, commandPath(command)));
    }
  };
  // The first Ctrl-C stops the command cleanly (an upload is cancelled, a watch says how to resume); a second one exits at once.
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    await buildClientProgram(action, io).parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExitCode(err);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    for (const conn of connections) conn.close();
  }
}

function commanderExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
  return EXIT.USAGE;
}

function helpHint(cmd: Command): string {
  const path = commandPath(cmd);
  return path === 'relaycast' ? 'relaycast --help' : `relaycast ${path} --help`;
}

/** "broadcast create" for the command `relaycast broadcast create`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null && c.parent !== null; c = c.parent) names.unshift(c.name());
  return names.length === 0 ? 'relaycast' : names.join(' ');
}
