import { ConfigError, type Schema, type ConfigOf } from '../platform/config';

export const DEMO_SCHEMA = [
  { name: 'nodes', kind: 'int', default: 3, min: 1, max: 50, doc: 'Nodes to start.' },
  { name: 'relays', kind: 'int', default: 2, min: 0, max: 10, doc: 'Relays to start (0: nodes talk to the coordinator directly).' },
  { name: 'downAfterMs', kind: 'int', default: 2000, min: 100, max: 60_000, doc: 'The coordinator down timeout for the demo cluster.' },
  { name: 'recipients', kind: 'int', default: 200_000, min: 1000, max: 10_000_000, doc: 'Audience size of the demo broadcast.' },
  { name: 'timeoutMs', kind: 'int', default: 180_000, min: 1000, max: 3_600_000, doc: 'Give up (and clean up) if the demo has not finished by then.' },
] as const satisfies Schema;

/** The parsed settings, derived from the schema (each declared once, there). */
export type DemoConfig = ConfigOf<typeof DEMO_SCHEMA>;

export function checkDemoConfig(config: DemoConfig): DemoConfig {
  if (config.nodes < 2) throw new ConfigError('--nodes must be at least 2 (one is killed mid-broadcast)');
  return config;
}
