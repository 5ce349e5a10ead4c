// Running with a grant: issue it, run the action once, revoke it in finally, record the outcome.

import { AlreadyStartedError, CorruptRecordError, OutcomeNotRecordedError } from '../lib/errors.js';
import { newGrantId, newGrantToken, sha256Hex } from '../lib/ids.js';
import { errorText } from '../lib/redact.js';
import type { ApprovalRequest } from '../model/approval.js';
import { type AuditDraft, grantDraft } from '../model/audit.js';
import type { Prepared } from '../model/call.js';
import { createGrantHandle, type GrantRecord } from '../model/grants.js';
import { isOwnRevocation } from '../model/record-checks.js';
import type { LiveGrant } from '../runtime/live-grants.js';
import type { RunExtras, Runtime } from '../runtime/runtime.js';
import { checkGrant } from '../runtime/stored-records.js';
import { subjectDraft } from './prepared-call.js';

/** A grant not yet stored, its token, and its issuing entry's detail. */
export interface NewGrant {
  record: GrantRecord;
  token: string;
  detail: string;
}

/** A new grant for `prepared`, not yet stored, its token, and the `granted` entry's detail. */
export function newGrant(
  runtime: Runtime,
  prepared: Prepared,
  requestId: string | null,
  ruleId: string,
  grantTtlMs: number,
): NewGrant {
  const now = runtime.now();
  const token = newGrantToken();
  const record: GrantRecord = {
    id: newGrantId(),
    tokenHash: sha256Hex(token),
    fingerprint: prepared.fingerprint,
    sessionId: prepared.sessionId,
    requestId,
    actor: prepared.actor,
    ruleId,
    issuedAt: now,
    expiresAt: now + grantTtlMs,
    consumedAt: null,
    revokedAt: null,
  };
  // When it expires, as a number: formatting a date costs more than the rest of the entry.
  return { record, token, detail: `grant expires at ${record.expiresAt}` };
}

/**
 * Issues a grant and runs the action on it; for a request, claiming the approval with it. With
 * `issued`, the grant was stored already, by the claim that returned `request`.
 */
export async function runGranted(
  runtime: Runtime,
  prepared: Prepared,
  request: ApprovalRequest | null,
  ruleId: string,
  grantTtlMs: number,
  issued?: NewGrant,
): Promise<unknown> {
  // With `issued`, the claim that returned `request` stored the grant, and its caller checked it.
  let grant = issued ?? issue(runtime, prepared, request, ruleId, grantTtlMs);
  // Awaited only when a promise: with a synchronous store an allowed call pays no hop here.
  if (grant instanceof Promise) grant = await grant;
  if (issued === undefined && request !== null) request = await claimWith(runtime, request, grant);
  const { record, token } = grant;

  const live = runtime.liveGrants.open(record, token, prepared.identity);
  const lifetime = new GrantLifetime(runtime, record.expiresAt);
  // The lifetime is the abort listener itself (`handleEvent`): no closure per call.
  prepared.signal?.addEventListener('abort', lifetime);
  let extras: RunExtras | null = null;

  let result: unknown;
  let failure: { error: unknown } | null = null;
  try {
    // Issue failure lands in `failure`: the action never runs, and the grant is revoked below.
    const handing = runtime.options.features.onGrant(runtime, record, prepared, request);
    if (handing !== null) extras = await handing;
    result = await prepared.run(createGrantHandle(record, token, lifetime, extras?.credentials ?? null));
  } catch (error) {
    failure = { error };
  } finally {
    prepared.signal?.removeEventListener('abort', lifetime);
    lifetime.end('grant revoked');
    if (extras !== null) await extras.end();
  }

  // What the action's own error may quote of its credentials is scrubbed before any record sees it.
  const secrets = extras === null ? NO_SECRETS : extras.secrets;
  const recorded =
    request === null && runtime.sync !== null && !live.busy
      ? recordAllowedOutcome(runtime, prepared, live, ruleId, failure, secrets)
      : recordOutcome(runtime, prepared, live, request, ruleId, failure, secrets);
  const recordError = recorded instanceof Promise ? await recorded : recorded.error;
  // The action's own error is the cause: it is what the caller must know first.
  if (recordError !== null) {
    throw new OutcomeNotRecordedError(
      request?.id ?? null,
      failure ? failure.error : recordError,
      recordError,
    );
  }
  if (failure) throw failure.error;
  return result;
}

