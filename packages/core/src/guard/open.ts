// open() and check(): the guard path without running, for callers that pause and resume.

import { isCountersignError } from '../lib/errors.js';
import { readMembers } from '../lib/input.js';
import { emptyDraft } from '../model/audit.js';
import type { GuardAction, GuardContext, Opened } from '../model/call.js';
import { ACTION_KEYS } from '../model/schemas.js';
import { describeOutcome } from '../present/outcome.js';
import type { Runtime } from '../runtime/runtime.js';
import { decideCall } from './decide.js';
import { guardCall } from './guard.js';
import { prepareCall } from './prepared-call.js';

/** The call to open or check: a guard action without `run`. */
export type OpenAction = Omit<GuardAction<unknown>, 'run'>;

/** The context of `open()`: a guard context; `wait` does not apply (open never waits). */
export type OpenContext = Omit<GuardContext, 'wait'>;

/**
 * What `open()` found. `denied` is final for this call: the policy denies it, or its request was
 * denied, expired, cancelled or already used (`code` says which, as `describeOutcome` reads it).
 */
export type OpenResult =
  | Opened
  | {
      status: 'denied';
      code: string;
      reason: string;
      ruleId: string | null;
      requestId: string | null;
      comment: string | null;
    };

/** Codes that end a call for good, which `open()` reports as `denied` instead of throwing. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  'policy_denied',
  'no_eligible_approvers',
  'approval_denied',
  'approval_expired',
  'approval_cancelled',
  'delivery_failed',
  'already_started',
]);

const NEVER_RUN = () => {
  throw new Error('open() never runs an action');
};

/**
 * Evaluates policy and creates, re-attaches and delivers the request, and returns without waiting
 * or running. Bad input, store failures and conflicts still throw.
 */
export async function openCall(
  runtime: Runtime,
  action: OpenAction,
  context: OpenContext,
): Promise<OpenResult> {
  try {
    return (await guardCall(runtime, withoutRun(action), context, 'open')) as Opened;
  } catch (error) {
    if (!isCountersignError(error) || !FINAL_CODES.has(error.code)) throw error;
    const detail = error as { ruleId?: unknown; comment?: unknown };
    return {
      status: 'denied',
      code: error.code,
      reason: describeOutcome(error).message,
      ruleId: typeof detail.ruleId === 'string' ? detail.ruleId : null,
      requestId: error.requestId ?? null,
      comment: typeof detail.comment === 'string' ? detail.comment : null,
    };
  }
}

/** What `check()` says: the policy's effect for the call and the rule that decided it. */
export interface CheckResult {
  effect: 'allow' | 'deny' | 'require_approval';
  ruleId: string | null;
  reason: string;
}

/**
 * The policy's decision for a call, validated like a guard's input. Unlike `explain()`, a denial
 * is audited (`policy_denied`, detail `pre-check`): a framework's approval hook is a real attempt.
 */
export async function checkCall(
  runtime: Runtime,
  action: OpenAction,
  context: OpenContext,
): Promise<CheckResult> {
  const prepared = prepareCall(runtime, withoutRun(action), context);
  const decision = decideCall(runtime, prepared);
  if (decision.effect === 'deny') {
    await runtime.append(
      [
        {
          ...emptyDraft('policy_denied', runtime.now()),
          actor: prepared.actor,
          onBehalfOf: prepared.onBehalfOf,
          sessionId: prepared.sessionId,
          action: prepared.action,
          fingerprint: prepared.fingerprint,
          ruleId: decision.ruleId,
          reason: prepared.reason,
          detail: 'pre-check',
        },
      ],
      null,
    );
    return { effect: 'deny', ruleId: decision.ruleId, reason: describeOutcome({ status: 'denied' }).message };
  }
  if (decision.effect === 'allow')
    return { effect: 'allow', ruleId: decision.ruleId, reason: 'allowed by policy' };
  return {
    effect: 'require_approval',
    ruleId: decision.ruleId,
    reason: `needs ${decision.route?.quorum ?? decision.rule?.quorum ?? 1} approval(s) under rule "${decision.ruleId}"`,
  };
}

/** The action read once, member by member (a spread would run its getters unguarded), with a `run` that never runs. */
function withoutRun(action: OpenAction): GuardAction<unknown> {
  const members = readMembers(action, ACTION_KEYS, 'action');
  return { ...members, run: NEVER_RUN } as unknown as GuardAction<unknown>;
}
