// The Store contract: what a store plugin MUST guarantee, method by method.
import type { ApprovalRequest, RedactedAction, RequestStatus } from '../model/approval.js';
import type { AuditDraft, AuditEntry, AuditHead } from '../model/audit.js';
import type { GrantRecord } from '../model/grants.js';
import type { Risk } from '../model/risk.js';

/** Result of {@link Store.createRequest}. */
export type CreateRequestResult =
  | { created: true; request: ApprovalRequest }
  | { created: false; request: ApprovalRequest };

/** Conditions a grant must meet, checked and applied in one atomic step. */
export interface ConsumeGrantMatch {
  tokenHash: string;
  fingerprint: string;
  sessionId: string;
  now: number;
}

/**
 * An approval that later identical calls may rely on (a rule's `reuse`), kept by the store so it
 * holds across processes. Each use still gets its own single-use grant for its own exact call.
 */
export interface ReuseWindow {
  /** `reuse_` and the id of the request whose approval opened it: one window per request. */
  id: string;
  requestId: string;
  ruleId: string;
  /** Who may rely on it: the actor, the person it acts for and, for `scope: 'session'`, the session. */
  scope: string;
  /** What a call must equal: its fingerprint, or a hash of the action and the param paths of `same`. */
  match: string;
  /** The risk the approval was given at; a riskier call never relies on it. */
  risk: Risk;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  uses: number;
  revokedAt: number | null;
}

/**
 * What {@link Store.claimApproved} claims: the call as the guard that created the request holds it,
 * and the time of the claim. Each member but `now` MUST equal the stored request's own.
 */
export interface ClaimExpectation {
  fingerprint: string;
  sessionId: string;
  actor: string;
  onBehalfOf: string | null;
  reason: string;
  ruleId: string;
  /** Equal as a JSON value (an approver's edit changes it, and then the claim is not this one). */
  action: RedactedAction;
  /** The claim MUST fail unless `claimDeadline(stored)` (from `@countersign/core`) is after `now`. */
  now: number;
}

export interface ReuseWindowQuery {
  scope: string;
  match: string;
  ruleId: string;
  now: number;
}

export interface ListGrantsQuery {
  /** Only grants whose `expiresAt` is at or before this instant. */
  expiresAtOrBefore: number;
  limit: number;
}

export interface ListRequestsQuery {
  status: RequestStatus;
  /** Only requests whose `expiresAt` is at or before this instant. */
  expiresAtOrBefore?: number | undefined;
  limit: number;
}

/**
 * An optional capability beside {@link Store}, not part of it: a store in this process whose grant
 * writes complete synchronously (the memory store) may put these under {@link SYNC_STORE}. Core then
 * calls them in place of the methods of the same name, without a promise between the steps of an
 * allowed call. Each MUST behave exactly as its promise-returning twin (the same atomic step, the same
 * result), returning or throwing synchronously. Stores that do not have it are used as before.
 */
export interface SyncStoreMethods {
  /**
   * The store object these belong to. Core uses them only when its store is this very object, so
   * a wrapper around the store (a spread with other methods, a proxy) is never bypassed.
   */
  readonly owner: Store;
  createGrant(grant: GrantRecord, audit: readonly AuditDraft[]): void;
  consumeGrant(match: ConsumeGrantMatch, audit: readonly AuditDraft[]): GrantRecord | null;
  revokeGrant(id: string, now: number, audit: readonly AuditDraft[]): GrantRecord | null;
}

/** Where a store keeps its {@link SyncStoreMethods}; `Symbol.for`, so two copies of core agree on it. */
export const SYNC_STORE: unique symbol = Symbol.for('countersign.syncStore');

/**
 * Where countersign keeps requests, grants and the audit chain. Core validates everything a
 * store returns, so a store only has to be atomic where this contract says MUST.
 *
 * Every method that takes `audit` drafts MUST write them in the same atomic step as the change
 * they describe: either both land or neither does. The simplest store chains them in that step
 * with `sealAuditEntries(head, drafts, issued)` from `@countersign/core` against the head read inside
 * it (`issued`, an `IssuedGrantEntries` kept per chain, is optional: with it, an outcome entry names the
 * entry that issued its grant instead of repeating the action). A store MAY instead record the
 * drafts durably in that step and chain (seal) them later, in batches, as long as: every recorded draft is chained exactly once, in one total order; the
 * drafts of one write stay consecutive and in the order given; a write that starts after
 * another resolved is chained after it; and {@link readAudit} and {@link auditHead} include
 * every entry whose write resolved before they were called (sealing first if need be). Until
 * chained, an entry is not tamper-evident: such a store documents how long that lasts. Run
 * `runStoreConformance` from `@countersign/core/testing` against your store.
 */