/**
 * A new grant, stored with its `allowed` entry for a call without a request; for a request, not
 * stored yet ({@link claimWith} stores it).
 */
function issue(
  runtime: Runtime,
  prepared: Prepared,
  request: ApprovalRequest | null,
  ruleId: string,
  grantTtlMs: number,
): NewGrant | Promise<NewGrant> {
  const grant = newGrant(runtime, prepared, request?.id ?? null, ruleId, grantTtlMs);
  if (request !== null) return grant;
  const { record, detail } = grant;
  const drafts = [
    subjectDraft(runtime, 'allowed', prepared, ruleId, record.id, detail, null, record.issuedAt),
  ];
  const creating = runtime.createGrant(record, drafts);
  if (creating === null) {
    runtime.emit(drafts, null);
    return grant;
  }
  return creating.then(() => {
    runtime.emit(drafts, null);
    return grant;
  });
}

/** Claims the approval with the grant: the compare-and-set that makes its action run at most once. */
async function claimWith(runtime: Runtime, request: ApprovalRequest, { record, detail }: NewGrant) {
  const drafts = [runtime.draft('granted', request, { grantId: record.id, detail })];
  const claimed = await runtime.updateAndCreateGrant(request, { grantId: record.id }, drafts, record);
  if (claimed === null) throw new AlreadyStartedError(request.id, 'claimed by another process');
  if (
    claimed.id !== request.id ||
    claimed.grantId !== record.id ||
    // The approval's own fingerprint: an approver's narrowing rebinds the grant, not the request.
    claimed.fingerprint !== request.fingerprint
  ) {
    throw new CorruptRecordError('claimed approval', ['is not the approval this call claimed']);
  }
  return claimed;
}

/**
 * What `grant.signal` reports: aborted with the first of expiry, the caller's abort or revocation.
 * The AbortController and the expiry timer are made only when the action first reads the
 * signal, which most actions never do; the signal then looks exactly as if they had always existed.
 * One object, which is also the caller's abort listener: a grant costs no closures.
 */
class GrantLifetime {
  /** Reasons are words until a signal exists to carry them: an Error costs a stack trace. */
  private ended: string | null = null;
  private controller: AbortController | null = null;
  private expiry: unknown = null;

  constructor(
    private readonly runtime: Runtime,
    private readonly expiresAt: number,
  ) {}

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.end('aborted by the caller');
  }

  end(reason: string): void {
    if (this.ended !== null) return;
    this.ended = reason;
    if (this.expiry !== null) this.runtime.options.clock.clearTimeout(this.expiry);
    this.controller?.abort(new Error(reason));
  }

  signal(): AbortSignal {
    if (this.controller === null) {
      const controller = new AbortController();
      this.controller = controller;
      const remaining = this.expiresAt - this.runtime.now();
      if (this.ended === null && remaining <= 0) this.ended = 'grant expired';
      if (this.ended !== null) controller.abort(new Error(this.ended));
      else this.expiry = this.runtime.options.clock.setTimeout(() => this.end('grant expired'), remaining);
    }
    return this.controller.signal;
  }
}

/** What a run without credentials must keep out of its records: nothing. */
const NO_SECRETS: readonly string[] = Object.freeze([]);
/** A recorded outcome, shared: the allow path allocates no result for it. */
const RECORDED: { readonly error: unknown } = Object.freeze({ error: null });

/**
 * {@link recordOutcome} for an allowed call on a store with synchronous grant writes, when no
 * consumption is in flight: the same entry, revoked in the same step, with no promise unless the
 * grant was revoked already (a sweeper got there first) and the entry is appended on its own.
 */
function recordAllowedOutcome(
  runtime: Runtime,
  prepared: Prepared,
  live: LiveGrant,
  ruleId: string,
  failure: { error: unknown } | null,
  secrets: readonly string[],
): { error: unknown } | Promise<unknown> {
  const { record } = live;
  runtime.liveGrants.close(live);
  // One reading of the clock: the outcome's entry is written with the revocation, at its time.
  const now = runtime.now();
  const detail = failure === null ? null : errorText(failure.error, secrets);
  const outcome = failure === null ? 'executed' : 'failed';
  const drafts = [subjectDraft(runtime, outcome, prepared, ruleId, record.id, detail, live.consumedAt, now)];
  try {
    const sync = runtime.sync!;
    const revoked = runtime.callSync('revokeGrant', () => sync.revokeGrant(record.id, now, drafts));
    // Its own grant, revoked as asked, needs no walk; anything else is checked as any record is.
    if (revoked !== null && !isOwnRevocation(revoked, record.id, now)) checkGrant(revoked);
    if (revoked === null)
      return runtime.append(drafts, null).then(
        () => null,
        (error: unknown) => error,
      );
    runtime.emit(drafts, null);
    return RECORDED;
  } catch (error) {
    return { error };
  }
}

