/** Shared helpers for the multi-process tests. */
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { WatchEvent__Output } from '../shared/generated/relaycast/v1/WatchEvent';
import type { MembershipClient } from '../shared/generated/relaycast/v1/Membership';

/** Collects a Watch stream's events and waits on them with a bound. */
export class EventLog {
  readonly events: WatchEvent__Output[] = [];
  error: Error | undefined;
  private readonly listeners = new Set<() => void>();
  readonly stream: ClientReadableStream<WatchEvent__Output>;

  constructor(client: MembershipClient, request: { clusterId: string; afterRevision?: number }) {
    this.stream = client.Watch(request);
    this.stream.on('data', (event: WatchEvent__Output) => {
      this.events.push(event);
      this.notify();
    });
    this.stream.on('error', (err: Error) => {
      this.error = err;
      this.notify();
    });
  }

  of(type: string, nodeKey?: string): WatchEvent__Output[] {
    return this.events.filter((e) => e.type === `EVENT_TYPE_${type}` && (nodeKey === undefined || e.node?.nodeKey === nodeKey));
  }

  nodeEvents(type: string): WatchEvent__Output[] {
    return this.of(type).filter((e) => e.node?.kind === 'MEMBER_KIND_NODE');
  }

  waitFor(test: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (test()) return resolve();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw: ${this.events.map((e) => `${e.revision}:${e.type}:${e.node?.nodeKey}`).join(' ')}`));
      }, timeoutMs);
      const listener = () => {
        if (!test()) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      this.listeners.add(listener);
    });
  }

  close(): void {
    this.stream.cancel();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Polls `check` until it returns true, at most `timeoutMs`. For state that has no event stream. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** An observation window: resolves after `ms`. Used only to assert that something does NOT happen. */
export function observe(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
