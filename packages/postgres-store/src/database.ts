// Database: the store's pool, its transactions and its prepared write statements.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PostgresStoreOptions } from './options.js';

/** Returned from a transaction body to roll back instead of committing. */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

export class Database {
  readonly pool: pg.Pool;
  readonly report: (error: unknown) => void;
  /**
   * Backend process ids of the connections of the pool this store made: a NOTIFY from one of them
   * is this store's own write, already delivered in process, so the listener drops its echo. Empty
   * with a pool you own, which other stores may share: their echoes are everyone's news.
   */
  readonly backends = new Set<number>();
  private readonly ownsPool: boolean;
  /** Names of the write statements prepared on each connection, by their text; null: none prepared. */
  private readonly statements: Map<string, string> | null;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.report = options.onError ?? (() => {});
    this.statements = (options.preparedStatements ?? true) ? new Map() : null;
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new pg.Pool({
        connectionString: options.connectionString,
        connectionTimeoutMillis: 10_000,
        keepAlive: true,
      });
      this.ownsPool = true;
      // Idle clients that lose their connection emit here; without a handler that crashes the process.
      this.pool.on('error', (error) => this.report(error));
      this.pool.on('connect', this.onConnect);
      this.pool.on('remove', this.onRemove);
    }
  }

  private readonly onConnect = (client: pg.PoolClient) => {
    const pid = backendPid(client);
    if (pid !== null) this.backends.add(pid);
  };

  private readonly onRemove = (client: pg.PoolClient) => {
    const pid = backendPid(client);
    if (pid !== null) this.backends.delete(pid);
  };

  assertOpen(): void {
    if (this.closed) throw new Error('[countersign] [postgres] the store is closed');
  }

  /** The pool, for one statement; refused once the store is closing. */
  queryable(): pg.Pool {
    this.assertOpen();
    return this.pool;
  }

  /** From now on every call is refused; `end()` later ends the pool if the store made it. */
  close(): void {
    this.closed = true;
  }

  async end(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  /** A name for a write statement's text, the same for every call with that text; undefined: unnamed. */
  statementName(sql: string): string | undefined {
    if (this.statements === null) return undefined;
    let name = this.statements.get(sql);
    if (name === undefined) {
      // From the text (which names the schema): stores sharing a pool never give one name two texts.
      name = `countersign_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
      this.statements.set(sql, name);
    }
    return name;
  }

  /**
   * Runs `body` in BEGIN/COMMIT on one pooled client, for what one statement cannot do (the
   * sweeper, batches, migrations). On any error it rolls back; if even the rollback fails the
   * client is destroyed, so no connection returns to the pool mid-transaction.
   */
  async transaction<T>(body: (client: pg.PoolClient) => Promise<T | Rollback<T>>): Promise<T> {
    this.assertOpen();
    const client = await this.pool.connect();
    // A checked-out client has no pool listener; an error between queries would otherwise be unhandled.
    const onError = (error: Error) => this.report(error);
    client.on('error', onError);
    let broken: Error | null = null;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      if (result instanceof Rollback) {
        await client.query('ROLLBACK');
        return result.value;
      }
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      if (broken) {
        client.release(broken);
      } else {
        client.removeListener('error', onError);
        client.release();
      }
    }
  }
}

/** The server process behind a connected client (pg sets `processID` but does not type it). */
function backendPid(client: pg.PoolClient): number | null {
  const pid = (client as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : null;
}
