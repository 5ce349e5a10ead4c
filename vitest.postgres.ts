/** Vitest global setup: checks once per run whether the tests' PostgreSQL answers, and tells the tests. */
import { createRequire } from 'node:module';
import type { TestProject } from 'vitest/node';

/** What `inject('postgres')` gives a test file. */
export interface PostgresForTests {
  /** The connection string every PostgreSQL test uses. */
  url: string;
  /** Why PostgreSQL tests skip in this run (it does not answer, outside CI), or null when they run. */
  skip: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresForTests;
  }
}

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

interface PgClient {
  on(event: 'error', listener: () => void): void;
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
type PgClientClass = new (config: { connectionString: string; connectionTimeoutMillis: number }) => PgClient;

/** The reason a server at `url` cannot be used, or null when it answers a query. */
async function problemWith(url: string): Promise<string | null> {
  // `pg` is the PostgreSQL store's dependency, not the workspace root's.
  const require = createRequire(new URL('./packages/postgres-store/package.json', import.meta.url));
  const { Client } = require('pg') as { Client: PgClientClass };
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    // A refused connection to a name with two addresses is an AggregateError with an empty message.
    const message = error instanceof Error ? error.message : String(error);
    return message || String((error as { code?: unknown }).code ?? error);
  } finally {
    await client.end().catch(() => {});
  }
}

function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.COUNTERSIGN_PG_URL ?? DEFAULT_PG_URL;
  const problem = await problemWith(url);
  const shown = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  let skip: string | null = null;
  if (problem !== null && inCI()) {
    console.error(
      `PostgreSQL at ${shown} does not answer (${problem}); CI is set, so its tests run and fail. Start PostgreSQL or set COUNTERSIGN_PG_URL.`,
    );
  } else if (problem !== null) {
    skip = `no PostgreSQL at ${shown} (${problem})`;
    console.warn(
      `PostgreSQL tests skipped: ${skip}. Start PostgreSQL there, with trust auth and a database "test", or set COUNTERSIGN_PG_URL.`,
    );
  }
  project.provide('postgres', { url, skip });
}
