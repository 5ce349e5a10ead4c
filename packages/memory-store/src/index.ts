// The memory store entry point.
export { createMemoryStore } from './memory-store.js';
export type { MemoryStoreOptions, MemoryStoreRetention } from './options.js';