export interface Store {
  /** Short name used in error messages, e.g. `'memory'`. */
  readonly name: string;

  /**
   * Inserts a new request (version 1, status pending) and its audit drafts.
   * MUST be atomic on `(actor, idempotencyKey)` when the key is not null: if a request with the
   * same actor and key exists, insert nothing, write no audit, and return `{ created: false,
   * request: existing }`. Of N concurrent calls with one key, exactly one is created.
   */
  createRequest(request: ApprovalRequest, audit: readonly AuditDraft[]): Promise<CreateRequestResult>;

  /** The request, or null. MUST NOT throw for an unknown id. */
  getRequest(id: string): Promise<ApprovalRequest | null>;

  /** The request an actor created with this idempotency key, or null. */
  findRequestByIdempotencyKey(actor: string, idempotencyKey: string): Promise<ApprovalRequest | null>;

  /**
   * Compare-and-set. MUST replace the stored request with `next` and append `audit` only if the
   * stored version equals `next.version - 1`, atomically. Returns `next` as stored on success.
   * Under concurrent calls for one request and version, exactly one succeeds; every other MUST
   * return null and write nothing (never re-read and overwrite). Unknown id: null.
   */
  updateRequest(next: ApprovalRequest, audit: readonly AuditDraft[]): Promise<ApprovalRequest | null>;

  /** Requests in a status, oldest expiry first, for sweepers. MAY be eventually consistent. */
  listRequests(query: ListRequestsQuery): Promise<ApprovalRequest[]>;

  /** Inserts a grant and its audit drafts atomically. Ids and token hashes are unique. */
  createGrant(grant: GrantRecord, audit: readonly AuditDraft[]): Promise<void>;

  /**
   * Optional, for sweepers: grants with `revokedAt` null whose `expiresAt` is at or before
   * `query.expiresAtOrBefore`, oldest expiry first, at most `limit`. These are grants whose process
   * stopped before recording how its action ended; the sweeper revokes and audits each
   * ({@link lapseGrant}), recording each one's `consumedAt` as final: read it from the primary,
   * never a lagging replica (a consumption committed before the call MUST show). Without it, such grants are never audited
   * as ended.
   */
  listUnrevokedGrants?(query: ListGrantsQuery): Promise<GrantRecord[]>;

  /** The grant whose token hashes to `tokenHash`, or null. */
  getGrantByTokenHash(tokenHash: string): Promise<GrantRecord | null>;

  /**
   * Single use. MUST atomically set `consumedAt = match.now` and append `audit` only when the
   * grant has this token hash, fingerprint and session, `consumedAt` and `revokedAt` are null,
   * and `expiresAt > match.now`. Returns the updated grant, or null when any condition fails.
   * Of N concurrent calls for one grant, exactly one gets the grant; the rest get null.
   */
  consumeGrant(match: ConsumeGrantMatch, audit: readonly AuditDraft[]): Promise<GrantRecord | null>;

  /**
   * MUST atomically set `revokedAt = now` and append `audit` when `revokedAt` is null; returns
   * the updated grant, or null (and writes nothing) when already revoked or unknown.
   */
  revokeGrant(id: string, now: number, audit: readonly AuditDraft[]): Promise<GrantRecord | null>;

  /**
   * Optional, to save a round trip per approval: `updateRequest(next, audit)` and, only when it
   * succeeds, `createGrant(grant, [])`, as one atomic step. Returns what `updateRequest` would;
   * when it returns null, nothing was written, the grant included. Without it, core makes the two
   * calls in turn.
   */
  updateRequestAndCreateGrant?(
    next: ApprovalRequest,
    audit: readonly AuditDraft[],
    grant: GrantRecord,
  ): Promise<ApprovalRequest | null>;

  /**
   * Optional, to save a read per approval: claims an approval without reading it first. MUST, as
   * one atomic step and only when the stored request `id` has status `approved`, `grantId` null,
   * and every member of `expected` as {@link ClaimExpectation} says: store the request with
   * `version + 1` and `grantId = grant.id` (nothing else changed), insert `grant`, append `audit`,
   * and return the stored request. Otherwise it MUST write nothing and return null. Of N concurrent
   * claims of one request, exactly one gets the request; the rest get null (never re-read and
   * overwrite). It MAY return null for a request that would match (e.g. one whose stored JSON it
   * compares as text): core then reads the request and claims it with `updateRequestAndCreateGrant`.
   * Core checks what it returns as it checks every approval, and revokes the grant if that fails.
   */
  claimApproved?(
    id: string,
    expected: ClaimExpectation,
    grant: GrantRecord,
    audit: readonly AuditDraft[],
  ): Promise<ApprovalRequest | null>;

