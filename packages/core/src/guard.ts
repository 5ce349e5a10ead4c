import type { Sleeper } from './alarm.js';
import {
  type ApprovalRequest,
  type DeliveryReceipt,
  EXPIRED_REASON,
  type RedactedAction,
} from './approval.js';
import { approvalProblems } from './approval-check.js';
import { type AuditDraft, emptyDraft } from './audit.js';
import { forgetCanonicalJson, freezeCanonical, NotJsonError } from './canonical-json.js';
import { parseDuration } from './duration.js';
import {
  AlreadyStartedError,
  ApprovalCancelledError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalPendingError,
  ClosedError,
  CorruptRecordError,
  DeliveryError,
  ErrorCode,
  IdempotencyConflictError,
  isCountersignError,
  NoEligibleApproversError,
  OutcomeNotRecordedError,
  PolicyDeniedError,
  RequestNotFoundError,
  TooManyPendingError,
  ValidationError,
} from './errors.js';
import { hashAction } from './fingerprint.js';
import { createGrantHandle, type Grant, type GrantRecord } from './grants.js';
import { newGrantId, newGrantToken, newRequestId, sha256Hex } from './ids.js';
import { copyJsonParams, readMembers } from './input.js';
import type { PolicyDecision, Risk } from './policy.js';
import { scrubText } from './redact.js';
import type { Runtime } from './runtime.js';
import {
  ACTION_KEYS,
  CONTEXT_KEYS,
  guardActionSchema,
  guardContextSchema,
  parseInput,
  plainGuardInput,
} from './schemas.js';
import type { DeliveryContext } from './transport.js';
import type { Waiter } from './waiters.js';

/** The privileged call to guard. `run` is called at most once, and only with a live grant. */
export interface GuardAction<T> {
  /** Action name the policy matches, e.g. `'db.export'`. */
  name: string;
  /** What the action touches, e.g. `'prod/customers'`. */
  resource?: string | null | undefined;
  /** The exact arguments; bound into the fingerprint and shown (redacted) to approvers. */
  params?: Record<string, unknown> | undefined;
  /** Risk shown to approvers when the matching rule sets none. Default `'medium'`. */
  risk?: Risk | undefined;
  run: (grant: Grant) => T | Promise<T>;
}

/**
 * Who is asking, for whom and why. Identities, `sessionId` and `idempotencyKey` are 1–256
 * characters without control or bidirectional characters; `reason` is 1–2,000 after trimming.
 */
export interface GuardContext {
  /** The agent or pipeline identity, e.g. `'agent:report-bot'`. */
  actor: string;
  /** The person the agent acts for; they cannot approve either. */
  onBehalfOf?: string | null | undefined;
  /**
   * The agent's stated reason, shown to approvers as unverified. A framework without one can pass
   * the user's last message or the tool call's description: something a person can judge.
   */
  reason: string;
  /**
   * Grants are bound to this session. Use the framework's thread, run or conversation id; without
   * one, one id per agent task (never one constant for every task: it is what a grant binds).
   */
  sessionId: string;
  /**
   * Re-attach to the same request after a restart or a pause instead of asking again. Scoped to
   * the actor and the session, so a framework's tool-call ids (`call_0`) never collide across sessions.
   */
  idempotencyKey?: string | null | undefined;
  /** Resume this request (from `open()` or an `ApprovalPendingError`); it must be for this exact call. */
  requestId?: string | null | undefined;
  /**
   * Default `true`: wait for the decision. `false`: a request that is still pending rejects with
   * `ApprovalPendingError` (after delivery) instead; call again later to run it once approved.
   */
  wait?: boolean | undefined;
  /**
   * What aborting `signal` does to a pending request: `'cancel'` (default) cancels it for good;
   * `'detach'` stops waiting, rejects with `ApprovalPendingError` and leaves it pending to resume.
   * During `run`, aborting always aborts `grant.signal`.
   */
  onAbort?: 'cancel' | 'detach' | undefined;
  /** Aborting stops waiting (see `onAbort`); during `run` it aborts `grant.signal`. */
  signal?: AbortSignal | undefined;
}

/** How a call goes through the guard path: run it, or only open its request (`open()`). */
type Mode = 'run' | 'open';

