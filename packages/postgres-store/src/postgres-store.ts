// PgStore: the Store contract on PostgreSQL, one statement per write where one statement does, audit
// entries queued with their write and sealed into the one chain in batches, and its own sweeper.

import { createHash } from 'node:crypto';
import {
  type ApprovalRequest,
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  type ConsumeGrantMatch,
  type CreateRequestResult,
  canonicalJson,
  GENESIS_HASH,
  type GrantRecord,
  type JsonObject,
  type ListGrantsQuery,
  type ListRequestsQuery,
  lapse,
  lapseGrant,
  type ReuseWindow,
  type ReuseWindowQuery,
  type Store,
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
  /** Background errors: the notification connection dropping, an idle pooled client failing, a background seal failing. */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Milliseconds from a write to the seal that chains its queued audit entries; writes meanwhile
   * join that seal. Default 10. Until sealed, entries are durable but not yet tamper-evident.
   * `false`: this store never seals in the background, only in `seal()`, when the chain is read
   * (`readAudit`, `auditHead`), in `migrate()` and `close()`; another store sharing the schema may.
   */
  sealDelayMs?: number | false | undefined;
  /** Most queued writes one seal statement chains. Default 1,000. */
  sealBatch?: number | undefined;
  /**
   * Prepare each kind of write once per connection (the text is the same for every call of one
   * method), so the server does not parse and plan it again on every call. Default true. Set
   * false behind a transaction-pooling proxy that does not track prepared statements (PgBouncer
   * before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean | undefined;
  /** Called after each seal by this store that chained entries: for monitoring how long entries wait. */
  onSeal?: ((event: SealEvent) => void) | undefined;
}

/** One seal statement's work, reported to `onSeal`. */
export interface SealEvent {
  /** Entries chained. */
  entries: number;
  /** The chain's head after them. */
  head: AuditHead;
  /**
   * Per write sealed, in chain order: milliseconds from its statement inserting its entries to
   * this seal, both by the database clock (so it includes the write's own commit).
   */
  waitedMs: number[];
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
   * audit as core. First it revokes up to `limit` grants that expired unrevoked, with core's
   * `lapseGrant()` entry (their consumption time recorded), so a stranded approval's grant is
   * closed that way. Also deletes up to `limit` reuse windows that have ended. Returns the ids it
   * closed: the grants it revoked (`grt_…`) first, then the requests.
   */
  sweepExpired(options?: SweepOptions): Promise<string[]>;
  /**
   * Chains every audit entry queued before the call (waiting for another sealer to finish, if
   * one is running) and returns how many this call chained. Writes queue their entries and a
   * store seals them soon after in the background; call this where an entry must be
   * tamper-evident now.
   */
  seal(): Promise<number>;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;
/** First key of the two-key advisory lock one sealer per schema holds: "ct" in ASCII ("cs" is migrations'). */
const SEAL_LOCK_CLASS = 0x6374;
/**
 * Creates a store that many processes can share. Call `migrate()` once before use (at deploy or
 * startup; it is idempotent). Every method is atomic (one statement, or one transaction for the
 * sweeper and batches): a lost connection or a database restart rolls back what was in flight
 * and the error propagates, so core fails closed. A write queues its audit entries in the same
 * statement; they are chained (sealed) in batches after it, see the README.
 */
export function createPostgresStore(options: PostgresStoreOptions = {}): PostgresStore {
  return new PgStore(options);
}

/** Returned from a transaction body to roll back instead of committing. */
class Rollback<T> {
  constructor(readonly value: T) {}
}

/** The head row as stored: seq 0 and the genesis hash before the first entry. */
interface StoredHead {
  seq: number;
  hash: string;
}

/** Builds a statement's parameter list: `add(value)` returns its placeholder. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * What one write changes besides the audit chain, as SQL for `PgStore.write()`: CTEs that make
 * the change; `gates`, one SQL condition per group of drafts given to `write()`, saying whether
 * that group's entries are written (true when its part of the change happened); `result`, a
 * scalar expression, is what the caller gets back.
 */
interface Change {
  ctes: string[];
  gates: string[];
  result: string;
  /** A query of request ids to NOTIFY about, delivered at commit. */
  notify?: string | undefined;
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
  private readonly sealDelay: number | null;
  private readonly sealBatch: number;
  private readonly onSeal: ((event: SealEvent) => void) | null;
  private sealTimer: ReturnType<typeof setTimeout> | null = null;
  private backgroundSeal: Promise<void> | null = null;
  /** A write resolved while the background seal ran, maybe after its snapshot: seal again. */
  private sealAgain = false;
  /** Names of the write statements prepared on each connection, by their text; null: none prepared. */
  private readonly statements: Map<string, string> | null;
  /** Writes that queued entries, and how many of them a completed drain is known to cover. */
  private writes = 0;
  private sealedWrites = 0;
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
    const delay = options.sealDelayMs ?? 10;
    this.sealDelay = delay === false ? null : Math.max(0, delay);
    this.sealBatch = Math.max(1, Math.floor(options.sealBatch ?? 1_000));
    this.onSeal = options.onSeal ?? null;
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
    // Entries a stopped process queued but never sealed: chained now rather than at the next write.
    await this.drain();
  }

