/** The single `relaycast` binary: one subcommand per deployable part. */
import { ConfigError, formatHelp, parseConfig, type Schema } from '../platform/config';
import { VERSION } from '../platform/version';
import { COORDINATOR_SCHEMA, checkCoordinatorConfig, type CoordinatorConfig } from '../coordinator/config';
import { NODE_SCHEMA, checkNodeConfig, type NodeConfig } from '../node/config';
import { RELAY_SCHEMA, checkRelayConfig, type RelayConfig } from '../relay/config';
import { DEMO_SCHEMA, checkDemoConfig, type DemoConfig } from './demo-config';
import { GATEWAY_SIM_SCHEMA, checkGatewaySimConfig, type GatewaySimConfig } from '../gateway/config';
import { CLIENT_COMMANDS, CLIENT_GLOBAL_FLAGS, isClientInvocation } from './client-command-names';

interface Command {
  summary: string;
  usage: string;
  schema: Schema;
  run(argv: string[]): Promise<void>;
}

function command<T>(summary: string, usage: string, schema: Schema, check: (c: T) => T, run: (c: T) => Promise<void>): Command {
  return {
    summary,
    usage,
    schema,
    async run(argv) {
      const parsed = parseConfig<T>(schema, argv, process.env);
      if (parsed.help) {
        process.stdout.write(formatHelp(usage, summary, schema));
        return;
      }
      if (parsed.positionals.length > 0) throw new ConfigError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
      await run(check(parsed.config));
    },
  };
}

export const COMMANDS: Record<string, Command> = {
  coordinator: command<CoordinatorConfig>(
    'Run the coordinator: registry, failure detector and broadcast owner, persisted in LevelDB.',
    'relaycast coordinator [--listen HOST:PORT] [--data-dir DIR] [options]',
    COORDINATOR_SCHEMA, checkCoordinatorConfig,
    async (c) => (await import('../coordinator/main')).runCoordinator(c)),
  relay: command<RelayConfig>(
    'Run a relay: nodes attach to it; it forwards their liveness to the coordinator in batches and carries orders back.',
    'relaycast relay --coordinator HOST:PORT --id ID [--listen HOST:PORT] [options]',
    RELAY_SCHEMA, checkRelayConfig,
    async (c) => (await import('../relay/main')).runRelay(c)),
  node: command<NodeConfig>(
    'Run a push worker node: registers, keeps its lease through a relay or the coordinator, and fences itself when the lease lapses.',
    'relaycast node --id ID (--relays HOST:PORT,... | --coordinator HOST:PORT) [options]',
    NODE_SCHEMA, checkNodeConfig,
    async (c) => (await import('../node/main')).runNode(c)),
  'gateway-sim': command<GatewaySimConfig>(
    'Run the gateway simulator: implements the gateway contract, keeps a ledger of every delivery, counts duplicates, injects latency, retries, outages and unreachable recipients.',
    'relaycast gateway-sim [--listen HOST:PORT] [options]',
    GATEWAY_SIM_SCHEMA, checkGatewaySimConfig,
    async (c) => (await import('../gateway/main')).runGatewaySim(c)),
  demo: command<DemoConfig>(
    'Start a local cluster on loopback (coordinator, relays, nodes, gateway simulator), run a 200k personalised broadcast, kill a node mid-way and show the takeover, then stop everything.',
    'relaycast demo [options]',
    DEMO_SCHEMA, checkDemoConfig,
    async (c) => (await import('./demo')).runDemo(c)),
};

function usage(): string {
  const width = Math.max(...[...Object.keys(COMMANDS), ...Object.keys(CLIENT_COMMANDS)].map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  const clientLines = Object.entries(CLIENT_COMMANDS).map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    'Usage: relaycast <command> [options]', '',
    'Commands (run a part of the cluster):', ...lines, '',
    'Client commands (talk to a coordinator):', ...clientLines,
    `  global options: ${CLIENT_GLOBAL_FLAGS.join(', ')} (relaycast <command> --help)`, '',
    "Run 'relaycast <command> --help' for a command's options.", '',
  ].join('\n');
}

export function main(argv: string[]): void {
  const [name, ...rest] = argv;
  if (isClientInvocation(argv)) {
    // Loaded on demand, like the servers: a node or relay start never pays for the client code.
    import('./client-commands')
      .then(({ runClientCli }) => runClientCli(argv))
      .then(exitClient, (err: unknown) => {
        process.stderr.write(`relaycast ${name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
        exitClient(1);
      });
    return;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    process.exit(name === undefined ? 2 : 0);
  }
  if (name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`relaycast: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    process.exit(2);
  }
  cmd.run(rest).catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`relaycast ${name}: ${err.message}\nRun 'relaycast ${name} --help' for usage.\n`);
      process.exit(2);
    }
    process.stderr.write(`relaycast ${name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}

/** Bound on how long a finished client command may linger (a handle left open) before it is made to exit. */
const CLIENT_EXIT_GRACE_MS = 2000;

function exitClient(code: number): void {
  // Exiting naturally lets stdout drain; the unref'd timer only fires if something keeps the process alive.
  process.exitCode = code;
  setTimeout(() => process.exit(code), CLIENT_EXIT_GRACE_MS).unref();
}
