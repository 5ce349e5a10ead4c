// Button clicks: the `block_actions` payload a user's click in a posted or ephemeral message sends.
import { SlackEmulatorError } from './errors.js';
import {
  activeUser,
  type InteractionSender,
  issueTriggerId,
  payloadTeam,
  payloadUser,
  sendInteraction,
} from './interaction-sender.js';
import { type BlockActionsPayload, type ForgeryOptions, findButton } from './interactions.js';
import type { InteractionResult } from './recording.js';

/** Options of `SlackEmulator.click`. */
export interface ClickOptions extends ForgeryOptions<BlockActionsPayload> {
  /** Id of the clicking user; must be an active member of the channel. */
  readonly user: string;
  /** Channel id of the message. */
  readonly channel: string;
  /** `ts` of the message (or `message_ts` of an ephemeral message shown to `user`). */
  readonly ts: string;
  /** `action_id` of the button to click. */
  readonly actionId: string;
  /** Disambiguates when several blocks hold a button with the same `action_id`. */
  readonly blockId?: string | undefined;
  /** Overrides the button's `value` in the payload. */
  readonly value?: string | undefined;
}

/**
 * Clicks a button as `options.user`: refuses clicks Slack could not produce, mints a trigger id and a
 * response URL, then delivers the signed payload to the app.
 */
export async function clickButton(
  sender: InteractionSender,
  options: ClickOptions,
): Promise<InteractionResult> {
  const { workspace, ledger } = sender;
  const user = activeUser(sender, options.user);
  const conversation = workspace.conversation(options.channel);
  if (conversation === undefined) throw new SlackEmulatorError(`no channel ${options.channel}`);
  if (!workspace.isMember(conversation, user.id)) {
    throw new SlackEmulatorError(`user ${user.id} cannot see channel ${conversation.id}`);
  }
  const posted = ledger.message(conversation.id, options.ts);
  const ephemeral = ledger.ephemerals.find(
    (e) => e.channel === conversation.id && e.messageTs === options.ts && e.user === user.id && !e.deleted,
  );
  const message = posted !== undefined && !posted.deleted ? posted.current : ephemeral?.message;
  if (message === undefined) {
    throw new SlackEmulatorError(`no message ${options.ts} in ${conversation.id} visible to ${user.id}`);
  }
  const button = findButton(message.blocks, options.actionId, options.blockId);
  if (button === undefined) {
    throw new SlackEmulatorError(`message ${options.ts} has no button with action_id "${options.actionId}"`);
  }
  const isEphemeral = message !== posted?.current;
  const triggerId = issueTriggerId(sender, user.id);
  const responseId = sender.mint.opaque();
  ledger.responseUrls.set(responseId, {
    user: user.id,
    channel: conversation.id,
    messageTs: options.ts,
    isEphemeral,
    issuedAt: sender.now(),
    uses: 0,
  });
  const responseUrl = `${sender.url()}/response/${responseId}`;
  const value =
    options.value ?? (typeof button.element.value === 'string' ? button.element.value : undefined);
  const payload: BlockActionsPayload = {
    type: 'block_actions',
    user: payloadUser(sender, user),
    api_app_id: sender.bot.appId,
    token: sender.verificationToken,
    container: {
      type: 'message',
      message_ts: options.ts,
      channel_id: conversation.id,
      is_ephemeral: isEphemeral,
    },
    trigger_id: triggerId,
    team: payloadTeam(sender),
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: conversation.id, name: conversation.name },
    ...(isEphemeral ? {} : { message }),
    state: { values: {} },
    response_url: responseUrl,
    actions: [
      {
        type: 'button',
        action_id: options.actionId,
        block_id: button.blockId,
        text: button.element.text,
        ...(value === undefined ? {} : { value }),
        ...(typeof button.element.style === 'string' ? { style: button.element.style } : {}),
        action_ts: sender.mint.actionTs(),
      },
    ],
  };
  return sendInteraction(sender, 'block_actions', payload, options, triggerId, responseUrl);
}