/** A call's checked input, copied once: changing the caller's objects afterwards changes nothing. */
export interface Prepared {
  name: string;
  resource: string | null;
  fingerprint: string;
  action: RedactedAction;
  // The caller's context, copied member by member: changing it after the call changes nothing.
  actor: string;
  onBehalfOf: string | null;
  sessionId: string;
  /** Scoped to the session (see {@link scopedKey}). */
  idempotencyKey: string | null;
  requestId: string | null;
  signal: AbortSignal | undefined;
  reason: string;
  risk: Risk | undefined;
  run: (grant: Grant) => unknown;
  wait: boolean;
  detach: boolean;
  mode: Mode;
}

/**
 * Why a delivery signal aborts: the wait for this request is over. One frozen reason, because
 * `abort()` without one builds a DOMException and its stack trace on every request.
 */
const DELIVERY_OVER = Object.freeze(new Error('the request no longer needs delivering'));
/** Why a delivery still in flight was given up; one frozen error, as it ends every delivery race. */
const DELIVERY_GIVEN_UP = Object.freeze(
  new Error('delivery did not finish before the request expired or was cancelled'),
);

/** Lost compare-and-set races are retried; each loss means another writer made progress. */
const MAX_WRITE_ATTEMPTS = 50;

/** What one look at a waiting request found: look again after `pauseMs`, or the guard's outcome. */
type Step = { pauseMs: number } | { value: unknown };

const AGAIN: Step = Object.freeze({ pauseMs: 0 });

/**
 * The empty list every new request starts with, shared: a 32 B array per list per pending request
 * adds up, and frozen, no version can add to it in place (versions get new lists).
 */
const NONE = Object.freeze([]) as never[];

/**
 * One guard's wait for a decision, driven by callbacks: while the request is pending nothing of
 * the guard is suspended but this object and the promise it settles (an async loop kept its whole
 * frame, about 0.8 KB, for as long as it waited). It keeps the request's id and deadline, not a
 * version of the record; it is what the waiters wake; and it makes the AbortSignal transports see
 * only when one reads it, since a Node 20 AbortController costs about 0.75 KB.
 */
class ApprovalWait implements Waiter, Sleeper {
  readonly requestId: string;
  readonly expiresAt: number;
  /**
   * `delivering` until delivery ends, then `looking` during a look and `paused` between looks;
   * `looking-again` when woken during a look, since the store may have changed after it read.
   */
  #state: 'delivering' | 'looking' | 'looking-again' | 'paused' | 'done' = 'delivering';
  #deliveryOver = false;
  #controller: AbortController | null = null;
  /** Ends a delivery still in flight; set while one is. */
  giveUpDelivery: (() => void) | null = null;
  alarmAt = 0;
  alarmIndex = -1;

  /** Opens the request, delivers it and waits; the returned promise is the guard's. */
  static open(runtime: Runtime, prepared: Prepared, decision: PolicyDecision): Promise<unknown> {
    return new Promise((resolve, reject) => {
      openRequest(runtime, prepared, decision)
        .then((opened) => {
          const wait = new ApprovalWait(runtime, prepared, opened, resolve);
          wait.#lookAfter(opened.status === 'pending' ? deliver(runtime, opened, wait) : null);
        })
        .catch(reject);
    });
  }

  /** Starts waiting: the waiters can wake it, and the caller's abort ends delivery and wakes it. */
  private constructor(
    private readonly runtime: Runtime,
    private readonly prepared: Prepared,
    request: ApprovalRequest,
    /** Rejects too, given a rejected promise: keeping `reject` as well costs 56 B per guard. */
    private readonly resolve: (value: unknown) => void,
  ) {
    this.requestId = request.id;
    this.expiresAt = request.expiresAt;
    runtime.waiters.add(this.requestId, this);
    // This object is the listener (handleEvent), so no closure per guard.
    prepared.signal?.addEventListener('abort', this);
  }

  /** The caller aborted: stop delivering, and look now, which cancels a pending request. */
  handleEvent(): void {
    this.endDelivery();
    this.wake();
  }

  /** The first look, once delivery has ended; a delivery that failed ends the wait. */
  #lookAfter(delivered: Promise<void> | null): void {
    const first = () => {
      this.#state = 'paused';
      this.#look();
    };
    if (delivered === null) first();
    else delivered.then(first, (error: unknown) => this.#finish(error, true));
  }

