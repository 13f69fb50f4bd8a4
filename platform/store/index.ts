export * from './store';
export { MemoryStore } from './memory-store';
export { LevelStore } from './level-store';
export { describeKvStoreConformance, type ConformanceFixture } from './conformance';
