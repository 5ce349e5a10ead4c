// Who clicked: Slack's own record of the account (users.info), turned into a directory identity or refused.
import type { ApprovalRequest, Clock } from '@countersign/core';
import type { WebClient } from '@slack/web-api';
import { type Replies, SAY, type Where } from './replies.js';
import { callSlack, describeError, PREFIX, type SlackTransportLogger } from './slack-api.js';

/** The Slack account behind a click, as `users.info` reports it. */
export interface SlackUser {
  id: string;
  /** The user's home workspace. */
  teamId: string;
  name: string;
  realName: string | null;
  /** Present only with the `users:read.email` scope. */
  email: string | null;
  /** Guests (single- and multi-channel). */
  isRestricted: boolean;
}

export type ResolveApprover = (user: SlackUser) => string | null | Promise<string | null>;

/** `slack:TEAM:USER`, the identity used when no `resolveApprover` is given. */
export function defaultResolveApprover(user: SlackUser): string {
  return slackIdentity(user.teamId, user.id);
}

/** The identity a Slack account is audited under before (or without) being resolved. */
export function slackIdentity(team: string, user: string): string {
  return `slack:${team}:${user}`;
}

/** How long a click may wait for `users.info`, rate limits included. */
const LOOKUP_BUDGET_MS = 2_000;

export class ApproverIdentity {
  constructor(
    private readonly client: WebClient,
    private readonly logger: SlackTransportLogger,
    private readonly clock: () => Clock,
    private readonly replies: Replies,
    private readonly resolve: ResolveApprover = defaultResolveApprover,
  ) {}

  /**
   * The clicker's directory identity, from Slack's own account record, never from the payload;
   * or null once refused (told and audited). Deleted and bot users are refused before `resolve`.
   */
  async identify(request: ApprovalRequest, where: Where): Promise<string | null> {
    const raw = slackIdentity(where.team, where.user);
    const clock = this.clock();
    let info: Awaited<ReturnType<WebClient['users']['info']>>;
    try {
      info = await callSlack('users.info', () => this.client.users.info({ user: where.user }), {
        clock,
        deadline: clock.now() + LOOKUP_BUDGET_MS,
      });
    } catch (error) {
      this.logger.error(`${PREFIX} users.info failed for ${where.user}: ${describeError(error)}`);
      return this.refuse(request, raw, where, 'could not look up the Slack user', SAY.lookupFailed);
    }
    const user = info.user;
    if (user === undefined || user.id !== where.user) {
      return this.refuse(request, raw, where, 'Slack returned no matching user', SAY.lookupFailed);
    }
    if (user.deleted === true) {
      return this.refuse(request, raw, where, 'deactivated Slack user', SAY.deleted);
    }
    if (user.is_bot === true || user.is_app_user === true || user.id === 'USLACKBOT') {
      return this.refuse(request, raw, where, 'Slack bot user', SAY.bot);
    }
    const slackUser: SlackUser = {
      id: user.id,
      teamId: user.team_id ?? where.team,
      name: user.name ?? user.id,
      realName: user.real_name ?? null,
      email: user.profile?.email ?? null,
      isRestricted: user.is_restricted === true || user.is_ultra_restricted === true,
    };
    let identity: string | null;
    try {
      identity = await this.resolve(slackUser);
    } catch (error) {
      this.logger.error(`${PREFIX} resolveApprover threw for ${where.user}: ${describeError(error)}`);
      identity = null;
    }
    if (typeof identity !== 'string' || identity.length === 0) {
      return this.refuse(request, raw, where, 'Slack user has no approver identity', SAY.unmapped);
    }
    return identity;
  }

  private async refuse(
    request: ApprovalRequest,
    raw: string,
    where: Where,
    why: string,
    say: string,
  ): Promise<null> {
    await this.replies.audit(request.id, raw, why);
    await this.replies.tell(where, say);
    return null;
  }
}
