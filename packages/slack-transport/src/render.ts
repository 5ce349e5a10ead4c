// Block Kit for a request, rendered from core's presentation model and escaped for Slack mrkdwn.
import {
  type ApprovalRequest,
  type ApprovalTerms,
  type PolicyRule,
  presentRequest,
  type RequestPresentation,
} from '@countersign/core';
import type { Button, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import { cutNotice, fieldCut } from './cut-notice.js';
import { code, codeBlock, escapeMrkdwn, mrkdwnLength } from './escape.js';

/** `action_id`s of the buttons this transport posts; anything else is ignored. */
export const ACTION = {
  Approve: 'countersign_approve',
  Deny: 'countersign_deny',
  DenyWithReason: 'countersign_deny_with_reason',
  /** Approves without opening a reuse window (`justThisCall`); shown when the rule has `reuse`. */
  ApproveJustThisCall: 'countersign_approve_just_this_call',
  /** A batch message's buttons: their value lists the batch (see `postBatch`). */
  BatchApprove: 'countersign_batch_approve',
  BatchApproveJustThese: 'countersign_batch_approve_just_these',
  BatchDeny: 'countersign_batch_deny',
} as const;

/** The deny-with-reason modal: its `callback_id` and where its input lives. */
export const REASON_MODAL = {
  callbackId: 'countersign_deny_reason',
  blockId: 'countersign_reason',
  actionId: 'reason',
  maxLength: 500,
} as const;

/** The approve-with-a-comment modal, opened by Approve when the rule requires a comment to approve. */
export const COMMENT_MODAL = {
  callbackId: 'countersign_approve_comment',
  blockId: REASON_MODAL.blockId,
  actionId: REASON_MODAL.actionId,
  maxLength: REASON_MODAL.maxLength,
} as const;

/** Options of {@link renderApprovalMessage}. */
export interface RenderOptions {
  /** The request's policy rule (`host.rule(request.ruleId)`): adds the approval's terms and buttons. */
  rule?: PolicyRule | null | undefined;
  /** The approval server's base URL: a message that cuts anything links to the request's inbox page. */
  publicUrl?: string | undefined;
}

/** Whether approving (or denying) under these terms needs a comment. */
export function needsComment(terms: ApprovalTerms | undefined, outcome: 'approve' | 'deny'): boolean {
  const required = terms?.commentRequired ?? null;
  return required === 'both' || required === outcome;
}

const COMMENT_WORDS = { approve: 'approve', deny: 'deny', both: 'approve or deny' } as const;

/**
 * Section text is limited to 3,000 characters; the rest of the block needs room too. Budgets count
 * escaped characters (`<` is 4 as `&lt;`), so core's cut rule is given {@link mrkdwnLength}.
 */
const PARAMS_BUDGET = 2_600;
const REASON_BUDGET = 1_500;
const WHOLE = Number.POSITIVE_INFINITY;

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

function statusLine(p: RequestPresentation, reasonGiven: string): string {
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
      const reason = reasonGiven === '' ? '' : `\n*Reason given:*\n${reasonGiven}`;
      return `:no_entry: *Denied*${by}${decided}${reason}`;
    }
    case 'expired':
      return `:hourglass: *Expired* with ${progress}${voters}: nobody can decide it any more.`;
    case 'cancelled':
      return `:heavy_multiplication_x: *Cancelled*${p.closedReason ? `: ${code(p.closedReason, 200)}` : ''}`;
  }
}

/** The params as core fitted them to {@link PARAMS_BUDGET} escaped characters: no further cut here. */
function paramsSection(p: RequestPresentation): SectionBlock {
  return {
    type: 'section',
    block_id: 'countersign_params',
    text: mrkdwn(`*Exact parameters* (secrets redacted):\n${codeBlock(p.what.paramsText, WHOLE).text}`),
  };
}

/** `db.export on prod/customers`, escaped: the subject of the notification text and the modal. */
export function subject(p: RequestPresentation): string {
  const { action, resource } = p.what;
  return `${code(action, 100)}${resource === null ? '' : ` on ${code(resource, 100)}`}`;
}

/**
 * The Block Kit message for a request in its current state: who asks and for whom, the action,
 * resource and exact (redacted) params with their hash, the agent's unverified reason, the policy
 * rule, quorum progress and expiry. Buttons only while the request is pending. Every value from
 * the request is escaped, so nothing in it can mention, link, format or hide text.
 */