  async createRequest(request: ApprovalRequest, audit: readonly AuditDraft[]): Promise<CreateRequestResult> {
    const { result: created } = await this.write<ApprovalRequest | null>([audit], (p) => ({
      ctes: [
        `changed AS (INSERT INTO ${this.s}.requests (id, actor, idempotency_key, status, version, expires_at, record)
          SELECT ${p.add(request.id)}::text, ${p.add(request.actor)}::text, ${p.add(request.idempotencyKey)}::text,
            ${p.add(request.status)}::text, ${p.add(request.version)}::integer, ${p.add(request.expiresAt)}::double precision,
            ${p.add(JSON.stringify(request))}::json
          ON CONFLICT (actor, idempotency_key) DO NOTHING
          RETURNING id, record)`,
      ],
      gates: ['EXISTS (SELECT 1 FROM changed)'],
      result: '(SELECT record FROM changed)',
      notify: 'SELECT id FROM changed',
    }));
    if (created !== null) return { created: true, request: created };
    // ON CONFLICT waited for the other writer to commit, so a new statement sees its row.
    const existing = await this.selectRequest(this.queryable(), 'actor = $1 AND idempotency_key = $2', [
      request.actor,
      request.idempotencyKey,
    ]);
    if (existing === null) {
      throw new Error(
        `[countersign] [postgres] idempotency key conflict for ${request.actor} but no request found`,
      );
    }
    return { created: false, request: existing };
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
    const { result } = await this.write<ApprovalRequest | null>([audit], (p) => ({
      ctes: [this.replaceCte(p, next)],
      gates: ['EXISTS (SELECT 1 FROM changed)'],
      result: '(SELECT record FROM changed)',
      notify: 'SELECT id FROM changed',
    }));
    return result;
  }

  async updateRequests(
    updates: readonly { next: ApprovalRequest; audit: readonly AuditDraft[] }[],
  ): Promise<ApprovalRequest[] | null> {
    if (new Set(updates.map((update) => update.next.id)).size !== updates.length) return null;
    const result = await this.transaction<ApprovalRequest[] | null>(async (client) => {
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
      await this.queueIn(
        client,
        updates.flatMap((update) => update.audit),
      );
      for (const request of stored) await this.notifyIn(client, request.id);
      return stored;
    });
    if (result !== null && updates.some((update) => update.audit.length > 0)) this.queued();
    return result;
  }

