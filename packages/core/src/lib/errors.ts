// Every error countersign throws: one base class, stable codes, messages that say what to do.
/** Stable error codes. Match on `code`, never on message text. */
export const ErrorCode = {
  InvalidInput: 'invalid_input',
  InvalidConfig: 'invalid_config',
  PolicyDenied: 'policy_denied',
  NoEligibleApprovers: 'no_eligible_approvers',
  ApprovalDenied: 'approval_denied',
  ApprovalExpired: 'approval_expired',
  ApprovalCancelled: 'approval_cancelled',
  DeliveryFailed: 'delivery_failed',
  StoreFailed: 'store_failed',
  CorruptRecord: 'corrupt_record',
  RequestNotFound: 'request_not_found',
  AlreadyDecided: 'already_decided',
  AlreadyVoted: 'already_voted',
  SelfApproval: 'self_approval',
  NotEligible: 'not_eligible',
  IdempotencyConflict: 'idempotency_conflict',
  AlreadyStarted: 'already_started',
  GrantRefused: 'grant_refused',
  OutcomeNotRecorded: 'outcome_not_recorded',
  Closed: 'closed',
  ApprovalPending: 'approval_pending',
  TooManyPending: 'too_many_pending',
  CredentialFailed: 'credential_failed',
  BatchRefused: 'batch_refused',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const BRAND = Symbol.for('countersign.error');

export interface CountersignErrorOptions {
  cause?: unknown;
  requestId?: string | undefined;
}

/**
 * Base of every error countersign throws. Check with `isCountersignError(e)` rather than
 * `instanceof`: it survives two copies of the package in one process.
 */
export class CountersignError extends Error {
  readonly code: ErrorCode;
  readonly requestId: string | undefined;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: CountersignErrorOptions = {}) {
    super(`[countersign] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.requestId = options.requestId;
  }
}

export function isCountersignError(value: unknown, code?: ErrorCode): value is CountersignError {
  try {
    if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
    return code === undefined || (value as CountersignError).code === code;
  } catch {
    // A proxy whose traps throw is no countersign error.
    return false;
  }
}

export class ValidationError extends CountersignError {
  readonly issues: readonly string[];
  constructor(what: string, issues: readonly string[], options?: CountersignErrorOptions) {
    super(ErrorCode.InvalidInput, `invalid ${what}: ${issues.join('; ')}`, options);
    this.issues = issues;
  }
}

export class ConfigError extends CountersignError {
  constructor(message: string, options?: CountersignErrorOptions) {
    super(ErrorCode.InvalidConfig, message, options);
  }
}

export class PolicyDeniedError extends CountersignError {
  readonly ruleId: string;
  constructor(action: string, ruleId: string) {
    super(ErrorCode.PolicyDenied, `policy denies "${action}" (rule "${ruleId}")`);
    this.ruleId = ruleId;
  }
}

export class NoEligibleApproversError extends CountersignError {
  readonly ruleId: string;
  constructor(action: string, ruleId: string, eligible: number, quorum: number) {
    super(
      ErrorCode.NoEligibleApprovers,
      `"${action}" needs ${quorum} approver(s) under rule "${ruleId}" but only ${eligible} are eligible once the actor and the person it acts for are excluded; add approvers to the rule`,
    );
    this.ruleId = ruleId;
  }
}

export class ApprovalDeniedError extends CountersignError {
  readonly deniedBy: string | null;
  readonly comment: string | null;
  constructor(requestId: string, deniedBy: string | null, comment: string | null) {
    const by = deniedBy ? ` by ${deniedBy}` : '';
    const why = comment ? `: ${comment}` : '';
    super(ErrorCode.ApprovalDenied, `request ${requestId} was denied${by}${why}`, { requestId });
    this.deniedBy = deniedBy;
    this.comment = comment;
  }
}

export class ApprovalExpiredError extends CountersignError {
  /** True when it was approved, but nobody ran it within the grant lifetime that followed. */
  readonly lapsed: boolean;
  constructor(requestId: string, lapsed = false) {
    super(
      ErrorCode.ApprovalExpired,
      lapsed
        ? `request ${requestId} was approved but not run within its grant lifetime; ask again`
        : `request ${requestId} expired before enough approvals arrived`,
      { requestId },
    );
    this.lapsed = lapsed;
  }
}

export class ApprovalCancelledError extends CountersignError {
  constructor(requestId: string | null, why: string, options?: CountersignErrorOptions) {
    const subject = requestId ? `request ${requestId}` : 'the call';
    super(ErrorCode.ApprovalCancelled, `${subject} was cancelled: ${why}`, {
      ...options,
      requestId: requestId ?? undefined,
    });
  }
}

export class DeliveryError extends CountersignError {
  readonly failures: readonly { transport: string; error: unknown }[];
  constructor(requestId: string, failures: readonly { transport: string; error: unknown }[]) {
    const names = failures.map((f) => `${f.transport} (${describe(f.error)})`).join(', ');
    super(ErrorCode.DeliveryFailed, `no transport could deliver request ${requestId}: ${names}`, {
      requestId,
      cause: failures[0]?.error,
    });
    this.failures = failures;
  }
}

export class StoreError extends CountersignError {
  constructor(operation: string, cause: unknown) {
    super(ErrorCode.StoreFailed, `store failed during ${operation}: ${describe(cause)}`, { cause });
  }
}

export class CorruptRecordError extends CountersignError {
  constructor(what: string, issues: readonly string[]) {
    super(ErrorCode.CorruptRecord, `the store returned an invalid ${what}: ${issues.join('; ')}`);
  }
}

export class RequestNotFoundError extends CountersignError {
  constructor(requestId: string) {
    super(ErrorCode.RequestNotFound, `no approval request with id ${requestId}`, { requestId });
  }
}

export class AlreadyDecidedError extends CountersignError {
  readonly status: string;
  constructor(requestId: string, status: string) {
    super(
      ErrorCode.AlreadyDecided,
      `request ${requestId} is already ${status}; the decision changes nothing`,
      {
        requestId,
      },
    );
    this.status = status;
  }
}

export class AlreadyVotedError extends CountersignError {
  constructor(requestId: string, approver: string) {
    super(ErrorCode.AlreadyVoted, `${approver} has already decided on request ${requestId}`, { requestId });
  }
}

export class SelfApprovalError extends CountersignError {
  constructor(requestId: string, approver: string) {
    super(
      ErrorCode.SelfApproval,
      `${approver} cannot decide request ${requestId}: it is the actor or the person the actor acts for`,
      { requestId },
    );
  }
}

export class NotEligibleError extends CountersignError {
  constructor(requestId: string, approver: string) {
    super(ErrorCode.NotEligible, `${approver} is not an eligible approver for request ${requestId}`, {
      requestId,
    });
  }
}

export class IdempotencyConflictError extends CountersignError {
  /** What differs between the call and the request the key (or id) names. */
  readonly differs: readonly string[];
  constructor(key: string, requestId: string, differs: readonly string[] = ['action, resource or params']) {
    super(
      ErrorCode.IdempotencyConflict,
      `"${key}" already belongs to request ${requestId} for a call with a different ${differs.join(', ')}; use a new idempotency key`,
      { requestId },
    );
    this.differs = differs;
  }
}

/**
 * The request is waiting for people (`wait: false`, or a detached wait). Nothing ran; call again
 * later with the same idempotency key or `requestId` to run it once approved.
 */
export class ApprovalPendingError extends CountersignError {
  readonly expiresAt: number;
  declare readonly requestId: string;
  constructor(requestId: string, expiresAt: number) {
    super(
      ErrorCode.ApprovalPending,
      `request ${requestId} is waiting for approval until ${new Date(expiresAt).toISOString()}; call again with the same idempotency key or requestId to run it once approved`,
      { requestId },
    );
    this.expiresAt = expiresAt;
  }
}

/** The actor already has as many pending requests as `maxPendingPerActor` allows. */
export class TooManyPendingError extends CountersignError {
  readonly actor: string;
  readonly limit: number;
  constructor(actor: string, limit: number) {
    super(
      ErrorCode.TooManyPending,
      `${actor} already has ${limit} pending approval requests (maxPendingPerActor); wait for them to be decided before asking again`,
    );
    this.actor = actor;
    this.limit = limit;
  }
}

export class AlreadyStartedError extends CountersignError {
  constructor(requestId: string, status: string) {
    super(
      ErrorCode.AlreadyStarted,
      `request ${requestId} was already used to run its action (status ${status}); an approval runs its action at most once`,
      { requestId },
    );
  }
}

export const GrantRefusal = {
  Unknown: 'unknown',
  Consumed: 'consumed',
  Revoked: 'revoked',
  Expired: 'expired',
  ActionMismatch: 'action_mismatch',
  SessionMismatch: 'session_mismatch',
} as const;
export type GrantRefusal = (typeof GrantRefusal)[keyof typeof GrantRefusal];

export class GrantRefusedError extends CountersignError {
  readonly reason: GrantRefusal;
  constructor(reason: GrantRefusal, grantId: string | null) {
    super(ErrorCode.GrantRefused, `grant ${grantId ?? '(unknown)'} refused: ${reason.replace('_', ' ')}`);
    this.reason = reason;
  }
}

/**
 * The action ran but its outcome could not be recorded. `cause` is the action's own error when it
 * threw (else the recording error); `recordError` is why recording failed.
 */
export class OutcomeNotRecordedError extends CountersignError {
  readonly recordError: unknown;
  constructor(requestId: string | null, cause: unknown, recordError: unknown = cause) {
    super(
      ErrorCode.OutcomeNotRecorded,
      `the action ran but its outcome could not be recorded${requestId ? ` for request ${requestId}` : ''} (${describe(recordError)}); do not retry it blindly`,
      { cause, requestId: requestId ?? undefined },
    );
    this.recordError = recordError;
  }
}

/**
 * A rule's credential broker could not issue credentials for a grant. Nothing ran: the grant was
 * revoked and whatever the broker had made was revoked too.
 */
export class CredentialError extends CountersignError {
  readonly broker: string;
  constructor(broker: string, grantId: string, why: string, options?: CountersignErrorOptions) {
    super(
      ErrorCode.CredentialFailed,
      `credential broker "${broker}" could not issue credentials for grant ${grantId} (${why}); the action did not run, check the broker's connection and privileges`,
      options,
    );
    this.broker = broker;
  }
}

export class BatchRefusedError extends CountersignError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      ErrorCode.BatchRefused,
      `the batch was refused and nothing was decided: ${problems.join('; ')}. Remove those requests, or decide them on their own`,
    );
    this.problems = problems;
  }
}

export class ClosedError extends CountersignError {
  constructor() {
    super(ErrorCode.Closed, 'this countersign instance is closed');
  }
}

/** Words for any thrown value: a null-prototype object or a throwing toString must not throw here. */
function describe(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    return String(error);
  } catch {
    return `an unprintable ${error === null ? 'null' : typeof error} was thrown`;
  }
}
