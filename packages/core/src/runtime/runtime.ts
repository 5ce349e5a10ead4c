// Runtime: the shared machinery behind guard, decide and grants (store calls, checks, events, waking).
import { EventEmitter } from 'eventemitter3';
import type { CredentialBroker } from '../contracts/credential-broker.js';
import { type ClaimExpectation, type Store, SYNC_STORE, type SyncStoreMethods } from '../contracts/store.js';
import type { Transport } from '../contracts/transport.js';
import type { Clock } from '../lib/clock.js';
import { CorruptRecordError, isCountersignError, StoreError } from '../lib/errors.js';
import { isPlainObject } from '../lib/record-shape.js';
import type { Redactor } from '../lib/redact.js';
import type { ApprovalRequest, RedactedAction, RequestStatus } from '../model/approval.js';
import { type AuditDraft, type AuditType, requestDraft } from '../model/audit.js';
import type { Narrowed, Prepared } from '../model/call.js';
import type { CountersignEventMap, NoticeEvent } from '../model/events.js';
import type { Credentials, GrantRecord } from '../model/grants.js';
import { checkStored, isGrantRecord, ownCopy } from '../model/record-checks.js';
import type { Risk } from '../model/risk.js';
import type { PolicyRule, RiskRoute } from '../model/rule.js';
import type { Policy, PolicyDecision, PolicySubject } from '../policy/policy.js';
import { Alarm } from './alarm.js';
import { LiveGrants } from './live-grants.js';
import { PendingIndex } from './pending-index.js';
import { checkGrant, checkRequest, nextVersion } from './stored-records.js';
import { updateTransports } from './transport-updates.js';
import { Waiters } from './waiters.js';

/**
 * The options in the form core uses, made by `createCountersign()`. Features appear here only as
 * the {@link FeatureHooks} they implement: the runtime and the guard path name no feature.
 */
export interface ResolvedOptions {
  store: Store;
  transports: Map<string, Transport>;
  policy: Policy;
  eligible: Map<string, string[]>;
  redactor: Redactor;
  /** Paths are redacted whatever they hold: params the walk flagged nothing in still go through the redactor. */
  redactsPaths: boolean;
  clock: Clock;
  requestTtlMs: number;
  grantTtlMs: number;
  pollMs: number;
  maxParamsBytes: number;
  maxPendingPerActor: number;
  /** Where notices go: the `logger` option, a process warning by default, nowhere for `null`. */
  notify: (notice: NoticeEvent) => void;
  credentialBrokers: Map<string, CredentialBroker>;
  /** The features the instance composed, as the points of the guard path where they join it. */
  features: FeatureHooks;
}

/**
 * The feature seam: where risk tiers, reuse windows, reminders and escalation, approver edits and
 * just-in-time credentials join the guard path, decisions and the sweeper, named by the point
 * where the pipeline calls them. A feature (`features/<name>/`) implements some of them; the
 * instance composes the features it lists into one of these (`instance/compose-features.ts`).
 */
export interface FeatureHooks {
  /** After policy: who approves a require_approval call, and how many, by its risk. */
  readonly riskRouting: RiskRoutes;
  /** While a request waits: reminders, escalation, and who else may vote once it escalated. */
  readonly followUps: FollowUpPlans;
  /** Before asking: whether an earlier approval may cover this call (checked without a store call). */
  mayBypass(runtime: Runtime, prepared: Prepared, ruleId: string): boolean;
  /** Before asking: resolves true when an earlier approval covers the call, audited; it then runs on a grant of its own. */
  bypass(runtime: Runtime, prepared: Prepared, ruleId: string, risk: Risk): Promise<boolean>;
  /** At a vote, before it is recorded: the action an approver's `edit` narrows the request to; throws ValidationError when refused. */
  editAction(
    rule: PolicyRule | undefined,
    request: ApprovalRequest,
    edit: Record<string, unknown>,
  ): { action: RedactedAction; detail: string };
  /** At a vote, before it is recorded: an approver's "just this call". */
  keepToThisCall(runtime: Runtime, request: ApprovalRequest, approver: string): Promise<void>;
  /** At claim: the call narrowed to what was approved, or null when it was approved as asked. */
  narrow(
    runtime: Runtime,
    prepared: Prepared,
    request: ApprovalRequest,
  ): { prepared: Prepared; narrowed: Narrowed } | null;
  /** At claim, once the approval is checked: what the approval opens for later calls (not when narrowed). */
  onClaim(runtime: Runtime, prepared: Prepared, request: ApprovalRequest, narrowed: boolean): Promise<void>;
  /**
   * On grant issue: what the run is handed besides its grant (credentials), ended when the run
   * ends. Null, synchronously, when there is nothing: most calls pay no promise for it.
   */
  onGrant(
    runtime: Runtime,
    record: GrantRecord,
    prepared: Prepared,
    request: ApprovalRequest | null,
  ): Promise<RunExtras> | null;
  /** On sweep: closes what features left open when a process stopped; returns how many. */
  onSweep(runtime: Runtime, limit: number): Promise<number>;
}

