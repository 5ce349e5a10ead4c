// What the person who clicked is told (ephemeral messages), and the refusals the transport audits itself.
import type { TransportHost } from '@countersign/core';
import type { WebClient } from '@slack/web-api';
import { code } from './escape.js';
import { describeError, PREFIX, type SlackTransportLogger, toCallError } from './slack-api.js';

/** The `via` recorded with every decision and refusal that comes through Slack. */
export const VIA = 'slack';

/** Refusal texts, shown only to the person who clicked. */
export const SAY = {
  notFound: 'This approval request no longer exists. Nothing was recorded.',
  wrongMessage:
    'This button does not belong to the request it names. Nothing was recorded, and the attempt was audited.',
  lookupFailed:
    'Countersign could not verify your Slack account, so nothing was recorded. Try again in a moment.',
  deleted: 'Deactivated accounts cannot decide approval requests. The attempt was audited.',
  bot: 'Bots and apps cannot decide approval requests. The attempt was audited.',
  unmapped:
    'Your Slack account is not linked to an approver identity, so you cannot decide this request. The attempt was audited.',
  self: 'You cannot decide this request: it was made by you or on your behalf. The attempt was audited.',
  notEligible: 'You are not an approver for this request. The attempt was audited.',
  voted: 'You have already decided on this request.',
  failed:
    'Countersign could not record your decision, so nothing changed. Try again, or tell whoever runs it.',
  commentRequired:
    'This request needs a comment with your decision, so nothing was recorded. Click again and write one.',
  noBatch: 'This countersign instance cannot decide batches. Decide each request on its own message.',
} as const;

/** At most this many of a refused batch's problems are listed to the clicker. */
const MAX_PROBLEMS = 10;

/** Why a batch was refused: nothing was decided. Problems name requests and identities: escaped. */
export function batchRefused(problems: readonly string[]): string {
  const listed = problems.slice(0, MAX_PROBLEMS).map((problem) => `• ${code(problem, 300)}`);
  const more = problems.length > MAX_PROBLEMS ? [`• and ${problems.length - MAX_PROBLEMS} more`] : [];
  return [
    'The batch was refused and nothing was decided:',
    ...listed,
    ...more,
    'Decide those requests on their own messages.',
  ].join('\n');
}

export function alreadyDecided(status: string): string {
  return `This request is already ${status}; your click changed nothing.`;
}

/** Where a click came from: the message it was on, and the Slack account that made it. */
export interface Where {
  channel: string | undefined;
  ts: string | undefined;
  user: string;
  team: string;
}

/** Answers the clicker and audits refusals. Neither ever throws: a refusal stands either way. */
export class Replies {
  constructor(
    private readonly client: WebClient,
    private readonly logger: SlackTransportLogger,
    private readonly host: () => TransportHost,
  ) {}

  /** Audits a refusal the transport made itself. */
  async audit(requestId: string, approver: string, why: string): Promise<void> {
    try {
      await this.host().recordRefusal(requestId, { approver, via: VIA, why });
    } catch (error) {
      this.logger.error(`${PREFIX} could not audit a refusal on ${requestId}: ${describeError(error)}`);
    }
  }

  /** An ephemeral message to the person who clicked. */
  async tell(where: Where, message: string): Promise<void> {
    if (where.channel === undefined) return;
    try {
      await this.client.chat.postEphemeral({ channel: where.channel, user: where.user, text: message });
    } catch (error) {
      this.logger.warn(
        `${PREFIX} could not tell ${where.user}: ${describeError(toCallError('chat.postEphemeral', error))}`,
      );
    }
  }
}
