// The memory store entry point.
export { createMemoryStore, type MemoryStoreOptions, type MemoryStoreRetention } from './memory-store.js';
