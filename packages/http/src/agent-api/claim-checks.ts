// What a claim checks before `guard()` is asked, and how refusals of open and claim are answered.
import { type ApprovalRequest, claimDeadline, describeOutcome, isCountersignError } from '@countersign/core';
import { errorResponse } from '../error-status.js';
import { problem } from '../problem.js';
import { type HeldCall, TooManyCallsError } from './call-registry.js';
import { viewCall } from './call-view.js';

/** Codes a claim reports as they are: the call can never be claimed now. */
const FINAL = new Set([
  'policy_denied',
  'no_eligible_approvers',
  'approval_denied',
  'approval_expired',
  'approval_cancelled',
  'delivery_failed',
]);

export function claimRefusal(
  request: ApprovalRequest,
  held: HeldCall | undefined,
  now: number,
  publicUrl: string | undefined,
): Response | null {
  switch (request.status) {
    case 'pending':
      if (request.expiresAt <= now) {
        return problem(409, 'approval_expired', `call ${request.id} was not approved before its deadline`);
      }
      return problem(409, 'not_approved', `call ${request.id} is still waiting for approval`);
    case 'approved':
      if (request.grantId !== null || (held !== undefined && held.phase !== 'open')) {
        return problem(
          409,
          'already_claimed',
          `call ${request.id} was already claimed: a grant is issued once`,
        );
      }
      if (claimDeadline(request) <= now) {
        return problem(
          409,
          'approval_expired',
          `the approval of call ${request.id} was not claimed before its claim deadline`,
        );
      }
      return null;
    case 'executed':
    case 'failed':
      return problem(409, 'already_claimed', `call ${request.id} was already claimed and has ended`);
    default: {
      const view = viewCall(request.id, held, request, publicUrl);
      return problem(409, view.code ?? 'approval_denied', view.message);
    }
  }
}

/** A call rebuilt from its request, when the request holds its params exactly (nothing redacted). */
export function fromRequest(request: ApprovalRequest, now: number): HeldCall | null {
  if (request.action.redactedPaths.length > 0) return null;
  return {
    callId: request.id,
    actor: request.actor,
    sessionId: request.sessionId,
    reason: request.reason,
    onBehalfOf: request.onBehalfOf,
    idempotencyKey: null,
    action: {
      name: request.action.name,
      resource: request.action.resource,
      params: request.action.params,
      risk: request.risk,
    },
    requestId: request.id,
    phase: 'open',
    denial: null,
    expiresAt: null,
    settle: null,
    finished: null,
    touchedAt: now,
  };
}

export function openFailure(error: unknown): Response {
  if (error instanceof TooManyCallsError) return problem(429, 'too_many_calls', error.message);
  if (isCountersignError(error)) {
    const detail = error.message.replace(/^\[countersign\] /, '');
    if (error.code === 'invalid_input') return problem(400, 'invalid_input', detail, { field: 'action' });
    if (error.code === 'too_many_pending') return problem(429, 'too_many_pending', detail);
    if (error.code === 'idempotency_conflict') return problem(409, 'idempotency_conflict', detail);
  }
  return errorResponse(error);
}

export function claimFailure(error: unknown, id: string): Response {
  if (isCountersignError(error)) {
    const detail = error.message.replace(/^\[countersign\] /, '');
    if (error.code === 'already_started')
      return problem(409, 'already_claimed', `call ${id} was already claimed: a grant is issued once`);
    if (error.code === 'approval_pending')
      return problem(409, 'not_approved', `call ${id} needs approval before it can be claimed`);
    if (FINAL.has(error.code)) return problem(409, error.code, describeOutcome(error).text);
    if (error.code === 'credential_failed') {
      return problem(
        503,
        'credential_failed',
        'the credential broker could not issue credentials; nothing ran and the call is recorded as failed',
      );
    }
    if (error.code === 'invalid_input') return problem(409, 'call_mismatch', detail);
  }
  return errorResponse(error);
}
