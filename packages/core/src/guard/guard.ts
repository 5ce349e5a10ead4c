// guard(): the one path every privileged call takes, from checked input to its outcome.

import { ApprovalCancelledError, PolicyDeniedError } from '../lib/errors.js';
import type { GuardAction, GuardContext, Mode, Opened, Prepared } from '../model/call.js';
import { conditionDetail } from '../policy/conditions.js';
import type { PolicyDecision, RoutedDecision } from '../policy/policy.js';
import type { Runtime } from '../runtime/runtime.js';
import { ApprovalWait } from './approval-wait.js';
import { decideCall } from './decide.js';
import { runGranted } from './granted-run.js';
import { prepare, subjectDraft, ttl } from './prepared-call.js';

/**
 * The guard's promise, rejected rather than thrown: bad input, an aborted signal or a policy
 * denial never runs the action, whichever way it is reported.
 */
export function guard<T>(runtime: Runtime, action: GuardAction<T>, context: GuardContext): Promise<T> {
  return guardCall(runtime, action, context, 'run') as Promise<T>;
}

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
    if (runtime.options.features.mayBypass(runtime, prepared, decision.ruleId))
      return reuseOrWait(runtime, prepared, decision);
    return ApprovalWait.open(runtime, prepared, decision);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Runs at once when an earlier approval covers the call (a reuse window, audited), else asks as usual. */
async function reuseOrWait(runtime: Runtime, prepared: Prepared, decision: RoutedDecision): Promise<unknown> {
  const risk = decision.route?.risk ?? decision.rule?.risk ?? prepared.risk ?? 'medium';
  const covered = await runtime.options.features.bypass(runtime, prepared, decision.ruleId, risk);
  if (!covered) return ApprovalWait.open(runtime, prepared, decision);
  const grantTtlMs = ttl(decision.rule?.grantTtl, runtime.options.grantTtlMs);
  return runGranted(runtime, prepared, null, decision.ruleId, grantTtlMs);
}

async function denyByPolicy(runtime: Runtime, prepared: Prepared, decision: PolicyDecision): Promise<never> {
  const draft = subjectDraft(runtime, 'policy_denied', prepared, decision.ruleId);
  const detail = conditionDetail(decision);
  await runtime.append([detail === null ? draft : { ...draft, detail }], null);
  throw new PolicyDeniedError(prepared.name, decision.ruleId);
}
