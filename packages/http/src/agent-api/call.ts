// The agent API's wire types: what `/v1/calls` accepts and answers (docs/agent-api.md).

/** A call's state as the agent API reports it. */
export type CallStatus = 'allowed' | 'pending' | 'approved' | 'denied' | 'running' | 'executed' | 'failed';

/** The body of `POST /v1/calls`: a guard's action and context, without the actor (the token says who). */
export interface OpenCallBody {
  action: {
    name: string;
    resource?: string | undefined;
    params?: Record<string, unknown> | undefined;
    risk?: string | undefined;
  };
  reason: string;
  sessionId: string;
  idempotencyKey?: string | undefined;
  onBehalfOf?: string | undefined;
}

/** The grant a claim issues: shown once, in the claim's answer only. */
export interface ClaimedGrant {
  id: string;
  /** The single-use grant token; a guarded command gets it as `COUNTERSIGN_GRANT_TOKEN`. */
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** Just-in-time credentials from the rule's broker, by the broker's names; null without a broker. */
  credentials: Record<string, string> | null;
}

/** Every answer of `/v1/calls`. */
export interface AgentCall {
  callId: string;
  status: CallStatus;
  /** The approval request, for calls that need one. */
  requestId: string | null;
  /** Decision deadline while pending, claim deadline once approved, grant expiry while running (ms). */
  expiresAt: number | null;
  approvals: { count: number; required: number } | null;
  /** Why a call is denied (`policy_denied`, `approval_denied`, `approval_expired`, …); else null. */
  code: string | null;
  /** `describeOutcome()`'s text: what to tell the model or the person. */
  message: string;
  /** Where a person decides it, when the server knows its public URL. */
  approvalUrl: string | null;
  /** Only in a claim's answer. */
  grant: ClaimedGrant | null;
}

/** The body of `POST /v1/calls/:id/outcome`. */
export interface OutcomeBody {
  status: 'executed' | 'failed';
  detail?: string | undefined;
}

/** Longest `?wait=` the server holds a request for, in seconds. */
export const MAX_WAIT_SECONDS = 60;