  /** Reads the request and acts on it, unless a look is already under way. */
  #look(): void {
    if (this.#state === 'looking') this.#state = 'looking-again';
    if (this.#state !== 'paused') return;
    this.#state = 'looking';
    checkApproval(this.runtime, this.prepared, this)
      .then((step) => {
        if ('value' in step) return this.#finish(step.value, false);
        const again = this.#state === 'looking-again';
        this.#state = 'paused';
        if (step.pauseMs <= 0 || again) return this.#look();
        forgetCanonicalJson(this.prepared.action);
        this.runtime.alarm.set(this, step.pauseMs);
      })
      // Whatever fails, the step or what follows it, ends the wait: the guard never hangs.
      .catch((error: unknown) => this.#finish(error, true));
  }

  /** The request may have changed: look again now instead of at the end of the pause. */
  wake(): void {
    this.runtime.alarm.cancel(this);
    this.#look();
  }

  #finish(outcome: unknown, failed: boolean): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.close();
    this.resolve(failed ? Promise.reject(outcome) : outcome);
  }

  /** Stops waiting and leaves nothing behind: no timer, waiter, listener or delivery. */
  close(): void {
    this.runtime.alarm.cancel(this);
    this.endDelivery();
    this.runtime.waiters.remove(this.requestId, this);
    this.prepared.signal?.removeEventListener('abort', this);
  }

  get deliveryOver(): boolean {
    return this.#deliveryOver;
  }

  /** Aborted once the request no longer needs delivering, however late a transport reads it. */
  get deliverySignal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#deliveryOver) this.#controller.abort(DELIVERY_OVER);
    }
    return this.#controller.signal;
  }

  endDelivery(): void {
    if (this.#deliveryOver) return;
    this.#deliveryOver = true;
    this.#controller?.abort(DELIVERY_OVER);
    this.giveUpDelivery?.();
  }
}

/**
 * The guard's promise, rejected rather than thrown: bad input, an aborted signal or a policy
 * denial never runs the action, whichever way it is reported.
 */
export function guard<T>(runtime: Runtime, action: GuardAction<T>, context: GuardContext): Promise<T> {
  return guardCall(runtime, action, context, 'run') as Promise<T>;
}

/** What `open()` found, when it did not throw: the call is allowed, pending or approved. */
export type Opened =
  | { status: 'allowed'; ruleId: string | null }
  | { status: 'pending'; requestId: string; expiresAt: number; ruleId: string }
  | { status: 'approved'; requestId: string; ruleId: string };

/**
 * The guard path for `run` (runs the action) and `open` (resolves with {@link Opened} where `run`
 * would run or wait). Everything before, policy, requests, delivery and every check, is shared.
 */
