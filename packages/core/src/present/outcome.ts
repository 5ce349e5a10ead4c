// describeOutcome(): what a language model should be told about any countersign outcome.
import { ErrorCode, isCountersignError } from '../lib/errors.js';

/**
 * What to tell a model. `final`: do not retry (denied by policy or by a person, already run, bad
 * arguments); otherwise the same call may succeed later (pending, expired, delivery failed).
 * `message` never carries request ids, grant ids, identities or params.
 */
export interface OutcomeDescription {
  code: string;
  final: boolean;
  message: string;
  /** What the person who denied it said (scrubbed of secrets), when they said something. */
  comment?: string;
  /** `message`, then the reviewer's comment when there is one: the one text a model should read. */
  text: string;
}

const DESCRIPTIONS: Readonly<Record<string, { final: boolean; message: string }>> = {
  [ErrorCode.PolicyDenied]: {
    final: true,
    message: 'Denied by policy: this action is not permitted. Do not retry it; tell the user.',
  },
  [ErrorCode.NoEligibleApprovers]: {
    final: true,
    message: 'Nobody is eligible to approve this action, so it cannot run. Do not retry it; tell the user.',
  },
  [ErrorCode.ApprovalDenied]: {
    final: true,
    message: 'A person reviewed this action and denied it. Do not retry it; tell the user.',
  },
  [ErrorCode.ApprovalExpired]: {
    final: false,
    message:
      'Nobody approved this action in time, so it did not run. Ask again later only if it is still needed.',
  },
  [ErrorCode.ApprovalCancelled]: {
    final: false,
    message:
      'The approval request was cancelled, so the action did not run. Ask again only if it is still needed.',
  },
  [ErrorCode.ApprovalPending]: {
    final: false,
    message:
      'The action is waiting for a person to approve it and has not run. Do not repeat the call with other arguments; it runs once approved.',
  },
  [ErrorCode.DeliveryFailed]: {
    final: false,
    message: 'The approval request could not reach any approver, so the action did not run. Try again later.',
  },
  [ErrorCode.TooManyPending]: {
    final: false,
    message:
      'Too many approval requests are already waiting. Wait for them to be decided before asking again.',
  },
  [ErrorCode.AlreadyStarted]: {
    final: true,
    message: 'This approval was already used: an approved action runs at most once. Do not retry it.',
  },
  [ErrorCode.IdempotencyConflict]: {
    final: true,
    message: 'This call differs from the one that was approved; it needs its own approval.',
  },
  [ErrorCode.InvalidInput]: {
    final: true,
    message: 'The call was rejected because its arguments are invalid; it did not run.',
  },
  [ErrorCode.GrantRefused]: {
    final: true,
    message: 'The grant for this call was refused; the action did not run.',
  },
  [ErrorCode.CredentialFailed]: {
    final: false,
    message: 'The credentials for this action could not be issued, so it did not run. Try again later.',
  },
  [ErrorCode.OutcomeNotRecorded]: {
    final: true,
    message: 'The action ran, but its outcome could not be recorded. Do not retry it blindly; tell the user.',
  },
};

/** An approval nobody ran in time: it was approved, so "nobody approved" would mislead. */
const LAPSED = {
  final: false,
  message:
    'The action was approved but not run in time, so the approval lapsed. Ask again if it is still needed.',
};

const UNAVAILABLE = {
  final: false,
  message: 'The approval service could not complete its checks, so the action did not run. Try again later.',
};

/**
 * Turns any countersign outcome (an error from `guard`, or a result of `open`) into what a model
 * should see. Every framework adapter reports denials and pauses through it.
 */
export function describeOutcome(outcome: unknown): OutcomeDescription {
  const described = describe(outcome);
  const text = described.comment
    ? `${described.message} The reviewer said: ${JSON.stringify(described.comment)}`
    : described.message;
  return { ...described, text };
}

function describe(outcome: unknown): Omit<OutcomeDescription, 'text'> {
  if (isCountersignError(outcome)) {
    const known =
      (outcome as { lapsed?: unknown }).lapsed === true
        ? LAPSED
        : (DESCRIPTIONS[outcome.code] ?? UNAVAILABLE);
    const comment = (outcome as { comment?: unknown }).comment;
    return typeof comment === 'string' && comment.length > 0
      ? { code: outcome.code, ...known, comment }
      : { code: outcome.code, ...known };
  }
  if (typeof outcome === 'object' && outcome !== null && 'status' in outcome) {
    const result = outcome as { status: unknown; code?: unknown; comment?: unknown };
    switch (result.status) {
      case 'allowed':
        return { code: 'allowed', final: true, message: 'Allowed by policy.' };
      case 'approved':
        return { code: 'approved', final: true, message: 'Approved: the call can run now.' };
      case 'pending':
        return { code: ErrorCode.ApprovalPending, ...DESCRIPTIONS[ErrorCode.ApprovalPending]! };
      case 'denied': {
        const code = typeof result.code === 'string' ? result.code : ErrorCode.PolicyDenied;
        const known = DESCRIPTIONS[code] ?? UNAVAILABLE;
        return typeof result.comment === 'string' && result.comment.length > 0
          ? { code, ...known, comment: result.comment }
          : { code, ...known };
      }
    }
  }
  if (outcome instanceof Error) {
    return { code: 'action_failed', final: false, message: 'The action itself failed after it was allowed.' };
  }
  return { code: 'ok', final: true, message: 'Done.' };
}