  /**
   * Optional, to save a round trip per approval: `revokeGrant(revoke.id, revoke.now, revoke.audit)`
   * and `updateRequest(update.next, update.audit)` as one atomic step, each applied on its own
   * conditions and with its own drafts only when it applies: the grant is revoked even when the
   * request has moved on. The revocation's drafts come first in the chain. Returns what each would.
   * Without it, core makes the two calls in turn.
   */
  revokeGrantAndUpdateRequest?(
    revoke: { id: string; now: number; audit: readonly AuditDraft[] },
    update: { next: ApprovalRequest; audit: readonly AuditDraft[] },
  ): Promise<{ grant: GrantRecord | null; request: ApprovalRequest | null }>;

  /**
   * Optional, for batch decisions (`decideBatch`): `updateRequest(next, audit)` for every entry as
   * one atomic step, all or nothing. MUST write nothing and return null when any stored version
   * differs from its `next.version - 1` (or an id is unknown); else returns every `next` as stored,
   * in the order given, with the audit drafts appended in that order. Without it, core refuses
   * batches of more than one request.
   */
  updateRequests?(
    updates: readonly { next: ApprovalRequest; audit: readonly AuditDraft[] }[],
  ): Promise<ApprovalRequest[] | null>;

  /**
   * Optional, for rules with `reuse`: inserts the window and appends `audit` atomically, only when
   * no window with its id exists (ids are per request, so an approver's "just this call", stored
   * first as a revoked window, wins over the approval's). Returns whether it inserted.
   */
  createReuseWindow?(window: ReuseWindow, audit: readonly AuditDraft[]): Promise<boolean>;

  /**
   * Optional, with `createReuseWindow`: windows with this scope, match and rule that are live at
   * `now` (`revokedAt` null, `expiresAt > now`, `uses < maxUses`), oldest first, at most 10.
   */
  findReuseWindows?(query: ReuseWindowQuery): Promise<ReuseWindow[]>;

  /**
   * Optional, with `createReuseWindow`: a compare-and-set that counts one use. MUST atomically set
   * `uses = uses + 1` and append `audit` only when the window's `uses` equals `uses`, it is not
   * revoked, `expiresAt > now` and `uses < maxUses`; returns the updated window, else null and
   * writes nothing. Of N concurrent calls for one window and count, exactly one succeeds.
   */
  useReuseWindow?(
    id: string,
    uses: number,
    now: number,
    audit: readonly AuditDraft[],
  ): Promise<ReuseWindow | null>;

  /** Optional, with `createReuseWindow`: sets `revokedAt = now` and appends `audit` when not yet revoked; else null. */
  revokeReuseWindow?(id: string, now: number, audit: readonly AuditDraft[]): Promise<ReuseWindow | null>;

  /** Optional, with `createReuseWindow`: the window, or null. */
  getReuseWindow?(id: string): Promise<ReuseWindow | null>;

  /**
   * Appends drafts atomically, consecutive and in order. Once it resolves they are in what
   * {@link readAudit} and {@link auditHead} return (a store that seals in batches may chain them
   * after it resolves, see the header).
   */
  appendAudit(audit: readonly AuditDraft[]): Promise<void>;

  /**
   * Entries with `seq > afterSeq`, ascending, at most `limit`, including every entry whose write
   * resolved before the call.
   */
  readAudit(afterSeq: number, limit: number): Promise<AuditEntry[]>;

  /**
   * The newest entry's seq and hash, or null for an empty log, counting every entry whose write
   * resolved before the call.
   */
  auditHead(): Promise<AuditHead | null>;

  /**
   * Optional: calls `listener(requestId)` whenever a request is created or changes, from any
   * process sharing the store, so waiting guards wake without polling. Notifications MAY be lost or duplicated;
   * core also polls. Returns an unsubscribe function.
   */
  subscribe?(listener: (requestId: string) => void): Promise<() => Promise<void>>;

  /** Releases connections and timers. After close, other calls MAY reject. Idempotent. */
  close(): Promise<void>;
}