  async createReuseWindow(window: ReuseWindow, audit: readonly AuditDraft[]): Promise<boolean> {
    const { result } = await this.write<string | null>([audit], (p) => ({
      ctes: [
        `opened AS (INSERT INTO ${this.s}.reuse_windows
            (id, request_id, rule_id, scope, match, risk, created_at, expires_at, max_uses, uses, revoked_at)
          SELECT ${p.add(window.id)}::text, ${p.add(window.requestId)}::text, ${p.add(window.ruleId)}::text,
            ${p.add(window.scope)}::text, ${p.add(window.match)}::text, ${p.add(window.risk)}::text,
            ${p.add(window.createdAt)}::double precision, ${p.add(window.expiresAt)}::double precision,
            ${p.add(window.maxUses)}::integer, ${p.add(window.uses)}::integer, ${p.add(window.revokedAt)}::double precision
          ON CONFLICT (id) DO NOTHING
          RETURNING id)`,
      ],
      gates: ['EXISTS (SELECT 1 FROM opened)'],
      result: '(SELECT id FROM opened)',
    }));
    return result !== null;
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
    const { result: row } = await this.write<WindowRow | null>([audit], (p) => ({
      ctes: [
        `used AS (UPDATE ${this.s}.reuse_windows SET uses = uses + 1
          WHERE id = ${p.add(id)} AND uses = ${p.add(uses)} AND expires_at > ${p.add(now)}
            AND revoked_at IS NULL AND uses < max_uses
          RETURNING *)`,
      ],
      gates: ['EXISTS (SELECT 1 FROM used)'],
      result: '(SELECT row_to_json(used) FROM used)',
    }));
    return row === null ? null : windowFromRow(row);
  }

  async revokeReuseWindow(
    id: string,
    now: number,
    audit: readonly AuditDraft[],
  ): Promise<ReuseWindow | null> {
    const { result: row } = await this.write<WindowRow | null>([audit], (p) => ({
      ctes: [
        `revoked AS (UPDATE ${this.s}.reuse_windows SET revoked_at = ${p.add(now)}
          WHERE id = ${p.add(id)} AND revoked_at IS NULL RETURNING *)`,
      ],
      gates: ['EXISTS (SELECT 1 FROM revoked)'],
      result: '(SELECT row_to_json(revoked) FROM revoked)',
    }));
    return row === null ? null : windowFromRow(row);
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
    await this.write([audit], (p) => ({
      ctes: [`granted AS (${this.insertGrantSql(p, grant, 'true')} RETURNING id)`],
      gates: ['EXISTS (SELECT 1 FROM granted)'],
      result: '(SELECT id FROM granted)',
    }));
  }

  async updateRequestAndCreateGrant(
    next: ApprovalRequest,
    audit: readonly AuditDraft[],
    grant: GrantRecord,
  ): Promise<ApprovalRequest | null> {
    const { result } = await this.write<ApprovalRequest | null>([audit], (p) => ({
      ctes: [
        this.replaceCte(p, next),
        `granted AS (${this.insertGrantSql(p, grant, 'EXISTS (SELECT 1 FROM changed)')} RETURNING id)`,
      ],
      gates: ['EXISTS (SELECT 1 FROM granted)'],
      result: '(SELECT record FROM changed WHERE EXISTS (SELECT 1 FROM granted))',
      notify: 'SELECT id FROM changed',
    }));
    return result;
  }

  async revokeGrantAndUpdateRequest(
    revoke: { id: string; now: number; audit: readonly AuditDraft[] },
    update: { next: ApprovalRequest; audit: readonly AuditDraft[] },
  ): Promise<{ grant: GrantRecord | null; request: ApprovalRequest | null }> {
    // Grant row, then request row: no write locks a request before an existing grant, so this
    // order cannot deadlock. Each change on its own condition, each group of entries queued only
    // if its change happened.
    const { result } = await this.write<{ grant: GrantRow | null; request: ApprovalRequest | null }>(
      [revoke.audit, update.audit],
      (p) => ({
        ctes: [
          `revoked AS (UPDATE ${this.s}.grants SET revoked_at = ${p.add(revoke.now)}
            WHERE id = ${p.add(revoke.id)} AND revoked_at IS NULL RETURNING *)`,
          `revoked_json AS (SELECT row_to_json(revoked) AS row FROM revoked)`,
          this.replaceCte(p, update.next),
        ],
        gates: ['EXISTS (SELECT 1 FROM revoked_json)', 'EXISTS (SELECT 1 FROM changed)'],
        result: `json_build_object('grant', (SELECT row FROM revoked_json), 'request', (SELECT record FROM changed))`,
        notify: 'SELECT id FROM changed',
      }),
    );
    return { grant: result.grant === null ? null : grantFromRow(result.grant), request: result.request };
  }

