// Telling the person the agent acted for how their request ended, in a direct message.
import type { ApprovalRequest, Clock } from '@countersign/core';
import { presentRequest } from '@countersign/core';
import type { WebClient } from '@slack/web-api';
import { code, codeBlock } from './escape.js';
import { callSlack } from './slack-api.js';

/** The statuses that end the question the approvers were asked: the requester hears of the first. */
const OUTCOMES: ReadonlySet<ApprovalRequest['status']> = new Set([
  'approved',
  'denied',
  'expired',
  'cancelled',
]);
/** Requests remembered per process so that each requester is told once. */
const MEMORY_LIMIT = 10_000;

/**
 * With `notifyRequester`, the person the agent acts for (`onBehalfOf`, when it is a `slack:TEAM:USER`
 * identity of this workspace) gets one direct message when the request is decided, expires or is
 * cancelled. Identities of other workspaces or kinds are left alone: there is no one to tell here.
 */
export class RequesterNotice {
  private readonly told = new Set<string>();

  constructor(
    private readonly client: WebClient,
    private readonly teamId: string,
    private readonly clock: () => Clock,
  ) {}

  /** Sends the notice if this change ended the request and it has not been sent from here. */
  async after(request: ApprovalRequest): Promise<void> {
    if (!OUTCOMES.has(request.status) || this.told.has(request.id)) return;
    const user = slackUser(request.onBehalfOf, this.teamId);
    if (user === null) return;
    this.told.add(request.id);
    if (this.told.size > MEMORY_LIMIT) this.told.delete(this.told.values().next().value as string);
    const clock = this.clock();
    await callSlack(
      'chat.postMessage',
      () =>
        this.client.chat.postMessage({
          channel: user,
          text: noticeText(request),
          link_names: false,
          parse: 'none',
          unfurl_links: false,
          unfurl_media: false,
        }),
      { clock, deadline: clock.now() + 60_000 },
    );
  }
}

/** The Slack user id of a `slack:TEAM:USER` identity of this workspace, or null. */
function slackUser(identity: string | null, teamId: string): string | null {
  const match = identity === null ? null : /^slack:([A-Z0-9]+):([UW][A-Z0-9]+)$/.exec(identity);
  return match !== null && match[1] === teamId ? match[2]! : null;
}

/** Plain mrkdwn, every value from the request escaped: what was asked, and how it ended. */
export function noticeText(request: ApprovalRequest): string {
  const view = presentRequest(request);
  const what = `${code(view.what.action)}${view.what.resource === null ? '' : ` on ${code(view.what.resource)}`}`;
  const asked = `${code(view.who.actor)} asked to run ${what} for you`;
  switch (request.status) {
    case 'approved':
      return `${asked}: approved by ${view.quorum.approvedBy.map((who) => code(who, 120)).join(', ')}.`;
    case 'denied': {
      const reason = view.denial?.comment ? `\n${codeBlock(view.denial.comment, 1_500).text}` : '';
      return `${asked}: denied by ${code(view.denial?.approver ?? 'an approver', 120)}.${reason}`;
    }
    case 'expired':
      return `${asked}: nobody decided in time, so it expired and did not run.`;
    default:
      return `${asked}: the request was cancelled and did not run.`;
  }
}
