// PgStore: the Store contract on PostgreSQL, one transaction per call, and its own sweeper.
import {
  type ApprovalRequest,
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  type ConsumeGrantMatch,
  type CreateRequestResult,
  type GrantRecord,
  type ListRequestsQuery,
  lapse,
  type ReuseWindow,
  type ReuseWindowQuery,
  type Store,
  sealAuditEntries,
} from '@countersign/core';
import pg from 'pg';
import { NotificationListener } from './listener.js';
import { runMigrations } from './migrations.js';

export interface PostgresStoreOptions {
  /** A pool you own: the store never ends it. Give it an `'error'` handler, as for any pg pool. */
  pool?: pg.Pool | undefined;
  /** Used when no `pool` is given; the store creates and ends its own pool. Default: the `PG*` env vars. */
  connectionString?: string | undefined;
  /** Schema holding the tables, created by `migrate()`. Letters, digits and `_`, at most 48. Default `'countersign'`. */
  schema?: string | undefined;
  /**
   * LISTEN for changes on a dedicated connection so waiting guards wake at once. Default true.
   * Set false behind PgBouncer in transaction mode, where LISTEN does not work; guards then
   * rely on core's `pollInterval`. Writes always NOTIFY, for other processes that listen.
   */
  notifications?: boolean | undefined;
  /** Background errors: the notification connection dropping, an idle pooled client failing. */
  onError?: ((error: unknown) => void) | undefined;
}

export interface SweepOptions {
  /** Most pending requests, and most approvals, closed in one call. Default 100. */
  limit?: number | undefined;
}

/** A countersign `Store` on PostgreSQL, plus what only a database can do. */
export interface PostgresStore extends Store {
  readonly name: 'postgres';
  /** The schema the tables live in. */
  readonly schema: string;
  /** Creates the schema and applies pending migrations. Idempotent and safe to call from many processes at once. */
  migrate(): Promise<void>;
  /**
   * Closes, by the DATABASE clock, what core's `sweep()` closes, as core's `lapse()` rules:
   * pending requests past their deadline, and approvals whose grant lifetime has passed with no
   * outcome recorded (never claimed: expired; action started: failed, grant revoked). One
   * transaction that skips rows other sweepers or processes hold, writing the same records and
   * audit as core. Also deletes up to `limit` reuse windows that have ended. Returns the ids it closed.
   */
  sweepExpired(options?: SweepOptions): Promise<string[]>;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;
/**
 * Creates a store that many processes can share. Call `migrate()` once before use (at deploy or
 * startup; it is idempotent). Every method is one transaction: a lost connection or a database
 * restart rolls back what was in flight and the error propagates, so core fails closed.
 */
export function createPostgresStore(options: PostgresStoreOptions = {}): PostgresStore {
  return new PgStore(options);
}

/** Returned from a transaction body to roll back instead of committing. */
class Rollback<T> {
  constructor(readonly value: T) {}
}

interface GrantRow {
  id: string;
  token_hash: string;
  fingerprint: string;
  session_id: string;
  request_id: string | null;
  actor: string;
  rule_id: string;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
  revoked_at: number | null;
}

class PgStore implements PostgresStore {
  readonly name = 'postgres';
  readonly schema: string;
  declare readonly subscribe?: (listener: (requestId: string) => void) => Promise<() => Promise<void>>;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly s: string;
  private readonly channel: string;
  private readonly listener: NotificationListener | null;
  private readonly report: (error: unknown) => void;
  private closing: Promise<void> | null = null;

