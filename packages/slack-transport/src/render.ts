// Block Kit for a request, rendered from core's presentation model and escaped for Slack mrkdwn.
import { type ApprovalRequest, presentRequest, type RequestPresentation } from '@countersign/core';
import type { KnownBlock, ModalView, SectionBlock } from '@slack/types';
import { code, codeBlock } from './escape.js';

/** `action_id`s of the buttons this transport posts; anything else is ignored. */
export const ACTION = {
  Approve: 'countersign_approve',
  Deny: 'countersign_deny',
  DenyWithReason: 'countersign_deny_with_reason',
} as const;

/** The deny-with-reason modal: its `callback_id` and where its input lives. */
export const REASON_MODAL = {
  callbackId: 'countersign_deny_reason',
  blockId: 'countersign_reason',
  actionId: 'reason',
  maxLength: 500,
} as const;

/** Section text is limited to 3,000 characters; the rest of the block needs room too. */
const PARAMS_BUDGET = 2_600;
const REASON_BUDGET = 1_500;

/**
 * The whole params text: it is cut after escaping, by {@link codeBlock}, because escaping lengthens
 * it (`<` becomes `&lt;`) and the section limit applies to the escaped text.
 */
const WHOLE_PARAMS = { paramsBudget: Number.MAX_SAFE_INTEGER } as const;

export interface RenderedMessage {
  /** Notification and fallback text. */
  text: string;
  blocks: KnownBlock[];
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text, verbatim: true });

