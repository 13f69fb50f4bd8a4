/**
 * The client commands by name with their one-line summaries: the top-level
 * usage lists them without loading the client code (commander, gRPC).
 */
export const CLIENT_COMMANDS: Readonly<Record<string, string>> = {
  broadcast: 'Create, follow and steer broadcasts: create (from a .csv or .jsonl audience), get, list, watch, cancel, pause, resume, dead-letters, retry.',
  nodes: 'List, watch and drain the members of the cluster.',
  status: 'Cluster overview: coordinator, relays, nodes by state, broadcasts in progress.',
};

/** Global options of the client commands; one may come before the command name. */
export const CLIENT_GLOBAL_FLAGS: readonly string[] = ['--coordinator', '--cluster', '--json', '--timeout-ms', '--plaintext', '--tls-ca-file', '--tls-cert-file', '--tls-key-file', '--token-file', '--token'];

/** `relaycast broadcast ...`, or a global option first: `relaycast --json status`. */
export function isClientInvocation(argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === undefined) return false;
  return Object.hasOwn(CLIENT_COMMANDS, first) || CLIENT_GLOBAL_FLAGS.includes(first.split('=')[0]!);
}
