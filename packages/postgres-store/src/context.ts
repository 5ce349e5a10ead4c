// PgContext: what every part of the store shares (the schema, the database, the sealer, the NOTIFY channel).
import type { Database } from './database.js';
import type { Sealer } from './sealer.js';

export interface PgContext {
  readonly schema: string;
  /** The schema, quoted for SQL. */
  readonly s: string;
  /** Where writes NOTIFY the ids of requests they changed. */
  readonly channel: string;
  readonly db: Database;
  readonly sealer: Sealer;
  /** Hands ids of requests this store's committed writes changed to its own subscribers. */
  readonly delivered: (requestIds: readonly string[]) => void;
}
