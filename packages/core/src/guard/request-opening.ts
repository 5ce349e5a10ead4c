// Opening a request: re-attach by id, key or identical pending call, or create one within the cap.

import { deepFreeze } from '../lib/canonical-json.js';
import {
  IdempotencyConflictError,
  NoEligibleApproversError,
  RequestNotFoundError,
  TooManyPendingError,
} from '../lib/errors.js';
import { newRequestId } from '../lib/ids.js';
import type { ApprovalRequest } from '../model/approval.js';
import type { Prepared } from '../model/call.js';
import { riskRank } from '../model/risk.js';
import { isSelfApproval } from '../policy/approvers.js';
import { conditionDetail } from '../policy/conditions.js';
import type { RoutedDecision } from '../policy/policy.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkRequest } from '../runtime/stored-records.js';
import { WakeProbe } from '../runtime/waiters.js';
import { NONE, subjectDraft, ttl } from './prepared-call.js';

/**
 * The request a waiting call opened. `created`, when this very call created it: then core knows
 * its record, and the probe (registered as its waiter until the guard's own wait replaces it)
 * says whether anything woke it since.
 */
export interface OpenedRequest {
  request: ApprovalRequest;
  created: WakeProbe | null;
}

export async function openRequest(
  runtime: Runtime,
  prepared: Prepared,
  decision: RoutedDecision,
): Promise<OpenedRequest> {
  if (prepared.requestId !== null) {
    const existing = await runtime.load(prepared.requestId);
    if (existing === null) throw new RequestNotFoundError(prepared.requestId);
    // A key that names another request is a conflict, not something to ignore.
    if (prepared.idempotencyKey !== null && existing.idempotencyKey !== prepared.idempotencyKey) {
      throw new IdempotencyConflictError(`request id ${prepared.requestId}`, existing.id, [
        'idempotency key',
      ]);
    }
    return { request: reattach(existing, prepared, `request id ${prepared.requestId}`), created: null };
  }
  const key = prepared.idempotencyKey;
  if (key !== null) {
    const raw = await runtime.call('findRequestByIdempotencyKey', () =>
      runtime.store.findRequestByIdempotencyKey(prepared.actor, key),
    );
    if (raw !== null) {
      const existing = await runtime.load(checkRequest(raw).id);
      if (existing) return { request: reattach(existing, prepared, key), created: null };
    }
  }
  for (;;) {
    const same = await pendingTwin(runtime, prepared);
    if (same !== null) return { request: same, created: null };
    const created = await runtime.pending.once(prepared, () => createRequest(runtime, prepared, decision));
    if (created !== null) return created;
  }
}

