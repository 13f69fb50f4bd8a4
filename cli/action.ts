/**
 * How a client command's handler is wired to commander: the command modules
 * (broadcast-cmd, nodes-cmd, status-cmd) take an ActionFactory, and
 * client-commands.ts, which builds the program from them, supplies it. Its
 * own module so that the command modules need not import client-commands.ts
 * (which imports them).
 */
import type { Context } from './context';

export type Handler = (ctx: Context, args: string[], opts: Record<string, unknown>) => Promise<number | void>;
/** Wraps a handler into a commander action that records its exit code. */
export type ActionFactory = (handler: Handler) => (...args: unknown[]) => Promise<void>;
