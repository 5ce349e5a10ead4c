export { createMemoryStore, type MemoryStoreOptions, type MemoryStoreRetention } from './memory-store.js';
