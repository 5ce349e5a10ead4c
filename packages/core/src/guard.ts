// guard(): the one path every privileged call takes, from checked input to its outcome.
import { ApprovalWait } from './approval-wait.js';
import { conditionDetail } from './conditions.js';
import { ApprovalCancelledError, PolicyDeniedError } from './errors.js';
import { runGranted } from './granted-run.js';
import type { Grant } from './grants.js';
import type { Narrowed } from './param-edits.js';
import type { PolicyDecision, Risk } from './policy.js';
import { type Mode, type Prepared, prepare, subjectDraft, ttl } from './prepared-call.js';
import { mayReuse, useWindow } from './reuse-windows.js';
import { decideCall, type RoutedDecision } from './risk-routing.js';
import type { Runtime } from './runtime.js';

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
  /** `narrowed` is set when an approver approved narrower params (rule `editable`): use them. */
  run: (grant: Grant, narrowed?: Narrowed) => T | Promise<T>;
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
    const decision = decideCall(runtime, prepared);
    if (decision.effect === 'deny') return denyByPolicy(runtime, prepared, decision);
    if (decision.effect === 'allow') {
      if (mode === 'open') return Promise.resolve({ status: 'allowed', ruleId: decision.ruleId } as Opened);
      const grantTtlMs = ttl(decision.rule?.grantTtl, runtime.options.grantTtlMs);
      return runGranted(runtime, prepared, null, decision.ruleId, grantTtlMs);
    }
    if (mayReuse(runtime, prepared, decision.ruleId)) return reuseOrWait(runtime, prepared, decision);
    return ApprovalWait.open(runtime, prepared, decision);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Runs at once on a live reuse window the call matches (audited `reused`), else asks as usual. */
async function reuseOrWait(runtime: Runtime, prepared: Prepared, decision: RoutedDecision): Promise<unknown> {
  const risk = decision.route?.risk ?? decision.rule?.risk ?? prepared.risk ?? 'medium';
  const window = await useWindow(runtime, prepared, decision.ruleId, risk);
  if (window === null) return ApprovalWait.open(runtime, prepared, decision);
  const grantTtlMs = ttl(decision.rule?.grantTtl, runtime.options.grantTtlMs);
  return runGranted(runtime, prepared, null, decision.ruleId, grantTtlMs);
}

async function denyByPolicy(runtime: Runtime, prepared: Prepared, decision: PolicyDecision): Promise<never> {
  const draft = subjectDraft(runtime, 'policy_denied', prepared, decision.ruleId);
  const detail = conditionDetail(decision);
  await runtime.append([detail === null ? draft : { ...draft, detail }], null);
  throw new PolicyDeniedError(prepared.name, decision.ruleId);
}