/** A feature: the hooks it implements, under a name for configuration errors. */
export type Feature = { readonly id: string } & Partial<FeatureHooks>;

/** What a feature hands a run besides its grant, and how it ends. */
export interface RunExtras {
  readonly credentials: Credentials;
  /** Exact values no record may show: scrubbed from the outcome of a failed run. */
  readonly secrets: readonly string[];
  /** Called once when the run ends, whatever its outcome; never throws. */
  end(): Promise<void>;
}

/** What the guard path asks of risk tiers. */
export interface RiskRoutes {
  /** How many rules route by risk: none, and a decision is never re-routed. */
  readonly size: number;
  /** The route a call takes under a require_approval decision, or null to keep the rule's own terms. */
  route(decision: PolicyDecision, subject: PolicySubject, declared: Risk | undefined): RiskRoute | null;
  /** The route a request was opened under, for the checks at decision and claim time. */
  routeOf(ruleId: string, risk: Risk): RiskRoute | null;
}

/** What the guard path and decisions ask of reminders and escalation. */
export interface FollowUpPlans {
  /** Identities a rule escalates to once its escalation is due. */
  escalationOf(ruleId: string): readonly string[];
  /** Sends the reminder or escalation due for a pending request, once each. */
  due(runtime: Runtime, request: ApprovalRequest): Promise<void>;
  /** Sends what is due for up to `limit` pending requests; returns how many notices went out. */
  sweep(runtime: Runtime, limit: number): Promise<number>;
  /** Who is on call for the request's escalation now, for the first delivery; undefined without one. */
  onCallNow(runtime: Runtime, request: ApprovalRequest): Promise<readonly string[] | undefined>;
  /** Who is on call for the request's escalation, when a vote is checked. */
  onCallFor(runtime: Runtime, request: ApprovalRequest): Promise<readonly string[]>;
}

/**
 * The shared machinery behind guard, decide and grants: store calls that fail closed, record
 * validation, events, waking waiters and telling transports. Internal.
 */
export class Runtime {
  readonly events = new EventEmitter<CountersignEventMap>();
  readonly waiters = new Waiters();
  /** Requests this process opened that may still be pending: de-duplication and the per-actor cap. */
  readonly pending = new PendingIndex();
  /** Grants this process issued whose action is running. */
  readonly liveGrants = new LiveGrants();
  /** The one timer behind every waiting guard's next look. */
  readonly alarm: Alarm;
  closed = false;
  /** The store's synchronous grant writes ({@link SyncStoreMethods}), or null: then every call is a promise. */
  readonly sync: SyncStoreMethods | null;

  constructor(readonly options: ResolvedOptions) {
    this.alarm = new Alarm(options.clock);
    const sync = (options.store as { [SYNC_STORE]?: SyncStoreMethods })[SYNC_STORE];
    this.sync = typeof sync === 'object' && sync !== null && sync.owner === options.store ? sync : null;
  }

  get store() {
    return this.options.store;
  }

  now(): number {
    return this.options.clock.now();
  }