export function renderApprovalMessage(
  request: ApprovalRequest,
  options: RenderOptions = {},
): RenderedMessage {
  const p = presentRequest(request, {
    paramsBudget: PARAMS_BUDGET,
    measure: mrkdwnLength(true),
    rule: options.rule,
  });
  const { who: asker, what, why } = p;
  const reason = codeBlock(why.reason, REASON_BUDGET);
  const comment = p.denial?.comment ? codeBlock(p.denial.comment, REASON_BUDGET) : null;
  const cut = cutNotice(
    p,
    [
      ...fieldCut('reason', why.reason, reason.omitted),
      ...fieldCut('reason given', p.denial?.comment ?? '', comment?.omitted ?? 0),
    ],
    options.publicUrl,
  );
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
      text: mrkdwn(`*The agent's stated reason* _(${why.label})_:\n${reason.text}`),
    },
    paramsSection(p),
    ...(cut === null
      ? []
      : [
          { type: 'section' as const, block_id: 'countersign_cut', text: mrkdwn(cut) } satisfies SectionBlock,
        ]),
    {
      type: 'context',
      block_id: 'countersign_meta',
      elements: [
        mrkdwn(`Params hash ${code(`sha256:${what.paramsHash}`, 80)}${redacted} · Request ${code(p.id, 80)}`),
      ],
    },
    { type: 'section', block_id: 'countersign_status', text: mrkdwn(statusLine(p, comment?.text ?? '')) },
  ];
  const terms = termsLines(p);
  if (p.open && terms.length > 0) {
    blocks.push({ type: 'section', block_id: 'countersign_terms', text: mrkdwn(terms.join('\n')) });
  }
  if (p.open) {
    const elements: Button[] = [button(ACTION.Approve, 'Approve', p.id, 'primary')];
    if (p.terms?.reuse) elements.push(button(ACTION.ApproveJustThisCall, 'Approve just this call', p.id));
    elements.push(button(ACTION.Deny, 'Deny', p.id, 'danger'));
    if (!needsComment(p.terms, 'deny')) {
      elements.push(button(ACTION.DenyWithReason, 'Deny with a reason', p.id));
    }
    blocks.push({ type: 'actions', block_id: 'countersign_actions', elements });
  }
  const text = `${p.headline}: ${subject(p)} for ${code(asker.actor, 100)}`;
  return { text, blocks };
}

export function button(actionId: string, label: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label, emoji: false },
    ...(style === undefined ? {} : { style }),
    value,
  };
}

/** What approving means beyond this call (from the rule), in mrkdwn; empty without a rule. */
function termsLines(p: RequestPresentation): string[] {
  const lines: string[] = [];
  if (p.what.risk === 'high' || p.what.risk === 'critical') {
    lines.push(
      `:warning: *${p.what.risk === 'critical' ? 'Critical' : 'High'} risk.* Read the parameters before deciding.`,
    );
  }
  const terms = p.terms;
  if (terms === undefined) return lines;
  if (terms.reuse !== null)
    lines.push(`:repeat: *This approval may be reused.* ${escapeMrkdwn(terms.reuse)}`);
  if (terms.commentRequired !== null) {
    lines.push(`:memo: *A comment is required* to ${COMMENT_WORDS[terms.commentRequired]} this request.`);
  }
  return lines;
}

/** Where a comment modal came from, carried in its `private_metadata`. */
export interface ModalOrigin {
  requestId: string;
  channel: string;
  ts: string;
  /** Approve modals only: approve just this call (no reuse window). */
  justThisCall?: boolean | undefined;
}

/**
 * The modal opened by "Deny with a reason" (or by Deny when the rule requires a comment), and with
 * `outcome: 'approve'` by Approve when the rule requires a comment to approve. The comment is recorded
 * with the decision; a denial's is sent to the agent.
 */
export function renderReasonModal(
  request: ApprovalRequest,
  origin: ModalOrigin,
  outcome: 'approve' | 'deny' = 'deny',
): ModalView {
  const p = presentRequest(request);
  const approve = outcome === 'approve';
  const question = approve
    ? `Approve ${origin.justThisCall === true ? 'just this call: ' : ''}${subject(p)} for ${code(p.who.actor, 100)}?`
    : `Deny ${subject(p)} for ${code(p.who.actor, 100)}?`;
  return {
    type: 'modal',
    callback_id: approve ? COMMENT_MODAL.callbackId : REASON_MODAL.callbackId,
    private_metadata: JSON.stringify(origin),
    title: { type: 'plain_text', text: approve ? 'Approve request' : 'Deny request' },
    submit: { type: 'plain_text', text: approve ? 'Approve' : 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: mrkdwn(question),
      },
      {
        type: 'input',
        block_id: REASON_MODAL.blockId,
        label: {
          type: 'plain_text',
          text: approve ? 'Justification (recorded in the audit trail)' : 'Reason (sent back to the agent)',
        },
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
