// What the person who clicked is told; shown only to them.

/**
 * Refusals the transport audits itself (`wrongCard` … `unmapped`) say nothing of the audit here:
 * `refusalMessage` adds whether it was written. `self` and `notEligible` are audited by core
 * before it throws, so they can say so.
 */
export const SAY = {
  notFound: 'This approval request no longer exists. Nothing was recorded.',
  wrongCard: 'This card does not belong to the request it names. Nothing was recorded.',
  otherTenant: 'This bot accepts decisions from its own organisation only.',
  noAccount: 'Only people signed in to your organisation can decide approval requests.',
  unmapped: 'Your Teams account is not linked to an approver identity, so you cannot decide this request.',
  self: 'You cannot decide this request: it was made by you or on your behalf. The attempt was audited.',
  notEligible: 'You are not an approver for this request. The attempt was audited.',
  voted: 'You have already decided on this request.',
  replayed: 'This click was already processed; nothing else changed.',
  recording: 'Your decision is being recorded; the card will show it shortly.',
  failed:
    'Countersign could not record your decision, so nothing changed. Try again, or tell whoever runs it.',
  commentRequired: 'This request needs a comment with your decision, so nothing was recorded.',
} as const;

export function did(outcome: 'approve' | 'deny'): string {
  return outcome === 'approve' ? 'You approved this request.' : 'You denied this request.';
}

export function alreadyDecided(status: string): string {
  return `This request is already ${status}; your click changed nothing.`;
}