/** A time as Slack shows it in each reader's own time zone, with an ISO fallback. */
export function slackDate(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${new Date(ms).toISOString()}>`;
}

function who(identities: readonly string[]): string {
  return identities.map((identity) => code(identity, 120)).join(', ');
}

function statusLine(p: RequestPresentation): string {
  const { approvedBy, approvals, required } = p.quorum;
  const progress = `${approvals} of ${required} approval${required === 1 ? '' : 's'}`;
  const voters = approvedBy.length > 0 ? ` (${who(approvedBy)})` : '';
  const decided = p.decidedAt === null ? '' : ` on ${slackDate(p.decidedAt)}`;
  switch (p.status) {
    case 'pending':
      return `*Waiting:* ${progress}${voters}`;
    case 'approved':
      return `:white_check_mark: *Approved* by ${who(approvedBy)}${decided}`;
    case 'executed':
      return `:white_check_mark: *Approved* by ${who(approvedBy)}${decided}. The action ran.`;
    case 'failed':
      return `:warning: *Approved* by ${who(approvedBy)}${decided}. The action failed.`;
    case 'denied': {
      const by = p.denial ? ` by ${code(p.denial.approver, 120)}` : '';
      const reason = p.denial?.comment
        ? `\n*Reason given:*\n${codeBlock(p.denial.comment, REASON_BUDGET).text}`
        : '';
      return `:no_entry: *Denied*${by}${decided}${reason}`;
    }
    case 'expired':
      return `:hourglass: *Expired* with ${progress}${voters}: nobody can decide it any more.`;
    case 'cancelled':
      return `:heavy_multiplication_x: *Cancelled*${p.closedReason ? `: ${code(p.closedReason, 200)}` : ''}`;
  }
}

function paramsSection(p: RequestPresentation): SectionBlock {
  const block = codeBlock(p.what.paramsText, PARAMS_BUDGET);
  const cut =
    block.omitted === 0
      ? ''
      : `\n:scissors: _Truncated: ${block.omitted} more characters not shown. The params hash below covers all of them._`;
  return {
    type: 'section',
    block_id: 'countersign_params',
    text: mrkdwn(`*Exact parameters* (secrets redacted):\n${block.text}${cut}`),
  };
}

/** `db.export on prod/customers`, escaped: the subject of the notification text and the modal. */
function subject(p: RequestPresentation): string {
  const { action, resource } = p.what;
  return `${code(action, 100)}${resource === null ? '' : ` on ${code(resource, 100)}`}`;
}

/**
 * The Block Kit message for a request in its current state: who asks and for whom, the action,
 * resource and exact (redacted) params with their hash, the agent's unverified reason, the policy
 * rule, quorum progress and expiry. Buttons only while the request is pending. Every value from
 * the request is escaped, so nothing in it can mention, link, format or hide text.
 */
export function renderApprovalMessage(request: ApprovalRequest): RenderedMessage {
  const p = presentRequest(request, WHOLE_PARAMS);
  const { who: asker, what, why } = p;
  const redacted =
    what.redactedPaths.length === 0
      ? ''
      : ` · Redacted: ${what.redactedPaths
          .slice(0, 10)
          .map((path) => code(path, 80))
          .join(', ')}${what.redactedPaths.length > 10 ? ` and ${what.redactedPaths.length - 10} more` : ''}`;
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: 'countersign_header',
      text: { type: 'plain_text', text: p.headline, emoji: false },
    },
    {
      type: 'section',
      block_id: 'countersign_summary',
      fields: [
        mrkdwn(`*Agent*\n${code(asker.actor)}`),
        mrkdwn(`*On behalf of*\n${asker.onBehalfOf === null ? '_nobody_' : code(asker.onBehalfOf)}`),
        mrkdwn(`*Action*\n${code(what.action)}`),
        mrkdwn(`*Resource*\n${what.resource === null ? '_none_' : code(what.resource)}`),
        mrkdwn(`*Risk*\n${code(what.risk)}`),
        mrkdwn(`*Policy rule*\n${code(p.ruleId)}`),
        mrkdwn(`*Quorum*\n${p.quorum.required} of ${p.approvers.length} eligible approvers`),
        mrkdwn(`*Expires*\n${slackDate(p.expiresAt)}`),
      ],
    },
    {
      type: 'section',
      block_id: 'countersign_reason',
      text: mrkdwn(
        `*The agent's stated reason* _(${why.label})_:\n${codeBlock(why.reason, REASON_BUDGET).text}`,
      ),
    },
    paramsSection(p),
    {
      type: 'context',
      block_id: 'countersign_meta',
      elements: [
        mrkdwn(`Params hash ${code(`sha256:${what.paramsHash}`, 80)}${redacted} · Request ${code(p.id, 80)}`),
      ],
    },
    { type: 'section', block_id: 'countersign_status', text: mrkdwn(statusLine(p)) },
  ];
  if (p.open) {
    blocks.push({
      type: 'actions',
      block_id: 'countersign_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.Approve,
          text: { type: 'plain_text', text: 'Approve', emoji: false },
          style: 'primary',
          value: p.id,
        },
        {
          type: 'button',
          action_id: ACTION.Deny,
          text: { type: 'plain_text', text: 'Deny', emoji: false },
          style: 'danger',
          value: p.id,
        },
        {
          type: 'button',
          action_id: ACTION.DenyWithReason,
          text: { type: 'plain_text', text: 'Deny with a reason', emoji: false },
          value: p.id,
        },
      ],
    });
  }
  const text = `${p.headline}: ${subject(p)} for ${code(asker.actor, 100)}`;
  return { text, blocks };
}

/** Where a deny-with-reason modal came from, carried in its `private_metadata`. */
export interface ModalOrigin {
  requestId: string;
  channel: string;
  ts: string;
}

/** The modal opened by "Deny with a reason". The reason is sent to the agent in its denial error. */
export function renderReasonModal(request: ApprovalRequest, origin: ModalOrigin): ModalView {
  const p = presentRequest(request);
  return {
    type: 'modal',
    callback_id: REASON_MODAL.callbackId,
    private_metadata: JSON.stringify(origin),
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: mrkdwn(`Deny ${subject(p)} for ${code(p.who.actor, 100)}?`),
      },
      {
        type: 'input',
        block_id: REASON_MODAL.blockId,
        label: { type: 'plain_text', text: 'Reason (sent back to the agent)' },
        element: {
          type: 'plain_text_input',
          action_id: REASON_MODAL.actionId,
          multiline: true,
          max_length: REASON_MODAL.maxLength,
        },
      },
    ],
  };
}
