// The PostgreSQL store the bench measures: this checkout's, or another build's (BENCH_PG_STORE), for before/after runs.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as PostgresStore from '@countersign/postgres-store';
import type pg from 'pg';

/** `BENCH_PG_STORE`, if set, is the path of another build's `packages/postgres-store/dist/index.js`. */
export async function loadStore(): Promise<typeof PostgresStore> {
  const path = process.env.BENCH_PG_STORE;
  if (path) return (await import(pathToFileURL(path).href)) as typeof PostgresStore;
  return import('@countersign/postgres-store');
}

/**
 * The `pg` module that store uses (another build resolves its own copy): wrapping its
 * `Client.prototype.query` sees every statement the store sends.
 */
export function loadPg(): typeof pg {
  const store = process.env.BENCH_PG_STORE ?? import.meta.resolve('@countersign/postgres-store');
  return createRequire(store)('pg') as typeof pg;
}

/** A connection string that names its connections, so their server processes can be found (and their CPU read). */
export function named(url: string, appName: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', appName);
  return u.toString();
}

/** Nanoseconds on CLOCK_MONOTONIC, the same clock in every process on this host. */
export const now = (): string => process.hrtime.bigint().toString();

/** This process's CPU time so far (user + system), in microseconds. */
export const cpuUs = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};
