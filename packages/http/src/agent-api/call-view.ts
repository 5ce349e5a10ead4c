// A call as the agent API answers it: from its request in the store, and what this process holds.
import {
  type ApprovalRequest,
  approvalsOf,
  claimDeadline,
  describeOutcome,
  inboxRequestUrl,
} from '@countersign/core';
import type { AgentCall, CallStatus, ClaimedGrant } from './call.js';
import type { HeldCall } from './call-registry.js';

const RUNNING = 'Claimed: the action may run now with its single-use grant; report its outcome when it ends.';
const EXECUTED = 'Done: the action ran and its outcome is recorded.';
const FAILED =
  'The action failed or reported no outcome in time; its failure is recorded and its grant revoked.';

/** The call `held` and/or `request` describe; `request` (the store's) wins where both speak. */
export function viewCall(
  callId: string,
  held: HeldCall | undefined,
  request: ApprovalRequest | null,
  publicUrl: string | undefined,
  grant: ClaimedGrant | null = null,
): AgentCall {
  if (request !== null) return requestView(callId, held, request, publicUrl, grant);
  const call = held as HeldCall;
  const base = {
    callId,
    requestId: null,
    approvals: null,
    approvalUrl: null,
    grant,
  };
  switch (call.phase) {
    case 'denied': {
      const denial = call.denial ?? {
        code: 'policy_denied',
        message: describeOutcome({ status: 'denied' }).text,
      };
      return { ...base, status: 'denied', expiresAt: null, code: denial.code, message: denial.message };
    }
    case 'open':
      return {
        ...base,
        status: 'allowed',
        expiresAt: call.expiresAt,
        code: null,
        message: describeOutcome({ status: 'allowed' }).text,
      };
    case 'claiming':
    case 'running':
      return { ...base, status: 'running', expiresAt: call.expiresAt, code: null, message: RUNNING };
    case 'executed':
      return { ...base, status: 'executed', expiresAt: null, code: null, message: EXECUTED };
    case 'failed':
      return { ...base, status: 'failed', expiresAt: null, code: null, message: FAILED };
  }
}

function requestView(
  callId: string,
  held: HeldCall | undefined,
  request: ApprovalRequest,
  publicUrl: string | undefined,
  grant: ClaimedGrant | null,
): AgentCall {
  const status = requestStatus(request);
  const code = denialCode(request);
  const comment = request.decisions.find((decision) => decision.outcome === 'deny')?.comment ?? null;
  let message: string;
  let expiresAt: number | null = null;
  switch (status) {
    case 'pending':
      expiresAt = request.expiresAt;
      message = describeOutcome({ status: 'pending' }).text;
      break;
    case 'approved':
      expiresAt = claimDeadline(request);
      message = describeOutcome({ status: 'approved' }).text;
      break;
    case 'running':
      // This process's grant expiry; another's is known only as the latest moment it can end.
      expiresAt = held?.expiresAt ?? claimDeadline(request) + request.grantTtlMs;
      message = RUNNING;
      break;
    case 'denied':
      message = describeOutcome({ status: 'denied', code, comment }).text;
      break;
    case 'executed':
      message = EXECUTED;
      break;
    default:
      message = FAILED;
  }
  return {
    callId,
    status,
    requestId: request.id,
    expiresAt,
    approvals: { count: approvalsOf(request).length, required: request.quorum },
    code: status === 'denied' ? code : null,
    message,
    approvalUrl: publicUrl === undefined ? null : inboxRequestUrl(publicUrl, request.id),
    grant,
  };
}

function requestStatus(request: ApprovalRequest): CallStatus {
  switch (request.status) {
    case 'pending':
      return 'pending';
    case 'approved':
      return request.grantId === null ? 'approved' : 'running';
    case 'executed':
      return 'executed';
    case 'failed':
      return 'failed';
    default:
      return 'denied';
  }
}

function denialCode(request: ApprovalRequest): string {
  switch (request.status) {
    case 'denied':
      return 'approval_denied';
    case 'expired':
      return 'approval_expired';
    case 'cancelled':
      return request.closedReason === 'delivery failed' ? 'delivery_failed' : 'approval_cancelled';
    default:
      return 'approval_denied';
  }
}
