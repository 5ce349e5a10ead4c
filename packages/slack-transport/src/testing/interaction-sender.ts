// What clicks and view submissions share: the acting user, trigger ids, and signed, recorded delivery.
import type { ClientRequest } from 'node:http';
import { SlackEmulatorError } from './errors.js';
import {
  deliverInteraction,
  type ForgeryOptions,
  type PayloadTeam,
  type PayloadUser,
} from './interactions.js';
import type { InteractionResult } from './recording.js';
import type { WebApiContext } from './web-api.js';
import type { EmulatedBot, EmulatedTeam, EmulatedUser } from './workspace.js';

/** The emulator as seen by the code that acts for a user towards the app. */
export interface InteractionSender extends WebApiContext {
  readonly team: EmulatedTeam;
  readonly bot: EmulatedBot;
  readonly signingSecret: string;
  readonly verificationToken: string;
  /** The emulator's base URL; throws before `start()`. */
  readonly url: () => string;
  /** The configured Interactivity Request URL, if any. */
  readonly interactionUrl: () => string | undefined;
  /** Registers an in-flight delivery so that closing the emulator aborts it. */
  readonly track: (request: ClientRequest) => () => void;
}

/** Mints a trigger id for `user`, exchangeable once by `views.open` within its TTL. */
export function issueTriggerId(context: WebApiContext, user: string): string {
  const triggerId = context.mint.triggerId();
  context.ledger.triggers.set(triggerId, { user, issuedAt: context.now(), exchanged: false });
  return triggerId;
}

/** The user `id`, who must exist and be active: Slack offers no way to interact otherwise. */
export function activeUser(sender: InteractionSender, id: string): EmulatedUser {
  const user = sender.workspace.user(id);
  if (user === undefined) throw new SlackEmulatorError(`no user ${id}`);
  if (user.deleted === true) throw new SlackEmulatorError(`user ${id} is deactivated and cannot interact`);
  return user;
}

/** The `user` object of a payload for `user`. */
export function payloadUser(sender: InteractionSender, user: EmulatedUser): PayloadUser {
  return { id: user.id, username: user.name, name: user.name, team_id: user.teamId ?? sender.team.id };
}

/** The `team` object of a payload: the emulated workspace. */
export function payloadTeam(sender: InteractionSender): PayloadTeam {
  return { id: sender.team.id, domain: sender.team.domain };
}

/** Signs and posts an interaction as Slack does, now, and records it in the ledger. */
export async function sendInteraction<Payload extends Record<string, unknown>>(
  sender: InteractionSender,
  type: InteractionResult['type'],
  payload: Payload,
  options: ForgeryOptions<Payload>,
  triggerId: string,
  responseUrl: string | undefined,
): Promise<InteractionResult> {
  const result = await deliverInteraction({
    type,
    url: requireInteractionUrl(sender, options.url),
    payload,
    signingSecret: sender.signingSecret,
    timestamp: Math.floor(sender.now() / 1000),
    forgery: options,
    triggerId,
    responseUrl,
    track: sender.track,
  });
  sender.ledger.interactions.push(result);
  return result;
}

function requireInteractionUrl(sender: InteractionSender, override: string | undefined): string {
  const url = override ?? sender.interactionUrl();
  if (url === undefined) {
    throw new SlackEmulatorError('no interaction URL: pass interactionUrl or call setInteractionUrl()');
  }
  return url;
}