export function guardCall(
  runtime: Runtime,
  action: GuardAction<unknown>,
  context: GuardContext,
  mode: Mode,
): Promise<unknown> {
  try {
    const prepared = prepare(runtime, action, context, mode);
    if (prepared.signal?.aborted)
      throw new ApprovalCancelledError(null, 'the signal was aborted before the call');
    const decision = runtime.options.policy.decide({
      action: prepared.name,
      resource: prepared.resource,
      actor: prepared.actor,
    });
    if (decision.effect === 'deny') return denyByPolicy(runtime, prepared, decision.ruleId);
    if (decision.effect === 'allow') {
      if (mode === 'open') return Promise.resolve({ status: 'allowed', ruleId: decision.ruleId } as Opened);
      const grantTtlMs = ttl(decision.rule?.grantTtl, runtime.options.grantTtlMs);
      return runGranted(runtime, prepared, null, decision.ruleId, grantTtlMs);
    }
    return ApprovalWait.open(runtime, prepared, decision);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The session-scoped idempotency key stores see: unambiguous, whatever either part contains. */
export function scopedKey(sessionId: string, key: string): string {
  return JSON.stringify([sessionId, key]);
}

async function denyByPolicy(runtime: Runtime, prepared: Prepared, ruleId: string): Promise<never> {
  await runtime.append([subjectDraft(runtime, 'policy_denied', prepared, ruleId)], null);
  throw new PolicyDeniedError(prepared.name, ruleId);
}

/** Validates and copies a call as `open()` and `check()` see it. */
export function prepareCall(runtime: Runtime, action: GuardAction<unknown>, context: GuardContext): Prepared {
  return prepare(runtime, action, context, 'open');
}

function prepare(
  runtime: Runtime,
  action: GuardAction<unknown>,
  context: GuardContext,
  mode: Mode,
): Prepared {
  // One read of each member, unknown keys refused, before anything else looks at them.
  const actionIn = readMembers(action, ACTION_KEYS, 'action');
  const contextIn = readMembers(context, CONTEXT_KEYS, 'guard context');
  const input = plainGuardInput(actionIn, contextIn) ?? {
    ...parseInput(guardActionSchema, actionIn, 'action'),
    ...parseInput(guardContextSchema, contextIn, 'guard context'),
  };
  const params = copyJsonParams(input.params, 'action params');
  const resource = input.resource ?? null;
  let hashes: ReturnType<typeof hashAction>;
  try {
    hashes = hashAction({ name: input.name, resource, params });
  } catch (error) {
    if (error instanceof NotJsonError)
      throw new ValidationError('action params', [`params${error.path} ${error.problem}`]);
    throw error;
  }
  const size = Buffer.byteLength(JSON.stringify(params));
  if (size > runtime.options.maxParamsBytes) {
    throw new ValidationError('action params', [
      `${size} bytes exceeds maxParamsBytes (${runtime.options.maxParamsBytes})`,
    ]);
  }
  const redacted = runtime.options.redactor(params);
  return {
    name: input.name,
    resource,
    fingerprint: hashes.fingerprint,
    // Frozen: every audit entry of this call carries it, and it serialises once for all of them.
    action: freezeCanonical({
      name: input.name,
      resource: resource === null ? null : scrubText(resource),
      params: redacted.params,
      paramsHash: hashes.paramsHash,
      redactedPaths: redacted.redactedPaths.length === 0 ? NONE : redacted.redactedPaths,
    }),
    actor: input.actor,
    onBehalfOf: input.onBehalfOf ?? null,
    sessionId: input.sessionId,
    idempotencyKey: input.idempotencyKey == null ? null : scopedKey(input.sessionId, input.idempotencyKey),
    requestId: input.requestId ?? null,
    signal: input.signal,
    reason: scrubText(input.reason),
    risk: input.risk,
    run: input.run as (grant: Grant) => unknown,
    wait: mode === 'run' && input.wait !== false,
    detach: input.onAbort === 'detach',
    mode,
  };
}

function subjectDraft(
  runtime: Runtime,
  type: AuditDraft['type'],
  prepared: Prepared,
  ruleId: string,
): AuditDraft {
  return {
    ...emptyDraft(type, runtime.now()),
    actor: prepared.actor,
    onBehalfOf: prepared.onBehalfOf,
    sessionId: prepared.sessionId,
    action: prepared.action,
    fingerprint: prepared.fingerprint,
    ruleId,
    reason: prepared.reason,
  };
}

function ttl(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}

async function openRequest(
  runtime: Runtime,
  prepared: Prepared,
  decision: PolicyDecision,
): Promise<ApprovalRequest> {
  if (prepared.requestId !== null) {
    const existing = await runtime.load(prepared.requestId);
    if (existing === null) throw new RequestNotFoundError(prepared.requestId);
    return reattach(existing, prepared, `request id ${prepared.requestId}`);
  }
  const key = prepared.idempotencyKey;
  if (key !== null) {
    const raw = await runtime.call('findRequestByIdempotencyKey', () =>
      runtime.store.findRequestByIdempotencyKey(prepared.actor, key),
    );
    if (raw !== null) {
      const existing = await runtime.load((raw as ApprovalRequest).id);
      if (existing) return reattach(existing, prepared, key);
    }
  }
  for (;;) {
    const same = await pendingTwin(runtime, prepared);
    if (same !== null) return same;
    const created = await runtime.pending.once(prepared.actor, prepared.sessionId, callKey(prepared), () =>
      createRequest(runtime, prepared, decision),
    );
    if (created !== null) return created;
  }
}

/** A new request for the call, audited; or the existing one its idempotency key names. */
async function createRequest(
  runtime: Runtime,
  prepared: Prepared,
  decision: PolicyDecision,
): Promise<ApprovalRequest> {
  const key = prepared.idempotencyKey;
  const rule = decision.rule!;
  const onBehalfOf = prepared.onBehalfOf;
  const approvers = eligibleApprovers(
    runtime.options.eligible.get(rule.id) ?? NONE,
    prepared.actor,
    onBehalfOf,
  );
  const quorum = rule.quorum ?? 1;
  if (approvers.length < quorum) {
    const draft = subjectDraft(runtime, 'policy_denied', prepared, rule.id);
    await runtime.append(
      [{ ...draft, detail: 'not enough eligible approvers besides the actor and principal' }],
      null,
    );
    throw new NoEligibleApproversError(prepared.name, rule.id, approvers.length, quorum);
  }
  const now = runtime.now();
  const request: ApprovalRequest = {
    id: newRequestId(),
    version: 1,
    status: 'pending',
    fingerprint: prepared.fingerprint,
    action: prepared.action,
    actor: prepared.actor,
    onBehalfOf,
    reason: prepared.reason,
    sessionId: prepared.sessionId,
    idempotencyKey: key,
    risk: rule.risk ?? prepared.risk ?? 'medium',
    ruleId: rule.id,
    approvers,
    quorum,
    grantTtlMs: ttl(rule.grantTtl, runtime.options.grantTtlMs),
    decisions: NONE,
    deliveries: NONE,
    createdAt: now,
    expiresAt: now + ttl(rule.requestTtl, runtime.options.requestTtlMs),
    decidedAt: null,
    grantId: null,
    closedReason: null,
  };
  const draft = runtime.draft('requested', request, {
    detail: `needs ${quorum} of ${approvers.length} eligible approvers; expires ${new Date(request.expiresAt).toISOString()}`,
  });
  await checkPendingCap(runtime, prepared, rule.id);
  const result = await runtime.call('createRequest', () => runtime.store.createRequest(request, [draft]));
  if (!result.created) return reattach(result.request, prepared, key ?? '');
  runtime.pending.add(request.actor, request.sessionId, callKey(prepared), request.id);
  runtime.emit([draft], result.request);
  return result.request;
}

/**
 * The pending request of an identical call (same actor, session and fingerprint) made in this
 * process, if there still is one: re-attaching to it is what keeps a looping or prompt-injected
 * agent from sending the same question two hundred times.
 */
async function pendingTwin(runtime: Runtime, prepared: Prepared): Promise<ApprovalRequest | null> {
  const id = runtime.pending.find(prepared.actor, prepared.sessionId, callKey(prepared));
  if (id === undefined) return null;
  const existing = await runtime.load(id);
  if (
    existing !== null &&
    existing.status === 'pending' &&
    existing.fingerprint === prepared.fingerprint &&
    existing.onBehalfOf === prepared.onBehalfOf
  ) {
    return existing;
  }
  runtime.pending.remove(id);
  return null;
}

/** What makes two calls of one actor and session the same request: the exact call, and for whom. */
function callKey(prepared: Prepared): string {
  return prepared.onBehalfOf === null
    ? prepared.fingerprint
    : `${prepared.fingerprint}\n${prepared.onBehalfOf}`;
}

/** Refuses a new request, audited and undelivered, when the actor has too many pending. */
async function checkPendingCap(runtime: Runtime, prepared: Prepared, ruleId: string): Promise<void> {
  const limit = runtime.options.maxPendingPerActor;
  if (runtime.pending.count(prepared.actor) < limit) return;
  // Another process may have settled some: look before refusing.
  for (const id of runtime.pending.requestIds(prepared.actor)) {
    const request = await runtime.load(id);
    if (request === null || request.status !== 'pending' || request.expiresAt <= runtime.now()) {
      runtime.pending.remove(id);
    }
  }
  if (runtime.pending.count(prepared.actor) < limit) return;
  const draft = subjectDraft(runtime, 'policy_denied', prepared, ruleId);
  await runtime.append(
    [{ ...draft, detail: `too many pending requests (maxPendingPerActor ${limit})` }],
    null,
  );
  throw new TooManyPendingError(prepared.actor, limit);
}

/** The last answer of {@link eligibleApprovers} for each rule's list. */
const lastApprovers = new WeakMap<
  readonly string[],
  { actor: string; onBehalfOf: string | null; approvers: string[] }
>();

/**
 * A rule's eligible approvers besides the actor and the person it acts for. Most calls of a rule
 * come from one agent for one person, so the last answer per rule is kept, frozen, and shared
 * by their requests.
 */
function eligibleApprovers(eligible: readonly string[], actor: string, onBehalfOf: string | null): string[] {
  const last = lastApprovers.get(eligible);
  if (last !== undefined && last.actor === actor && last.onBehalfOf === onBehalfOf) return last.approvers;
  const approvers = Object.freeze(
    eligible.filter((identity) => identity !== actor && identity !== onBehalfOf),
  ) as string[];
  lastApprovers.set(eligible, { actor, onBehalfOf, approvers });
  return approvers;
}

/** The request a key or id named, if it is for this exact call; else what differs. */
function reattach(existing: ApprovalRequest, prepared: Prepared, key: string): ApprovalRequest {
  const differs: string[] = [];
  if (existing.actor !== prepared.actor) differs.push('actor');
  if (existing.sessionId !== prepared.sessionId) differs.push('session');
  if (existing.action.name !== prepared.name) differs.push('action name');
  if (existing.action.resource !== prepared.action.resource) differs.push('resource');
  if (existing.action.paramsHash !== prepared.action.paramsHash) differs.push('params');
  if (differs.length === 0 && existing.fingerprint !== prepared.fingerprint) differs.push('fingerprint');
  if (differs.length > 0) throw new IdempotencyConflictError(key, existing.id, differs);
  return existing;
}

/**
 * Refuses, audited, an approved record that does not approve this exact call under its rule:
 * the action never runs on a store's word alone.
 */
async function checkApproved(
  runtime: Runtime,
  prepared: Prepared,
  requestId: string,
  request: ApprovalRequest,
): Promise<void> {
  const problems = approvalProblems(
    request,
    {
      requestId,
      fingerprint: prepared.fingerprint,
      sessionId: prepared.sessionId,
      actor: prepared.actor,
      onBehalfOf: prepared.onBehalfOf,
    },
    runtime.options,
    runtime.now(),
  );
  if (problems.length === 0) return;
  const error = new CorruptRecordError('approval', problems);
  const draft = subjectDraft(runtime, 'refused', prepared, request.ruleId);
  await runtime
    .append(
      [
        {
          ...draft,
          requestId,
          detail: scrubText(`corrupt record, not run: ${problems.join('; ')}`).slice(0, 1000),
        },
      ],
      null,
    )
    .catch(() => {});
  throw error;
}

/** A request still waiting when the caller will not wait: what `open()` returns, or the guard's error. */
function notYet(prepared: Prepared, request: ApprovalRequest): Step {
  if (prepared.mode === 'open') {
    const opened: Opened = {
      status: 'pending',
      requestId: request.id,
      expiresAt: request.expiresAt,
      ruleId: request.ruleId,
    };
    return { value: opened };
  }
  throw new ApprovalPendingError(request.id, request.expiresAt);
}

/** One look at a waiting request: acts on its state and says what the wait does next. */
async function checkApproval(runtime: Runtime, prepared: Prepared, wait: ApprovalWait): Promise<Step> {
  const signal = prepared.signal;
  const { pollMs } = runtime.options;
  // A closing process stops waiting but leaves the request pending, for a restart to resume.
  if (runtime.closed) throw new ClosedError();
  let request: ApprovalRequest | null;
  try {
    request = await runtime.load(wait.requestId);
  } catch (error) {
    // A read grants nothing, so ride out a store outage until the deadline, then fail closed.
    const retry = isCountersignError(error, ErrorCode.StoreFailed) && !signal?.aborted;
    if (!retry || runtime.now() >= wait.expiresAt) throw error;
    return { pauseMs: Math.min(pollMs, wait.expiresAt - runtime.now()) };
  }
  if (request === null)
    throw new ApprovalCancelledError(wait.requestId, 'the request vanished from the store');
  switch (request.status) {
    case 'pending': {
      if (signal?.aborted && !prepared.detach) {
        await runtime.settle(request, 'cancelled', 'aborted by the caller');
        return AGAIN;
      }
      const remaining = request.expiresAt - runtime.now();
      if (remaining <= 0) {
        await runtime.settle(request, 'expired', EXPIRED_REASON);
        return AGAIN;
      }
      if (!prepared.wait || signal?.aborted) return notYet(prepared, request);
      return { pauseMs: Math.min(remaining, pollMs) };
    }
    case 'approved': {
      if (request.grantId !== null) throw new AlreadyStartedError(request.id, 'approved and claimed');
      if (runtime.now() >= (request.decidedAt ?? 0) + request.grantTtlMs) {
        await runtime.settle(request, 'expired', 'approved but not used before the grant lifetime ran out');
        return AGAIN;
      }
      if (prepared.mode === 'open') {
        const opened: Opened = { status: 'approved', requestId: request.id, ruleId: request.ruleId };
        return { value: opened };
      }
      // A detached caller that aborted runs nothing; the approval stays usable for a resume.
      if (signal?.aborted) throw new ApprovalPendingError(request.id, request.expiresAt);
      await checkApproved(runtime, prepared, wait.requestId, request);
      wait.endDelivery();
      return { value: await runGranted(runtime, prepared, request, request.ruleId, request.grantTtlMs) };
    }
    case 'denied': {
      const denial = [...request.decisions].reverse().find((d) => d.outcome === 'deny');
      throw new ApprovalDeniedError(request.id, denial?.approver ?? null, denial?.comment ?? null);
    }
    case 'expired':
      throw new ApprovalExpiredError(request.id);
    case 'cancelled':
      throw new ApprovalCancelledError(request.id, request.closedReason ?? 'cancelled');
    case 'executed':
    case 'failed':
      throw new AlreadyStartedError(request.id, request.status);
  }
}

async function deliver(runtime: Runtime, request: ApprovalRequest, wait: ApprovalWait): Promise<void> {
  const transports = [...runtime.options.transports.values()];
  if (transports.length === 0) return;
  const pending = transports.filter(
    (t) => !request.deliveries.some((receipt) => receipt.transport === t.name),
  );
  // A transport that never answers must not hold the guard past the request's deadline.
  const { clock } = runtime.options;
  let giveUp: () => void = () => {};
  const deadline = new Promise<never>((_, reject) => {
    giveUp = () => reject(DELIVERY_GIVEN_UP);
  });
  deadline.catch(() => {});
  const timer = clock.setTimeout(giveUp, Math.max(0, request.expiresAt - runtime.now()));
  wait.giveUpDelivery = giveUp;
  if (wait.deliveryOver) giveUp();
  const context: DeliveryContext = {
    get signal() {
      return wait.deliverySignal;
    },
  };
  const failures = (
    await Promise.all(
      pending.map(async (transport) => {
        try {
          const ref = (await Promise.race([transport.deliver(request, context), deadline])) ?? {};
          // Saved as soon as this transport answers, so a click served by another process finds it.
          await saveReceipt(runtime, request.id, { transport: transport.name, ref, at: runtime.now() });
          return [];
        } catch (error) {
          return [{ transport: transport.name, error }];
        }
      }),
    ).finally(() => {
      clock.clearTimeout(timer);
      wait.giveUpDelivery = null;
      // Settle the race's loser so no promise outlives the delivery.
      giveUp();
    })
  ).flat();
  if (failures.length === 0) return;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await runtime.load(request.id);
    if (current === null) return;
    const drafts = failures.map((f) =>
      runtime.draft('delivery_failed', current, { via: f.transport, detail: errorText(f.error) }),
    );
    // An abort is the caller's cancellation, which the wait loop records; not a delivery failure.
    if (current.deliveries.length === 0 && current.status === 'pending' && !wait.deliveryOver) {
      const cancelled = await runtime.update(
        current,
        { status: 'cancelled', closedReason: 'delivery failed' },
        [
          ...drafts,
          runtime.draft('cancelled', current, { detail: 'no transport could deliver the request' }),
        ],
      );
      if (cancelled === null) continue;
      throw new DeliveryError(request.id, failures);
    }
    if ((await runtime.update(current, {}, drafts)) !== null) return;
  }
}

async function saveReceipt(runtime: Runtime, requestId: string, receipt: DeliveryReceipt): Promise<void> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await runtime.load(requestId);
    if (current === null) return;
    const draft = runtime.draft('delivered', current, { via: receipt.transport });
    const saved = await runtime.update(current, { deliveries: [...current.deliveries, receipt] }, [draft]);
    if (saved !== null) return;
  }
}

