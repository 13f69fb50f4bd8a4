import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../platform/store/memory-store';
import { WatchHub, WATCHERS_MAX, type WatchSink } from './watch-hub';

const sink = (): WatchSink => ({ write: () => undefined, backlog: () => 0, end: () => undefined });

describe('WatchHub', () => {
  it(`serves at most ${WATCHERS_MAX} watchers; the next is refused with RESOURCE_EXHAUSTED, and a closed one frees its place`, async () => {
    const hub = new WatchHub(new MemoryStore(), 100, 0, () => 1);
    const unsubscribes: Array<() => void> = [];
    for (let i = 0; i < WATCHERS_MAX; i++) {
      const result = await hub.watch('', undefined, sink());
      if (!result.ok) throw new Error(result.error.message);
      unsubscribes.push(result.value);
    }
    expect(hub.watcherCount).toBe(WATCHERS_MAX);
    expect(await hub.watch('', undefined, sink())).toMatchObject({ ok: false, error: { code: 'RESOURCE_EXHAUSTED' } });
    unsubscribes.pop()!();
    expect((await hub.watch('', undefined, sink())).ok).toBe(true);
  });
});
