// Reminders and escalations: a threaded reply under a request's message that mentions who should decide.
import { type ApprovalRequest, type FollowUpNotice, presentRequest } from '@countersign/core';
import { code } from './escape.js';
import { subject } from './render.js';

/** A Slack user id as it may appear inside a mention. */
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
/** Most people one follow-up names; the rest are counted. */
const MAX_NAMED = 30;

/**
 * How an identity is named: a real mention (`<@U…>`) when it is a `slack:TEAM:USER` identity of this
 * workspace, so Slack notifies them; otherwise the identity itself, escaped, which notifies nobody.
 */
export function mention(identity: string, teamId: string): string {
  const prefix = `slack:${teamId}:`;
  if (identity.startsWith(prefix)) {
    const user = identity.slice(prefix.length);
    if (USER_ID.test(user)) return `<@${user}>`;
  }
  return code(identity, 120);
}

/** The reply's text: who is reminded (or newly added) and what waits for them. */
export function renderFollowUp(request: ApprovalRequest, notice: FollowUpNotice, teamId: string): string {
  const p = presentRequest(request);
  const named = notice.to.slice(0, MAX_NAMED).map((identity) => mention(identity, teamId));
  const more = notice.to.length > MAX_NAMED ? ` and ${notice.to.length - MAX_NAMED} more` : '';
  const people = `${named.join(', ')}${more}`;
  const what = `${subject(p)} for ${code(p.who.actor, 100)}`;
  return notice.kind === 'reminder'
    ? `:bell: *Reminder:* ${people}: ${what} still waits for your decision (${p.quorum.approvals} of ${p.quorum.required} approvals). Decide with the buttons above.`
    : `:rotating_light: *Escalated:* ${people}: you can now decide ${what} (${p.quorum.approvals} of ${p.quorum.required} approvals). Decide with the buttons above.`;
}