async function runGranted(
  runtime: Runtime,
  prepared: Prepared,
  request: ApprovalRequest | null,
  ruleId: string,
  grantTtlMs: number,
): Promise<unknown> {
  const now = runtime.now();
  const token = newGrantToken();
  const record: GrantRecord = {
    id: newGrantId(),
    tokenHash: sha256Hex(token),
    fingerprint: prepared.fingerprint,
    sessionId: prepared.sessionId,
    requestId: request?.id ?? null,
    actor: prepared.actor,
    ruleId,
    issuedAt: now,
    expiresAt: now + grantTtlMs,
    consumedAt: null,
    revokedAt: null,
  };
  const detail = `grant expires ${new Date(record.expiresAt).toISOString()}`;
  const drafts: AuditDraft[] = [
    request
      ? runtime.draft('granted', request, { grantId: record.id, detail })
      : { ...subjectDraft(runtime, 'allowed', prepared, ruleId), grantId: record.id, detail },
  ];
  if (request) {
    // Claiming the approval is the compare-and-set that makes its action run at most once.
    const claimed = await runtime.updateAndCreateGrant(request, { grantId: record.id }, drafts, record);
    if (claimed === null) throw new AlreadyStartedError(request.id, 'claimed by another process');
    if (
      claimed.id !== request.id ||
      claimed.grantId !== record.id ||
      claimed.fingerprint !== record.fingerprint
    ) {
      throw new CorruptRecordError('claimed approval', ['is not the approval this call claimed']);
    }
    request = claimed;
  } else {
    await runtime.call('createGrant', () => runtime.store.createGrant(record, drafts));
    runtime.emit(drafts, null);
  }

  const lifetime = grantLifetime(runtime, record.expiresAt);
  const onAbort = () => lifetime.end('aborted by the caller');
  prepared.signal?.addEventListener('abort', onAbort);
  const grant = createGrantHandle(record, token, lifetime.signal);

  let result: unknown;
  let failure: { error: unknown } | null = null;
  try {
    result = await prepared.run(grant);
  } catch (error) {
    failure = { error };
  } finally {
    prepared.signal?.removeEventListener('abort', onAbort);
    lifetime.end('grant revoked');
  }

  const recordError = await recordOutcome(runtime, prepared, record, request, ruleId, failure);
  // This call writes no more entries with its action.
  forgetCanonicalJson(prepared.action);
  // The action's own error is the cause: it is what the caller must know first.
  if (recordError !== null) {
    throw new OutcomeNotRecordedError(request?.id ?? null, failure ? failure.error : recordError, recordError);
  }
  if (failure) throw failure.error;
  return result;
}