/**
 * Revokes the grant and records how the action ended, with when the grant was consumed, in one
 * entry (`executed` or `failed`); for a request, by settling it, in the same store call when the
 * store can. Returns why the outcome could not be recorded, or null.
 */
async function recordOutcome(
  runtime: Runtime,
  prepared: Prepared,
  live: LiveGrant,
  request: ApprovalRequest | null,
  ruleId: string,
  failure: { error: unknown } | null,
  secrets: readonly string[],
): Promise<unknown> {
  const { record } = live;
  const outcome = failure ? 'failed' : 'executed';
  const { consumedAt, unknown } = await endLive(runtime, live);
  // The grant is revoked and the outcome recorded even when its consumption cannot be known.
  const notes = [failure ? errorText(failure.error, secrets) : null, unknown].filter((note) => note !== null);
  const detail = notes.length === 0 ? null : notes.join('; ');
  const fields = { grantId: record.id, consumedAt };
  if (request === null) {
    const drafts = [{ ...subjectDraft(runtime, outcome, prepared, ruleId), ...fields, detail }];
    try {
      await revoke(runtime, record, null, drafts, drafts);
      return null;
    } catch (error) {
      return error;
    }
  }
  const changed = () => new Error('request changed while its action ran');
  // Written only if the grant is revoked but the request was not settled, so the revocation is never unaudited.
  const alone = [revokedDraft(runtime, record, consumedAt)];
  if (runtime.store.revokeGrantAndUpdateRequest) {
    try {
      const revocation = { id: record.id, now: runtime.now(), drafts: [], alone };
      const saved = await runtime.settle(request, outcome, detail, fields, revocation);
      return saved === null ? changed() : null;
    } catch (error) {
      return error;
    }
  }
  // Two store calls: each records its own step, so neither can land unaudited.
  let recordError: unknown = null;
  try {
    await revoke(runtime, record, request, alone, []);
  } catch (error) {
    recordError = error;
  }
  try {
    const saved = await runtime.settle(request, outcome, detail, fields);
    if (saved === null) recordError ??= changed();
  } catch (error) {
    recordError ??= error;
  }
  return recordError;
}

/**
 * Closes the grant to consumptions through this process and returns when it was consumed. A
 * consumption whose store call failed may still have applied: then the store's record decides,
 * and if it cannot be read, `unknown` says so (null is then not a claim that it was never used).
 */
async function endLive(
  runtime: Runtime,
  live: LiveGrant,
): Promise<{ consumedAt: number | null; unknown: string | null }> {
  runtime.liveGrants.close(live);
  await live.settled();
  if (!live.uncertain) return { consumedAt: live.consumedAt, unknown: null };
  try {
    const stored = await runtime.loadGrant(live.record.tokenHash);
    return { consumedAt: stored === null ? live.consumedAt : stored.consumedAt, unknown: null };
  } catch (error) {
    return { consumedAt: live.consumedAt, unknown: `consumption unknown: ${errorText(error)}` };
  }
}

function revokedDraft(runtime: Runtime, record: GrantRecord, consumedAt: number | null): AuditDraft {
  return grantDraft('revoked', record, runtime.now(), { detail: 'the action ended', consumedAt });
}

/**
 * Revokes the grant with `drafts` in the same atomic step; when it was revoked already (a sweeper
 * got there first), appends `otherwise` on its own, so what it records is never lost.
 */
async function revoke(
  runtime: Runtime,
  record: GrantRecord,
  request: ApprovalRequest | null,
  drafts: AuditDraft[],
  otherwise: AuditDraft[],
): Promise<void> {
  const revoked = await runtime.revokeGrant(record.id, runtime.now(), drafts);
  if (revoked !== null) runtime.emit(drafts, request);
  else if (otherwise.length > 0) await runtime.append(otherwise, request);
}