  /** Runs a store call; anything it throws becomes a StoreError so callers fail closed. */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(fn());
    } catch (error) {
      pending = Promise.reject(error);
    }
    // Not async: one derived promise per store call, not an async frame and its awaits.
    return pending.then(undefined, (error: unknown) => {
      throw isCountersignError(error) ? error : new StoreError(`${this.store.name}.${operation}`, error);
    });
  }

  /** {@link call} for a synchronous store method: what it throws becomes a StoreError, at once. */
  callSync<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw isCountersignError(error) ? error : new StoreError(`${this.store.name}.${operation}`, error);
    }
  }

  /**
   * Creates `request`, or finds the one its idempotency key names (`created: false`): what the
   * store answered, checked, so a missing or foreign result is a CorruptRecordError.
   */
  async create(
    request: ApprovalRequest,
    drafts: AuditDraft[],
  ): Promise<{ created: boolean; request: ApprovalRequest }> {
    const raw: unknown = await this.call('createRequest', () => this.store.createRequest(request, drafts));
    const what = 'createRequest result';
    const shaped = () => isPlainObject(raw) && typeof raw.created === 'boolean' && isPlainObject(raw.request);
    if (!checkStored(what, shaped)) {
      throw new CorruptRecordError(what, ['must be { created: boolean, request }']);
    }
    const { created, request: stored } = raw as { created: boolean; request: unknown };
    const checked = (created ? ownCopy(stored, request) : null) ?? checkRequest(stored);
    if (created && (checked.id !== request.id || checked.fingerprint !== request.fingerprint)) {
      throw new CorruptRecordError(what, ['says it created the request but holds another']);
    }
    return { created, request: checked };
  }

  async load(id: string): Promise<ApprovalRequest | null> {
    const raw = await this.call('getRequest', () => this.store.getRequest(id));
    return raw === null ? null : checkRequest(raw);
  }

  /**
   * Revokes a grant with `drafts` in the same step: the revoked grant, checked, or null when it
   * was unknown or revoked already. Anything else from the store is a CorruptRecordError, never
   * taken for a revocation.
   */
  async revokeGrant(id: string, now: number, drafts: readonly AuditDraft[]): Promise<GrantRecord | null> {
    const { sync } = this;
    const raw =
      sync !== null
        ? this.callSync('revokeGrant', () => sync.revokeGrant(id, now, drafts))
        : await this.call('revokeGrant', () => this.store.revokeGrant(id, now, drafts));
    return raw === null ? null : checkGrant(raw);
  }

  /** Creates a grant with `drafts` in the same step, synchronously when the store can. */
  createGrant(record: GrantRecord, drafts: readonly AuditDraft[]): Promise<void> | null {
    const { sync } = this;
    if (sync === null) return this.call('createGrant', () => this.store.createGrant(record, drafts));
    this.callSync('createGrant', () => sync.createGrant(record, drafts));
    return null;
  }

  /** The grant whose token hashes to `tokenHash`, checked, or null. */
  async loadGrant(tokenHash: string): Promise<GrantRecord | null> {
    const raw = await this.call('getGrantByTokenHash', () => this.store.getGrantByTokenHash(tokenHash));
    return raw === null ? null : checkGrant(raw);
  }

  /**
   * Compare-and-set from `current` to `next`. Returns the stored request, or null when another
   * writer got there first (the caller re-reads and decides again).
   */
  update(current: ApprovalRequest, changes: Partial<ApprovalRequest>, drafts: AuditDraft[]) {
    const next = nextVersion(current, changes);
    // Held before the store call starts: a store may announce the write before it returns.
    this.waiters.hold(next.id);
    const write = this.call('updateRequest', () => this.store.updateRequest(next, drafts));
    return this.written(next.id, write, drafts, next);
  }

  /**
   * Ends a write to request `id` this runtime holds: what the store returned, checked, announced
   * and woken on, or null when it lost its race. A store's notice of it (in process, it may come
   * before the write returns) waits until then ({@link Waiters.hold}). One async step per write.
   */
  private async written(id: string, write: Promise<unknown>, drafts: AuditDraft[], next?: ApprovalRequest) {
    try {
      const raw = await write;
      if (raw === null) return null;
      // A frozen copy of what core wrote, member for member, is what core built: no walk again.
      const saved = (next !== undefined ? ownCopy(raw, next) : null) ?? checkRequest(raw);
      const updating = this.afterWrite(saved, drafts);
      if (updating !== null) await updating;
      return saved;
    } finally {
      this.waiters.release(id);
    }
  }

  /**
   * {@link update}, and `grant` created only if it succeeds: in the same atomic step when the store
   * can (`updateRequestAndCreateGrant`), else by a second call. Null, and no grant, when another
   * writer got there first.
   */
  async updateAndCreateGrant(
    current: ApprovalRequest,
    changes: Partial<ApprovalRequest>,
    drafts: AuditDraft[],
    grant: GrantRecord,
  ): Promise<ApprovalRequest | null> {
    const { store } = this;
    if (!store.updateRequestAndCreateGrant) {
      const saved = await this.update(current, changes, drafts);
      if (saved !== null) await this.call('createGrant', () => store.createGrant(grant, []));
      return saved;
    }
    const next = nextVersion(current, changes);
    this.waiters.hold(next.id);
    const write = this.call('updateRequestAndCreateGrant', () =>
      store.updateRequestAndCreateGrant!(next, drafts, grant),
    );
    return this.written(next.id, write, drafts, next);
  }

  /**
   * Claims an approval and creates `grant` without a read before (stores with `claimApproved`
   * only: the caller checks): the claimed request, checked and announced, or null when nothing was claimed.
   */
  claimApproved(id: string, expected: ClaimExpectation, grant: GrantRecord, drafts: AuditDraft[]) {
    this.waiters.hold(id);
    const write = this.call('claimApproved', () => this.store.claimApproved!(id, expected, grant, drafts));
    return this.written(id, write, drafts);
  }

  /**
   * {@link update}, and a grant revoked with `revoke.drafts`, in one atomic step: for stores with
   * `revokeGrantAndUpdateRequest` only (the caller checks). Each applies on its own conditions;
   * returns the saved request, or null when another writer got there first. `revoke.alone` is
   * appended after it when the grant was revoked but the request not updated.
   */
  updateAndRevokeGrant(
    current: ApprovalRequest,
    changes: Partial<ApprovalRequest>,
    drafts: AuditDraft[],
    revoke: Revocation,
  ): Promise<ApprovalRequest | null> {
    const next = nextVersion(current, changes);
    this.waiters.hold(next.id);
    const write = this.call('revokeGrantAndUpdateRequest', () =>
      this.store.revokeGrantAndUpdateRequest!(
        { id: revoke.id, now: revoke.now, audit: revoke.drafts },
        { next, audit: drafts },
      ),
    ).then((result) => this.revoked(result, current, revoke));
    return this.written(next.id, write, drafts, next);
  }

  /** The request part of a revokeGrantAndUpdateRequest result, once its grant part is checked and announced. */
  private revoked(result: unknown, current: ApprovalRequest, revoke: Revocation): unknown {
    if (!isPlainObject(result) || !('grant' in result) || !('request' in result)) {
      throw new CorruptRecordError('revokeGrantAndUpdateRequest result', ['must be { grant, request }']);
    }
    if (result.grant !== null) {
      // Only whether it was revoked matters here: checked, not copied.
      if (!isGrantRecord(result.grant)) checkGrant(result.grant);
      this.emit(revoke.drafts, current);
      if (result.request === null && revoke.alone !== undefined) {
        return this.append(revoke.alone, current).then(() => null);
      }
    }
    return result.request;
  }

  async append(drafts: AuditDraft[], request: ApprovalRequest | null): Promise<void> {
    await this.call('appendAudit', () => this.store.appendAudit(drafts));
    this.emit(drafts, request);
  }

  /** Announces a saved write: events, waiters, then transports (null when none has an update to make). */
  afterWrite(request: ApprovalRequest, drafts: AuditDraft[]): Promise<void> | null {
    if (request.status !== 'pending') this.pending.remove(request, request.id);
    this.emit(drafts, request);
    this.waiters.wake(request.id);
    return updateTransports(this.options.transports, this.events, request);
  }

  emit(drafts: readonly AuditDraft[], request: ApprovalRequest | null): void {
    for (const entry of drafts) this.events.emit(entry.type, { type: entry.type, entry, request });
  }

  draft(type: AuditType, request: ApprovalRequest, extra: Partial<AuditDraft> = {}): AuditDraft {
    return requestDraft(type, request, this.now(), extra);
  }

  /**
   * Moves a request to a terminal-ish status, revoking a grant in the same step when given one
   * (see {@link updateAndRevokeGrant}); returns null when it lost a race.
   */
  settle(
    request: ApprovalRequest,
    status: RequestStatus,
    closedReason: string | null,
    extra: Partial<AuditDraft> = {},
    revoke?: Revocation,
  ) {
    const type = status as AuditType;
    const drafts = [this.draft(type, request, { detail: closedReason, ...extra })];
    const changes = { status, closedReason };
    if (revoke) return this.updateAndRevokeGrant(request, changes, drafts, revoke);
    return this.update(request, changes, drafts);
  }
}

/** A grant revoked with a request's update (see {@link Runtime.updateAndRevokeGrant}). */
export interface Revocation {
  id: string;
  now: number;
  /** Written with the revocation, in the same atomic step. */
  drafts: AuditDraft[];
  /** Appended after it when the grant was revoked but the request was not updated. */
  alone?: AuditDraft[] | undefined;
}