/**
 * What `grant.signal` reports: aborted with the first of expiry, the caller's abort or revocation.
 * The AbortController and the expiry timer are made only when the action first reads the
 * signal, which most actions never do; the signal then looks exactly as if they had always existed.
 */
function grantLifetime(runtime: Runtime, expiresAt: number) {
  const { clock } = runtime.options;
  // Reasons are words until a signal exists to carry them: an Error costs a stack trace.
  let ended: string | null = null;
  let controller: AbortController | null = null;
  let expiry: unknown = null;
  const end = (reason: string) => {
    if (ended !== null) return;
    ended = reason;
    if (expiry !== null) clock.clearTimeout(expiry);
    controller?.abort(new Error(reason));
  };
  const signal = () => {
    if (controller === null) {
      controller = new AbortController();
      const remaining = expiresAt - runtime.now();
      if (ended === null && remaining <= 0) ended = 'grant expired';
      if (ended !== null) controller.abort(new Error(ended));
      else expiry = clock.setTimeout(() => end('grant expired'), remaining);
    }
    return controller.signal;
  };
  return { end, signal };
}

/**
 * Revokes the grant and records how the action ended; for a request, by settling it, in the same
 * store call when the store can. Returns why the outcome could not be recorded, or null.
 */
async function recordOutcome(
  runtime: Runtime,
  prepared: Prepared,
  record: GrantRecord,
  request: ApprovalRequest | null,
  ruleId: string,
  failure: { error: unknown } | null,
): Promise<unknown> {
  const outcome = failure ? 'failed' : 'executed';
  const detail = failure ? errorText(failure.error) : null;
  const changed = () => new Error('request changed while its action ran');
  if (request && runtime.store.revokeGrantAndUpdateRequest) {
    try {
      const revocation = { id: record.id, now: runtime.now(), drafts: [revokedDraft(runtime, record)] };
      const saved = await runtime.settle(request, outcome, detail, { grantId: record.id }, revocation);
      return saved === null ? changed() : null;
    } catch (error) {
      return error;
    }
  }
  let recordError: unknown = null;
  try {
    // Without a request the outcome is audited in the revocation's own write.
    const extra = request
      ? []
      : [{ ...subjectDraft(runtime, outcome, prepared, ruleId), grantId: record.id, detail }];
    await revoke(runtime, record, request, extra);
  } catch (error) {
    recordError = error;
  }
  if (request) {
    try {
      const saved = await runtime.settle(request, outcome, detail, { grantId: record.id });
      if (saved === null) recordError ??= changed();
    } catch (error) {
      recordError ??= error;
    }
  }
  return recordError;
}

function revokedDraft(runtime: Runtime, record: GrantRecord): AuditDraft {
  return {
    ...emptyDraft('revoked', runtime.now()),
    requestId: record.requestId,
    grantId: record.id,
    actor: record.actor,
    sessionId: record.sessionId,
    fingerprint: record.fingerprint,
    ruleId: record.ruleId,
    // Revoked the moment `run` settles, so it precedes the entry that records the outcome.
    detail: 'the action ended; its outcome is the next entry',
  };
}

/** Revokes the grant and audits it, with `also` written in the same atomic step. */
async function revoke(
  runtime: Runtime,
  record: GrantRecord,
  request: ApprovalRequest | null,
  also: AuditDraft[],
): Promise<void> {
  const drafts: AuditDraft[] = [revokedDraft(runtime, record), ...also];
  const revoked = await runtime.call('revokeGrant', () =>
    runtime.store.revokeGrant(record.id, runtime.now(), drafts),
  );
  if (revoked !== null) runtime.emit(drafts, request);
  else if (also.length > 0) await runtime.append(also, request);
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return scrubText(text).slice(0, 500);
}