  constructor(options: PostgresStoreOptions) {
    const schema = options.schema ?? 'countersign';
    if (!NAME_PATTERN.test(schema)) {
      throw new Error(
        `[countersign] [postgres] invalid schema name ${JSON.stringify(schema)}: use letters, digits and _, at most 48 characters, not starting with a digit`,
      );
    }
    this.schema = schema;
    this.s = pg.escapeIdentifier(schema);
    this.channel = `${schema}_requests`;
    this.report = options.onError ?? (() => {});
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
    }
    if (options.notifications ?? true) {
      const listener = new NotificationListener(this.pool.options, this.channel, this.report);
      this.listener = listener;
      this.subscribe = async (fn) => {
        this.assertOpen();
        return listener.subscribe(fn);
      };
    } else {
      this.listener = null;
    }
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await runMigrations(client, this.schema, this.s);
    });
  }

  async createRequest(request: ApprovalRequest, audit: readonly AuditDraft[]): Promise<CreateRequestResult> {
    return this.transaction<CreateRequestResult>(async (client) => {
      const inserted = await client.query(
        `INSERT INTO ${this.s}.requests (id, actor, idempotency_key, status, version, expires_at, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (actor, idempotency_key) DO NOTHING
         RETURNING record`,
        [
          request.id,
          request.actor,
          request.idempotencyKey,
          request.status,
          request.version,
          request.expiresAt,
          JSON.stringify(request),
        ],
      );
      const created = inserted.rows[0]?.record as ApprovalRequest | undefined;
      if (created === undefined) {
        // ON CONFLICT waited for the other writer to commit, so this statement's snapshot sees its row.
        const existing = await this.selectRequest(client, 'actor = $1 AND idempotency_key = $2', [
          request.actor,
          request.idempotencyKey,
        ]);
        if (existing === null) {
          throw new Error(
            `[countersign] [postgres] idempotency key conflict for ${request.actor} but no request found`,
          );
        }
        return new Rollback({ created: false, request: existing });
      }
      await this.appendIn(client, audit);
      await this.notifyIn(client, created.id);
      return { created: true, request: created };
    });
  }

  async getRequest(id: string): Promise<ApprovalRequest | null> {
    return this.selectRequest(this.queryable(), 'id = $1', [id]);
  }

  async findRequestByIdempotencyKey(actor: string, idempotencyKey: string): Promise<ApprovalRequest | null> {
    return this.selectRequest(this.queryable(), 'actor = $1 AND idempotency_key = $2', [
      actor,
      idempotencyKey,
    ]);
  }

  async updateRequest(next: ApprovalRequest, audit: readonly AuditDraft[]): Promise<ApprovalRequest | null> {
    return this.transaction(async (client) => {
      const stored = await this.replaceRequest(client, next);
      if (stored === null) return new Rollback(null);
      await this.appendIn(client, audit);
      await this.notifyIn(client, stored.id);
      return stored;
    });
  }

  async updateRequests(
    updates: readonly { next: ApprovalRequest; audit: readonly AuditDraft[] }[],
  ): Promise<ApprovalRequest[] | null> {
    if (new Set(updates.map((update) => update.next.id)).size !== updates.length) return null;
    return this.transaction<ApprovalRequest[] | null>(async (client) => {
      // Row locks in id order, so two overlapping batches queue instead of deadlocking.
      const order = updates
        .map((_, i) => i)
        .sort((a, b) => (updates[a]!.next.id < updates[b]!.next.id ? -1 : 1));
      const stored: ApprovalRequest[] = new Array(updates.length);
      for (const i of order) {
        const saved = await this.replaceRequest(client, updates[i]!.next);
        if (saved === null) return new Rollback(null);
        stored[i] = saved;
      }
      await this.appendIn(
        client,
        updates.flatMap((update) => update.audit),
      );
      for (const request of stored) await this.notifyIn(client, request.id);
      return stored;
    });
  }

  async createReuseWindow(window: ReuseWindow, audit: readonly AuditDraft[]): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO ${this.s}.reuse_windows
           (id, request_id, rule_id, scope, match, risk, created_at, expires_at, max_uses, uses, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO NOTHING`,
        [
          window.id,
          window.requestId,
          window.ruleId,
          window.scope,
          window.match,
          window.risk,
          window.createdAt,
          window.expiresAt,
          window.maxUses,
          window.uses,
          window.revokedAt,
        ],
      );
      if (rowCount !== 1) return false;
      await this.appendIn(client, audit);
      return true;
    });
  }

  async findReuseWindows(query: ReuseWindowQuery): Promise<ReuseWindow[]> {
    const { rows } = await this.queryable().query<WindowRow>(
      `SELECT * FROM ${this.s}.reuse_windows
       WHERE scope = $1 AND match = $2 AND rule_id = $3 AND expires_at > $4
         AND revoked_at IS NULL AND uses < max_uses
       ORDER BY created_at LIMIT 10`,
      [query.scope, query.match, query.ruleId, query.now],
    );
    return rows.map(windowFromRow);
  }

  async useReuseWindow(
    id: string,
    uses: number,
    now: number,
    audit: readonly AuditDraft[],
  ): Promise<ReuseWindow | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<WindowRow>(
        `UPDATE ${this.s}.reuse_windows SET uses = uses + 1
         WHERE id = $1 AND uses = $2 AND expires_at > $3 AND revoked_at IS NULL AND uses < max_uses
         RETURNING *`,
        [id, uses, now],
      );
      if (!rows[0]) return new Rollback(null);
      await this.appendIn(client, audit);
      return windowFromRow(rows[0]);
    });
  }

  async revokeReuseWindow(
    id: string,
    now: number,
    audit: readonly AuditDraft[],
  ): Promise<ReuseWindow | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<WindowRow>(
        `UPDATE ${this.s}.reuse_windows SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *`,
        [id, now],
      );
      if (!rows[0]) return new Rollback(null);
      await this.appendIn(client, audit);
      return windowFromRow(rows[0]);
    });
  }

  async getReuseWindow(id: string): Promise<ReuseWindow | null> {
    const { rows } = await this.queryable().query<WindowRow>(
      `SELECT * FROM ${this.s}.reuse_windows WHERE id = $1`,
      [id],
    );
    return rows[0] ? windowFromRow(rows[0]) : null;
  }

  async listRequests(query: ListRequestsQuery): Promise<ApprovalRequest[]> {
    const { rows } = await this.queryable().query(
      `SELECT record FROM ${this.s}.requests
       WHERE status = $1 AND ($2::double precision IS NULL OR expires_at <= $2)
       ORDER BY expires_at, id
       LIMIT $3`,
      [query.status, query.expiresAtOrBefore ?? null, query.limit],
    );
    return rows.map((row) => row.record as ApprovalRequest);
  }

  async createGrant(grant: GrantRecord, audit: readonly AuditDraft[]): Promise<void> {
    await this.transaction(async (client) => {
      await this.insertGrant(client, grant);
      await this.appendIn(client, audit);
    });
  }

  async updateRequestAndCreateGrant(
    next: ApprovalRequest,
    audit: readonly AuditDraft[],
    grant: GrantRecord,
  ): Promise<ApprovalRequest | null> {
    return this.transaction(async (client) => {
      const stored = await this.replaceRequest(client, next);
      if (stored === null) return new Rollback(null);
      await this.insertGrant(client, grant);
      await this.appendIn(client, audit);
      await this.notifyIn(client, stored.id);
      return stored;
    });
  }

  async revokeGrantAndUpdateRequest(
    revoke: { id: string; now: number; audit: readonly AuditDraft[] },
    update: { next: ApprovalRequest; audit: readonly AuditDraft[] },
  ): Promise<{ grant: GrantRecord | null; request: ApprovalRequest | null }> {
    return this.transaction(async (client) => {
      // Grant row, then request row, then the audit head: no other transaction locks a request
      // before an existing grant, so this order cannot deadlock.
      const grant = await this.revokeIn(client, revoke.id, revoke.now);
      const request = await this.replaceRequest(client, update.next);
      await this.appendIn(client, [...(grant ? revoke.audit : []), ...(request ? update.audit : [])]);
      if (request) await this.notifyIn(client, request.id);
      return { grant, request };
    });
  }

  async getGrantByTokenHash(tokenHash: string): Promise<GrantRecord | null> {
    const { rows } = await this.queryable().query<GrantRow>(
      `SELECT * FROM ${this.s}.grants WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ? grantFromRow(rows[0]) : null;
  }

  async consumeGrant(match: ConsumeGrantMatch, audit: readonly AuditDraft[]): Promise<GrantRecord | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<GrantRow>(
        `UPDATE ${this.s}.grants SET consumed_at = $4
         WHERE token_hash = $1 AND fingerprint = $2 AND session_id = $3
           AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > $4
         RETURNING *`,
        [match.tokenHash, match.fingerprint, match.sessionId, match.now],
      );
      if (!rows[0]) return new Rollback(null);
      await this.appendIn(client, audit);
      return grantFromRow(rows[0]);
    });
  }

  async revokeGrant(id: string, now: number, audit: readonly AuditDraft[]): Promise<GrantRecord | null> {
    return this.transaction(async (client) => {
      const revoked = await this.revokeIn(client, id, now);
      if (revoked === null) return new Rollback(null);
      await this.appendIn(client, audit);
      return revoked;
    });
  }

  async appendAudit(audit: readonly AuditDraft[]): Promise<AuditEntry[]> {
    if (audit.length === 0) return [];
    return this.transaction((client) => this.appendIn(client, audit));
  }

  async readAudit(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.queryable().query(
      `SELECT entry FROM ${this.s}.audit WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map((row) => row.entry as AuditEntry);
  }

  async auditHead(): Promise<AuditHead | null> {
    const { rows } = await this.queryable().query<{ seq: string; hash: string }>(
      `SELECT seq, hash FROM ${this.s}.audit_head`,
    );
    return headFromRow(rows[0]);
  }

  async sweepExpired(options: SweepOptions = {}): Promise<string[]> {
    const limit = options.limit ?? 100;
    return this.transaction(async (client) => {
      const clock = await client.query<{ now: number }>(
        'SELECT floor(extract(epoch FROM now()) * 1000)::double precision AS now',
      );
      const now = clock.rows[0]!.now;
      const pending = await client.query(
        `SELECT record FROM ${this.s}.requests
         WHERE status = 'pending' AND expires_at <= $1
         ORDER BY expires_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      // When an approval lapses is core's rule (lapse()), not a column: read them, then lock the due ones.
      const approved = await client.query(
        `SELECT record FROM ${this.s}.requests WHERE status = 'approved' ORDER BY expires_at, id LIMIT $1`,
        [limit],
      );
      const due = approved.rows
        .map((row) => row.record as ApprovalRequest)
        .filter((request) => lapse(request, now) !== null);
      // Grants before requests, the order revokeGrantAndUpdateRequest locks them in; one a process holds is skipped.
      const held = await client.query<{ id: string }>(
        `SELECT id FROM ${this.s}.grants WHERE id = ANY($1) FOR UPDATE SKIP LOCKED`,
        [due.flatMap((request) => (request.grantId === null ? [] : [request.grantId]))],
      );
      const grants = new Set(held.rows.map((row) => row.id));
      const lapsed = await client.query(
        `SELECT record FROM ${this.s}.requests
         WHERE status = 'approved' AND id = ANY($1)
         ORDER BY expires_at, id
         FOR UPDATE SKIP LOCKED`,
        [due.map((request) => request.id)],
      );
      const closed: string[] = [];
      const drafts: AuditDraft[] = [];
      for (const row of [...pending.rows, ...lapsed.rows]) {
        const change = lapse(row.record as ApprovalRequest, now);
        if (change === null || (change.revoke !== null && !grants.has(change.revoke.id))) continue;
        if ((await this.replaceRequest(client, change.next)) === null) continue;
        if (change.revoke !== null && (await this.revokeIn(client, change.revoke.id, now)) !== null) {
          drafts.push(...change.revoke.audit);
        }
        drafts.push(...change.audit);
        closed.push(change.next.id);
      }
      // Reuse windows that have ended can never apply again: drop them, so the table tracks live ones.
      await client.query(
        `DELETE FROM ${this.s}.reuse_windows
         WHERE id IN (SELECT id FROM ${this.s}.reuse_windows WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [now, limit],
      );
      await this.appendIn(client, drafts);
      for (const id of closed) await this.notifyIn(client, id);
      return closed;
    });
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listener?.stop();
      if (this.ownsPool) await this.pool.end();
    })();
    await this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new Error('[countersign] [postgres] the store is closed');
  }

  private queryable(): pg.Pool {
    this.assertOpen();
    return this.pool;
  }

  /**
   * Runs `body` in BEGIN/COMMIT on one pooled client. On any error it rolls back; if even the
   * rollback fails the client is destroyed, so no connection returns to the pool mid-transaction.
   */
  private async transaction<T>(body: (client: pg.PoolClient) => Promise<T | Rollback<T>>): Promise<T> {
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

  private async insertGrant(client: pg.PoolClient, grant: GrantRecord): Promise<void> {
    await client.query(
      `INSERT INTO ${this.s}.grants
         (id, token_hash, fingerprint, session_id, request_id, actor, rule_id, issued_at, expires_at, consumed_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        grant.id,
        grant.tokenHash,
        grant.fingerprint,
        grant.sessionId,
        grant.requestId,
        grant.actor,
        grant.ruleId,
        grant.issuedAt,
        grant.expiresAt,
        grant.consumedAt,
        grant.revokedAt,
      ],
    );
  }

  /** The revoked grant, or null when it is unknown or already revoked. */
  private async revokeIn(client: pg.PoolClient, id: string, now: number): Promise<GrantRecord | null> {
    const { rows } = await client.query<GrantRow>(
      `UPDATE ${this.s}.grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *`,
      [id, now],
    );
    return rows[0] ? grantFromRow(rows[0]) : null;
  }

  private async selectRequest(
    db: pg.Pool | pg.PoolClient,
    where: string,
    values: unknown[],
  ): Promise<ApprovalRequest | null> {
    const { rows } = await db.query(`SELECT record FROM ${this.s}.requests WHERE ${where}`, values);
    return (rows[0]?.record as ApprovalRequest | undefined) ?? null;
  }

  /** The compare-and-set: writes `next` only over version `next.version - 1`. */
  private async replaceRequest(
    client: pg.PoolClient,
    next: ApprovalRequest,
  ): Promise<ApprovalRequest | null> {
    const { rows } = await client.query(
      `UPDATE ${this.s}.requests
       SET actor = $3, idempotency_key = $4, status = $5, version = $6, expires_at = $7, record = $8, updated_at = now()
       WHERE id = $1 AND version = $2
       RETURNING record`,
      [
        next.id,
        next.version - 1,
        next.actor,
        next.idempotencyKey,
        next.status,
        next.version,
        next.expiresAt,
        JSON.stringify(next),
      ],
    );
    return (rows[0]?.record as ApprovalRequest | undefined) ?? null;
  }

  /**
   * Locks the head row, so appenders in every process queue here and the chain stays linear,
   * then seals the drafts after it. Always the last lock a transaction takes, so no deadlocks.
   */
  private async appendIn(client: pg.PoolClient, drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    if (drafts.length === 0) return [];
    const { rows } = await client.query<{ seq: string; hash: string }>(
      `SELECT seq, hash FROM ${this.s}.audit_head FOR UPDATE`,
    );
    if (!rows[0])
      throw new Error(`[countersign] [postgres] ${this.schema}.audit_head is empty; run migrate()`);
    const sealed = sealAuditEntries(headFromRow(rows[0]), drafts);
    const rowsSql = sealed.map((_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`).join(', ');
    await client.query(
      `INSERT INTO ${this.s}.audit (seq, hash, entry) VALUES ${rowsSql}`,
      sealed.flatMap((entry) => [entry.seq, entry.hash, JSON.stringify(entry)]),
    );
    const last = sealed[sealed.length - 1]!;
    await client.query(`UPDATE ${this.s}.audit_head SET seq = $1, hash = $2`, [last.seq, last.hash]);
    return sealed;
  }

  /** Delivered at COMMIT, and only if it commits. */
  private async notifyIn(client: pg.PoolClient, requestId: string): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [this.channel, requestId]);
  }
}

function headFromRow(row: { seq: string; hash: string } | undefined): AuditHead | null {
  if (!row) return null;
  const seq = Number(row.seq);
  return seq === 0 ? null : { seq, hash: row.hash };
}

interface WindowRow {
  id: string;
  request_id: string;
  rule_id: string;
  scope: string;
  match: string;
  risk: ReuseWindow['risk'];
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  revoked_at: number | null;
}

function windowFromRow(row: WindowRow): ReuseWindow {
  return {
    id: row.id,
    requestId: row.request_id,
    ruleId: row.rule_id,
    scope: row.scope,
    match: row.match,
    risk: row.risk,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    revokedAt: row.revoked_at,
  };
}

function grantFromRow(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    fingerprint: row.fingerprint,
    sessionId: row.session_id,
    requestId: row.request_id,
    actor: row.actor,
    ruleId: row.rule_id,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    revokedAt: row.revoked_at,
  };
}
