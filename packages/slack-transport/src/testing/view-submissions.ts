// Modal submissions: the `view_submission` payload, and how the app's answer closes or replaces the view.
import { isRecord, parseModal } from './blocks.js';
import { SlackApiFailure, SlackEmulatorError } from './errors.js';
import {
  activeUser,
  type InteractionSender,
  issueTriggerId,
  payloadTeam,
  payloadUser,
  sendInteraction,
} from './interaction-sender.js';
import {
  type ForgeryOptions,
  type ViewStateInput,
  type ViewSubmissionPayload,
  viewStateValues,
} from './interactions.js';
import type { InteractionResult, ViewEntry } from './recording.js';
import { renderView, viewHash } from './web-api.js';

/** Options of `SlackEmulator.submitView`. */
export interface SubmitViewOptions extends ForgeryOptions<ViewSubmissionPayload> {
  /** Id of the submitting user; must be the user the modal was opened for. */
  readonly user: string;
  /** View id returned by `views.open`. */
  readonly viewId: string;
  /**
   * Input values by `block_id`, then `action_id`. Strings become `{ type: 'plain_text_input', value }`.
   * Every non-optional input block must be filled (Slack's client refuses to submit otherwise).
   */
  readonly values?: Readonly<Record<string, Readonly<Record<string, ViewStateInput>>>> | undefined;
}

/** Submits an open modal as the user it was opened for, then applies the app's `response_action`. */
export async function submitView(
  sender: InteractionSender,
  options: SubmitViewOptions,
): Promise<InteractionResult> {
  const user = activeUser(sender, options.user);
  const entry = sender.ledger.views.get(options.viewId);
  if (entry === undefined) throw new SlackEmulatorError(`no view ${options.viewId}`);
  if (entry.status !== 'open') throw new SlackEmulatorError(`view ${options.viewId} is closed`);
  if (entry.user !== user.id) {
    throw new SlackEmulatorError(`view ${options.viewId} was opened for ${entry.user}, not ${user.id}`);
  }
  if (entry.view.submit === null) {
    throw new SlackEmulatorError(`view ${options.viewId} has no submit button`);
  }
  const values = viewStateValues(entry, options.values ?? {});
  const triggerId = issueTriggerId(sender, user.id);
  const payload: ViewSubmissionPayload = {
    type: 'view_submission',
    team: payloadTeam(sender),
    user: payloadUser(sender, user),
    api_app_id: sender.bot.appId,
    token: sender.verificationToken,
    trigger_id: triggerId,
    view: { ...renderView(entry, sender.workspace), state: { values } },
    response_urls: [],
    enterprise: null,
    is_enterprise_install: false,
  };
  const result = await sendInteraction(sender, 'view_submission', payload, options, triggerId, undefined);
  entry.submissions.push(result);
  applyViewResponse(sender, entry, result);
  return result;
}

function applyViewResponse(sender: InteractionSender, entry: ViewEntry, result: InteractionResult): void {
  if (!result.acknowledged) return;
  const action = isRecord(result.json) ? result.json.response_action : undefined;
  if (action === undefined || action === 'clear') {
    entry.status = 'closed';
  } else if (action === 'update' && isRecord(result.json)) {
    try {
      entry.view = parseModal(result.json.view);
      entry.hash = viewHash(sender);
    } catch (error) {
      // Slack keeps showing the current view when the replacement is invalid.
      if (!(error instanceof SlackApiFailure)) throw error;
    }
  }
}
