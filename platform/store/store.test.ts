import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeKvStoreConformance } from './conformance';
import { LevelStore } from './level-store';
import { MemoryStore } from './memory-store';
import type { KvStore } from './store';

/** Closes a store that a test may already have closed. */
async function closeQuietly(store: KvStore): Promise<void> {
  await store.close().catch(() => undefined);
}

describeKvStoreConformance('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => closeQuietly(store) };
});

describeKvStoreConformance('LevelStore', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relaycast-level-store-'));
  const opened: KvStore[] = [];
  const open = async (): Promise<KvStore> => {
    const store = await LevelStore.open(dir);
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const store of opened) await closeQuietly(store);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