/** A new request for the call, audited; or the existing one its idempotency key names. */
async function createRequest(
  runtime: Runtime,
  prepared: Prepared,
  decision: RoutedDecision,
): Promise<OpenedRequest> {
  const key = prepared.idempotencyKey;
  const rule = decision.rule!;
  const route = decision.route ?? null;
  const onBehalfOf = prepared.onBehalfOf;
  const approvers = eligibleApprovers(
    route?.eligible ?? runtime.options.eligible.get(rule.id) ?? NONE,
    prepared.actor,
    onBehalfOf,
  );
  const quorum = route?.quorum ?? rule.quorum ?? 1;
  const missing = route === null ? [] : route.require.filter((identity) => !approvers.includes(identity));
  if (approvers.length < quorum || missing.length > 0) {
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
    // Frozen: the store may keep it as it is rather than copy it, for as long as the request waits.
    action: deepFreeze(prepared.action),
    actor: prepared.actor,
    onBehalfOf,
    reason: prepared.reason,
    sessionId: prepared.sessionId,
    idempotencyKey: key,
    risk: route?.risk ?? rule.risk ?? prepared.risk ?? 'medium',
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
  const notes = [conditionDetail(decision)];
  if (route !== null) {
    const named = route.require.length > 0 ? `, including ${route.require.join(', ')}` : '';
    notes.push(`risk ${route.risk}${named}`);
  }
  const condition = notes.filter((note) => note !== null).join('; ') || null;
  // Joined, not a template: one flat string, where a template's concatenation keeps a 32 B cons
  // string in front of it for as long as the memory store keeps the entry.
  const detail = [
    'needs ',
    quorum,
    ' of ',
    approvers.length,
    ' eligible approvers; expires ',
    new Date(request.expiresAt).toISOString(),
    condition === null ? '' : `; ${condition}`,
  ].join('');
  const draft = runtime.draft('requested', request, { detail });
  await checkPendingCap(runtime, prepared, rule.id);
  const result = await runtime.create(request, [draft]);
  if (!result.created) return { request: reattach(result.request, prepared, key ?? ''), created: null };
  runtime.pending.add(request, request.id);
  runtime.emit([draft], result.request);
  // After the event, which may throw; a decision it starts cannot land before this line.
  const probe = new WakeProbe();
  runtime.waiters.add(request.id, probe);
  return { request: result.request, created: probe };
}

/**
 * The pending request of an identical call (same actor, session and fingerprint) made in this
 * process, if there still is one: re-attaching to it is what keeps a looping or prompt-injected
 * agent from sending the same question two hundred times.
 */
async function pendingTwin(runtime: Runtime, prepared: Prepared): Promise<ApprovalRequest | null> {
  const id = runtime.pending.find(prepared);
  if (id === undefined) return null;
  const existing = await runtime.load(id);
  if (
    existing !== null &&
    existing.status === 'pending' &&
    existing.fingerprint === prepared.fingerprint &&
    existing.onBehalfOf === prepared.onBehalfOf &&
    !riskier(prepared, existing)
  ) {
    return existing;
  }
  runtime.pending.remove(prepared, id);
  return null;
}

/** Whether the call declares a higher risk than the request was opened at: an approval at a lower risk does not cover it. */
function riskier(prepared: Prepared, existing: ApprovalRequest): boolean {
  return prepared.risk !== undefined && riskRank(prepared.risk) > riskRank(existing.risk);
}

/** Refuses a new request, audited and undelivered, when the actor has too many pending. */
async function checkPendingCap(runtime: Runtime, prepared: Prepared, ruleId: string): Promise<void> {
  const limit = runtime.options.maxPendingPerActor;
  if (runtime.pending.count(prepared.actor) < limit) return;
  // Another process may have settled some: look before refusing.
  for (const { call, requestId } of runtime.pending.entries(prepared.actor)) {
    const request = await runtime.load(requestId);
    if (request === null || request.status !== 'pending' || request.expiresAt <= runtime.now()) {
      runtime.pending.remove(call, requestId);
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
    eligible.filter((identity) => !isSelfApproval(identity, { actor, onBehalfOf })),
  ) as string[];
  lastApprovers.set(eligible, { actor, onBehalfOf, approvers });
  return approvers;
}

/** The request a key or id named, if it is for this exact call; else what differs. */
function reattach(existing: ApprovalRequest, prepared: Prepared, key: string): ApprovalRequest {
  const differs: string[] = [];
  if (existing.actor !== prepared.actor) differs.push('actor');
  if (existing.sessionId !== prepared.sessionId) differs.push('session');
  if (existing.onBehalfOf !== prepared.onBehalfOf) differs.push('onBehalfOf');
  if (existing.action.name !== prepared.name) differs.push('action name');
  if (existing.action.resource !== prepared.action.resource) differs.push('resource');
  if (existing.action.paramsHash !== prepared.action.paramsHash) differs.push('params');
  if (riskier(prepared, existing)) differs.push('risk (declared higher than the request was asked at)');
  if (differs.length === 0 && existing.fingerprint !== prepared.fingerprint) differs.push('fingerprint');
  if (differs.length > 0) throw new IdempotencyConflictError(key, existing.id, differs);
  return existing;
}