  async getGrantByTokenHash(tokenHash: string): Promise<GrantRecord | null> {
    const { rows } = await this.queryable().query<GrantRow>(
      `SELECT * FROM ${this.s}.grants WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ? grantFromRow(rows[0]) : null;
  }

  async consumeGrant(match: ConsumeGrantMatch, audit: readonly AuditDraft[]): Promise<GrantRecord | null> {
    const { result: row } = await this.write<GrantRow | null>([audit], (p) => {
      const now = p.add(match.now);
      return {
        ctes: [
          `consumed AS (UPDATE ${this.s}.grants SET consumed_at = ${now}
            WHERE token_hash = ${p.add(match.tokenHash)} AND fingerprint = ${p.add(match.fingerprint)}
              AND session_id = ${p.add(match.sessionId)}
              AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ${now}
            RETURNING *)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM consumed)'],
        result: '(SELECT row_to_json(consumed) FROM consumed)',
      };
    });
    return row === null ? null : grantFromRow(row);
  }

  async revokeGrant(id: string, now: number, audit: readonly AuditDraft[]): Promise<GrantRecord | null> {
    const { result: row } = await this.write<GrantRow | null>([audit], (p) => ({
      ctes: [
        `revoked AS (UPDATE ${this.s}.grants SET revoked_at = ${p.add(now)}
          WHERE id = ${p.add(id)} AND revoked_at IS NULL RETURNING *)`,
      ],
      gates: ['EXISTS (SELECT 1 FROM revoked)'],
      result: '(SELECT row_to_json(revoked) FROM revoked)',
    }));
    return row === null ? null : grantFromRow(row);
  }

  async appendAudit(audit: readonly AuditDraft[]): Promise<void> {
    if (audit.length === 0) return;
    await this.write([audit], () => ({ ctes: [], gates: ['true'], result: 'NULL' }));
  }

  async listUnrevokedGrants(query: ListGrantsQuery): Promise<GrantRecord[]> {
    const { rows } = await this.queryable().query<GrantRow>(
      `SELECT * FROM ${this.s}.grants WHERE revoked_at IS NULL AND expires_at <= $1
       ORDER BY expires_at, id LIMIT $2`,
      [query.expiresAtOrBefore, query.limit],
    );
    return rows.map(grantFromRow);
  }

  async readAudit(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const page = await this.selectAudit(afterSeq, limit);
    // A full page ends below the head: anything still queued would come after it.
    if (page.length >= limit) return page;
    await this.drain();
    return this.selectAudit(afterSeq, limit);
  }

  async auditHead(): Promise<AuditHead | null> {
    await this.drain();
    return headFromRow(await this.readHead(this.queryable()));
  }

  async seal(): Promise<number> {
    this.assertOpen();
    return this.drain();
  }

  async sweepExpired(options: SweepOptions = {}): Promise<string[]> {
    const limit = options.limit ?? 100;
    const swept = await this.transaction(async (client) => {
      const clock = await client.query<{ now: number }>(
        'SELECT floor(extract(epoch FROM now()) * 1000)::double precision AS now',
      );
      const now = clock.rows[0]!.now;
      const drafts: AuditDraft[] = [];
      // Grants that expired unrevoked (their process stopped before ending them) first, with
      // core's entry for that: a stranded approval's grant is then closed with its consumption
      // time recorded, and lapse()'s own revocation below finds it revoked already.
      const expired = await client.query<GrantRow>(
        `SELECT * FROM ${this.s}.grants WHERE revoked_at IS NULL AND expires_at <= $1
         ORDER BY expires_at, id LIMIT $2
         FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      const revokedGrants: string[] = [];
      for (const row of expired.rows) {
        const draft = lapseGrant(grantFromRow(row), now);
        if (draft === null) continue;
        drafts.push(draft);
        revokedGrants.push(row.id);
      }
      if (revokedGrants.length > 0) {
        await client.query(
          `UPDATE ${this.s}.grants SET revoked_at = $2 WHERE id = ANY($1) AND revoked_at IS NULL`,
          [revokedGrants, now],
        );
      }
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
      await this.queueIn(client, drafts);
      for (const id of closed) await this.notifyIn(client, id);
      return { ids: [...revokedGrants, ...closed], queued: drafts.length > 0 };
    });
    if (swept.queued) this.queued();
    return swept.ids;
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.sealTimer !== null) clearTimeout(this.sealTimer);
      this.sealTimer = null;
      await this.backgroundSeal;
      // What this store queued is durable either way; sealing it now shortens its unsealed window.
      if (this.writes > this.sealedWrites) {
        try {
          await this.drain();
        } catch (error) {
          this.report(error);
        }
      }
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
   * One write and its audit entries in ONE statement, committed on its own: the change, then its
   * entries inserted into the queue as one row (id from a sequence, so in start order). No lock
   * is shared by all writers: the chain head is only locked by the sealer. Schedules a seal.
   */
  private async write<T>(
    groups: readonly (readonly AuditDraft[])[],
    change: (p: Params) => Change,
  ): Promise<{ result: T }> {
    const p = new Params();
    const built = change(p);
    const queue = this.queueSql(p, groups, built.gates);
    const notify =
      built.notify === undefined
        ? 'NULL'
        : `(SELECT count(pg_notify(${p.add(this.channel)}, n.id)) FROM (${built.notify}) AS n(id))`;
    const sql = `WITH ${[...built.ctes, ...queue.ctes].join(',\n')}
      SELECT ${built.result} AS result, ${queue.queued} AS queued, ${notify} AS notified`;
    const { rows } = await this.queryable().query({
      text: sql,
      values: p.values,
      name: this.statementName(sql),
    });
    const row = rows[0] as { result: T; queued: boolean };
    if (row.queued) this.queued();
    return { result: row.result };
  }

  /** A name for a write statement's text, the same for every call with that text; undefined: unnamed. */
  private statementName(sql: string): string | undefined {
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
   * CTEs that queue the drafts of every group whose gate holds, in order, as one row: each
   * draft's canonical JSON cut around prevHash and seq (see `entryParts`), for the sealer to
   * complete and hash. `queued` says whether a row was inserted.
   */
  private queueSql(
    p: Params,
    groups: readonly (readonly AuditDraft[])[],
    gates: readonly string[],
  ): { ctes: string[]; queued: string } {
    const parts = groups.flatMap((drafts, group) =>
      drafts.map((draft) => [...entryParts(draft), group] as const),
    );
    if (parts.length === 0) return { ctes: [], queued: 'false' };
    const when = gates.map((gate, group) => `WHEN ${group} THEN (${gate})`).join(' ');
    return {
      ctes: [
        `drafts AS (SELECT d.a, d.b, d.c, d.i
          FROM unnest(${p.add(parts.map((x) => x[0]))}::text[], ${p.add(parts.map((x) => x[1]))}::text[],
            ${p.add(parts.map((x) => x[2]))}::text[], ${p.add(parts.map((x) => x[3]))}::integer[])
            WITH ORDINALITY AS d(a, b, c, g, i)
          WHERE CASE d.g ${when} ELSE false END)`,
        `queued AS (INSERT INTO ${this.s}.audit_queue (a, b, c)
          SELECT array_agg(a ORDER BY i), array_agg(b ORDER BY i), array_agg(c ORDER BY i) FROM drafts
          HAVING count(*) > 0
          RETURNING id)`,
      ],
      queued: 'EXISTS (SELECT 1 FROM queued)',
    };
  }

  /**
   * One seal: `seal_audit()` (migration 3) in its own transaction, waiting for the seal lock or
   * skipping when another sealer holds it. `done` when it saw no more rows than it could take.
   */
  private async sealOnce(wait: boolean): Promise<{ locked: boolean; done: boolean; entries: number }> {
    const { rows } = await this.pool.query<{
      locked: boolean;
      seen: number;
      entries: number;
      head_seq: string | null;
      head_hash: string | null;
      waited_ms: number[] | null;
    }>(`SELECT * FROM ${this.s}.seal_audit($1, hashtext($2), $3, $4)`, [
      SEAL_LOCK_CLASS,
      this.schema,
      this.sealBatch,
      wait,
    ]);
    const row = rows[0]!;
    if (row.entries > 0 && this.onSeal !== null) {
      try {
        this.onSeal({
          entries: row.entries,
          head: { seq: Number(row.head_seq), hash: row.head_hash ?? '' },
          waitedMs: row.waited_ms ?? [],
        });
      } catch (error) {
        this.report(error);
      }
    }
    return { locked: row.locked, done: row.seen < this.sealBatch, entries: row.entries };
  }

  /**
   * Seals until every row queued before the call is chained, waiting for other sealers. Once a
   * batch comes back full it notes the newest queued id and stops when none up to it is left, so
   * writers that queue faster than one sealer chains never keep a reader here.
   */
  private async drain(): Promise<number> {
    const writes = this.writes;
    let sealed = 0;
    let top: string | null = null;
    for (;;) {
      const { done, entries } = await this.sealOnce(true);
      sealed += entries;
      if (done) break;
      top ??= (
        await this.pool.query<{ top: string | null }>(`SELECT max(id) AS top FROM ${this.s}.audit_queue`)
      ).rows[0]!.top;
      if (top === null) break;
      const { rows } = await this.pool.query<{ left: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${this.s}.audit_queue WHERE id <= $1) AS left`,
        [top],
      );
      if (!rows[0]!.left) break;
    }
    this.sealedWrites = Math.max(this.sealedWrites, writes);
    return sealed;
  }

  /**
   * After a write that queued entries: one seal `sealDelay` ms later for every write until it
   * runs. If a seal is running, another follows it (its snapshot may predate this write). A
   * seal that finds another sealer at work tries again later, since that sealer may have
   * started before this write committed. A failed seal is reported and retried a second later;
   * the entries stay queued, durable, for any sealer.
   */
  private queued(): void {
    this.writes += 1;
    this.scheduleSeal(this.sealDelay);
  }

  private scheduleSeal(delay: number | null): void {
    if (delay === null || this.closing !== null || this.sealTimer !== null) return;
    if (this.backgroundSeal !== null) {
      this.sealAgain = true;
      return;
    }
    this.sealTimer = setTimeout(() => {
      this.sealTimer = null;
      this.sealAgain = false;
      const writes = this.writes;
      let retry: number | null = null;
      this.backgroundSeal = (async () => {
        for (;;) {
          const { locked, done } = await this.sealOnce(false);
          if (!locked) {
            this.sealAgain = true;
            return;
          }
          if (done) break;
        }
        this.sealedWrites = Math.max(this.sealedWrites, writes);
      })()
        .catch((error: unknown) => {
          this.report(error);
          retry = Math.max(1_000, this.sealDelay ?? 0);
        })
        .finally(() => {
          this.backgroundSeal = null;
          if (retry !== null) this.scheduleSeal(retry);
          else if (this.sealAgain) this.scheduleSeal(this.sealDelay);
        });
    }, delay);
    // Queued entries are durable: a pending seal does not keep the process alive.
    this.sealTimer.unref?.();
  }

  private async selectAudit(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.queryable().query(
      `SELECT entry FROM ${this.s}.audit WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map((row) => row.entry as AuditEntry);
  }

  private async readHead(db: pg.Pool | pg.PoolClient): Promise<StoredHead> {
    const { rows } = await db.query<{ seq: string; hash: string }>(
      `SELECT seq, hash FROM ${this.s}.audit_head`,
    );
    if (!rows[0])
      throw new Error(`[countersign] [postgres] ${this.schema}.audit_head is empty; run migrate()`);
    return { seq: Number(rows[0].seq), hash: rows[0].hash };
  }

  /**
   * Runs `body` in BEGIN/COMMIT on one pooled client, for what one statement cannot do (the
   * sweeper, batches, migrations). On any error it rolls back; if even the rollback fails the
   * client is destroyed, so no connection returns to the pool mid-transaction.
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

  /** A grant row inserted only when `condition` holds (an SQL boolean over the statement's CTEs). */
  private insertGrantSql(p: Params, grant: GrantRecord, condition: string): string {
    return `INSERT INTO ${this.s}.grants
        (id, token_hash, fingerprint, session_id, request_id, actor, rule_id, issued_at, expires_at, consumed_at, revoked_at)
      SELECT ${p.add(grant.id)}::text, ${p.add(grant.tokenHash)}::text, ${p.add(grant.fingerprint)}::text,
        ${p.add(grant.sessionId)}::text, ${p.add(grant.requestId)}::text, ${p.add(grant.actor)}::text,
        ${p.add(grant.ruleId)}::text, ${p.add(grant.issuedAt)}::double precision,
        ${p.add(grant.expiresAt)}::double precision, ${p.add(grant.consumedAt)}::double precision,
        ${p.add(grant.revokedAt)}::double precision
      WHERE ${condition}`;
  }

  /** The compare-and-set as a CTE named `changed`: writes `next` only over version `next.version - 1` and when `condition` holds. */
  private replaceCte(p: Params, next: ApprovalRequest, condition = 'true'): string {
    return `changed AS (UPDATE ${this.s}.requests
      SET actor = ${p.add(next.actor)}, idempotency_key = ${p.add(next.idempotencyKey)}, status = ${p.add(next.status)},
        version = ${p.add(next.version)}, expires_at = ${p.add(next.expiresAt)}, record = ${p.add(JSON.stringify(next))},
        updated_at = now()
      WHERE id = ${p.add(next.id)} AND version = ${p.add(next.version - 1)} AND ${condition}
      RETURNING id, record)`;
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

  /** Inside a transaction: queues the drafts as one row, committed with it. */
  private async queueIn(client: pg.PoolClient, drafts: readonly AuditDraft[]): Promise<void> {
    if (drafts.length === 0) return;
    const parts = drafts.map(entryParts);
    await client.query(`INSERT INTO ${this.s}.audit_queue (a, b, c) VALUES ($1, $2, $3)`, [
      parts.map((x) => x[0]),
      parts.map((x) => x[1]),
      parts.map((x) => x[2]),
    ]);
  }

  /** Delivered at COMMIT, and only if it commits. */
  private async notifyIn(client: pg.PoolClient, requestId: string): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [this.channel, requestId]);
  }
}

function headFromRow(head: StoredHead): AuditHead | null {
  return head.seq === 0 ? null : head;
}

const PREV_HASH = `,"prevHash":"${GENESIS_HASH}"`;
const SEQ = ',"seq":0,';

/**
 * A draft's canonical JSON as an entry (the exact string core hashes), cut around the values
 * only the database knows when it chains the entry: `a + prevHash + b + seq + c`. Every member
 * after `action` (the only object) is a string, a number or null, so the last `"prevHash"` and
 * `"seq"` members are the entry's own, never a key inside the action's params.
 */
export function entryParts(draft: AuditDraft): [string, string, string] {
  const json = canonicalJson({ ...draft, seq: 0, prevHash: GENESIS_HASH } as unknown as JsonObject);
  const prev = json.lastIndexOf(PREV_HASH);
  const seq = json.lastIndexOf(SEQ);
  if (prev < 0 || seq < prev) throw new Error('[countersign] [postgres] unexpected audit entry layout');
  const hashAt = prev + PREV_HASH.length - GENESIS_HASH.length - 1;
  return [
    json.slice(0, hashAt),
    json.slice(hashAt + GENESIS_HASH.length, seq + SEQ.length - 2),
    json.slice(seq + SEQ.length - 1),
  ];
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
