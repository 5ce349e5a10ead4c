// A click's decision recorded through core, and each refusal core makes told to the clicker in plain words.
import { isCountersignError, type TransportHost } from '@countersign/core';
import type { TeamsTransportLogger } from './call-error.js';
import type { ClickOutcome } from './click-outcome.js';
import { alreadyDecided, did, SAY } from './clicker-messages.js';
import { describeError } from './describe-error.js';
import { PREFIX } from './options.js';

/** A decision a click asks for, its approver already resolved. */
export interface ClickDecision {
  requestId: string;
  approver: string;
  outcome: 'approve' | 'deny';
  /** The reason typed on the card, if any. */
  reason: string | null;
  justThisCall: boolean;
}

export async function recordDecision(
  host: TransportHost,
  logger: TeamsTransportLogger,
  { requestId, approver, outcome, reason, justThisCall }: ClickDecision,
): Promise<ClickOutcome> {
  try {
    const result = await host.decide(requestId, {
      approver,
      outcome,
      comment: reason === null || reason.length === 0 ? undefined : reason,
      via: 'teams',
      ...(justThisCall ? { justThisCall: true } : {}),
    });
    return { card: result.request, viewer: { canDecide: false, note: did(outcome) } };
  } catch (error) {
    const code = isCountersignError(error) ? error.code : null;
    switch (code) {
      case 'self_approval':
        return { message: SAY.self };
      case 'not_eligible':
        return { message: SAY.notEligible };
      case 'already_voted':
        return { message: SAY.voted };
      case 'already_decided':
        return { message: alreadyDecided((error as { status?: string }).status ?? 'settled') };
      case 'request_not_found':
        return { message: SAY.notFound };
      case 'invalid_input':
        // The only input a click can get wrong: a comment the rule requires, left blank.
        if (/requires a comment/.test((error as Error).message)) return { message: SAY.commentRequired };
        // e.g. resolveApprover gave an identity core does not accept.
        logger.error(
          `[countersign] ${PREFIX} core refused the decision on ${requestId} as invalid: ${describeError(error)}`,
        );
        return { message: SAY.failed };
      default:
        logger.error(
          `[countersign] ${PREFIX} recording a decision on ${requestId} failed: ${describeError(error)}`,
        );
        return { message: SAY.failed };
    }
  }
}
