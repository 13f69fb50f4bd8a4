/** Structured JSON logs (pino). Each component binds its ids into a child logger. */
import pino from 'pino';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function createLogger(component: string, level: string, bindings: Record<string, string> = {}): Logger {
  return pino({ level, base: { component, pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
