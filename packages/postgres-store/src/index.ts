// The PostgreSQL store entry point.
export {
  createPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  type SweepOptions,
} from './postgres-store.js';
