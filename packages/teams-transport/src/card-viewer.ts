// The card's view for one person: buttons only if they may still decide, else why not.
import { type ApprovalRequest, decisionProblem } from '@countersign/core';
import type { CardViewer } from './card.js';
import { SAY } from './clicker-messages.js';

export function viewerFor(request: ApprovalRequest, approver: string, now: number): CardViewer {
  const problem = decisionProblem(request, approver, now);
  if (problem === null) return { canDecide: true };
  const note: Record<typeof problem, string | undefined> = {
    not_pending: undefined,
    expired: undefined,
    self_approval: 'You cannot decide this request: it was made by you or on your behalf.',
    not_eligible: 'You are not an approver for this request.',
    already_voted: SAY.voted,
  };
  return { canDecide: false, note: note[problem] };
}
