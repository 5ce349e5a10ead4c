import { type ApprovalRequest, approvalsOf, type Decision } from '@countersign/core';
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

const HEADERS: Readonly<Record<ApprovalRequest['status'], string>> = {
  pending: 'Approval needed',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
  executed: 'Approved: the action ran',
  failed: 'Approved: the action failed',
};

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

function who(decisions: readonly Decision[]): string {
  return decisions.map((d) => code(d.approver, 120)).join(', ');
}

function statusLine(request: ApprovalRequest): string {
  const approvals = approvalsOf(request);
  const progress = `${approvals.length} of ${request.quorum} approval${request.quorum === 1 ? '' : 's'}`;
  const voters = approvals.length > 0 ? ` (${who(approvals)})` : '';
  const decided = request.decidedAt === null ? '' : ` on ${slackDate(request.decidedAt)}`;
  switch (request.status) {
    case 'pending':
      return `*Waiting:* ${progress}${voters}`;
    case 'approved':
      return `:white_check_mark: *Approved* by ${who(approvals)}${decided}`;
    case 'executed':
      return `:white_check_mark: *Approved* by ${who(approvals)}${decided}. The action ran.`;
    case 'failed':
      return `:warning: *Approved* by ${who(approvals)}${decided}. The action failed.`;
    case 'denied': {
      const denial = [...request.decisions].reverse().find((d) => d.outcome === 'deny');
      const by = denial ? ` by ${code(denial.approver, 120)}` : '';
      const reason = denial?.comment
        ? `\n*Reason given:*\n${codeBlock(denial.comment, REASON_BUDGET).text}`
        : '';
      return `:no_entry: *Denied*${by}${decided}${reason}`;
    }
    case 'expired':
      return `:hourglass: *Expired* with ${progress}${voters}: nobody can decide it any more.`;
    case 'cancelled':
      return `:heavy_multiplication_x: *Cancelled*${request.closedReason ? `: ${code(request.closedReason, 200)}` : ''}`;
  }
}

function paramsSection(request: ApprovalRequest): SectionBlock {
  const json = JSON.stringify(request.action.params, null, 2);
  const block = codeBlock(json, PARAMS_BUDGET);
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

/**
 * The Block Kit message for a request in its current state: who asks and for whom, the action,
 * resource and exact (redacted) params with their hash, the agent's unverified reason, the policy
 * rule, quorum progress and expiry. Buttons only while the request is pending. Every value from
 * the request is escaped, so nothing in it can mention, link, format or hide text.
 */
export function renderApprovalMessage(request: ApprovalRequest): RenderedMessage {
  const { action } = request;
  const redacted =
    action.redactedPaths.length === 0
      ? ''
      : ` · Redacted: ${action.redactedPaths
          .slice(0, 10)
          .map((p) => code(p, 80))
          .join(
            ', ',
          )}${action.redactedPaths.length > 10 ? ` and ${action.redactedPaths.length - 10} more` : ''}`;
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: 'countersign_header',
      text: { type: 'plain_text', text: HEADERS[request.status], emoji: false },
    },
    {
      type: 'section',
      block_id: 'countersign_summary',
      fields: [
        mrkdwn(`*Agent*\n${code(request.actor)}`),
        mrkdwn(`*On behalf of*\n${request.onBehalfOf === null ? '_nobody_' : code(request.onBehalfOf)}`),
        mrkdwn(`*Action*\n${code(action.name)}`),
        mrkdwn(`*Resource*\n${action.resource === null ? '_none_' : code(action.resource)}`),
        mrkdwn(`*Risk*\n${code(request.risk)}`),
        mrkdwn(`*Policy rule*\n${code(request.ruleId)}`),
        mrkdwn(`*Quorum*\n${request.quorum} of ${request.approvers.length} eligible approvers`),
        mrkdwn(`*Expires*\n${slackDate(request.expiresAt)}`),
      ],
    },
    {
      type: 'section',
      block_id: 'countersign_reason',
      text: mrkdwn(
        `*The agent's stated reason* (unverified, written by the agent):\n${codeBlock(request.reason, REASON_BUDGET).text}`,
      ),
    },
    paramsSection(request),
    {
      type: 'context',
      block_id: 'countersign_meta',
      elements: [
        mrkdwn(
          `Params hash ${code(`sha256:${action.paramsHash}`, 80)}${redacted} · Request ${code(request.id, 80)}`,
        ),
      ],
    },
    { type: 'section', block_id: 'countersign_status', text: mrkdwn(statusLine(request)) },
  ];
  if (request.status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: 'countersign_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.Approve,
          text: { type: 'plain_text', text: 'Approve', emoji: false },
          style: 'primary',
          value: request.id,
        },
        {
          type: 'button',
          action_id: ACTION.Deny,
          text: { type: 'plain_text', text: 'Deny', emoji: false },
          style: 'danger',
          value: request.id,
        },
        {
          type: 'button',
          action_id: ACTION.DenyWithReason,
          text: { type: 'plain_text', text: 'Deny with a reason', emoji: false },
          value: request.id,
        },
      ],
    });
  }
  const subject = `${code(action.name, 100)}${action.resource === null ? '' : ` on ${code(action.resource, 100)}`}`;
  const text = `${HEADERS[request.status]}: ${subject} for ${code(request.actor, 100)}`;
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
  const subject = `${code(request.action.name, 100)}${request.action.resource === null ? '' : ` on ${code(request.action.resource, 100)}`}`;
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
        text: mrkdwn(`Deny ${subject} for ${code(request.actor, 100)}?`),
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
