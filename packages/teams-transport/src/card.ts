// The Adaptive Card 1.5 for an approval request, rendered from core's presentation model.
import {
  type ApprovalRequest,
  type ApprovalTerms,
  type PolicyRule,
  presentRequest,
  type RequestPresentation,
} from '@countersign/core';
import type { CardElement } from './card-element.js';
import { cutElements, fieldCut } from './cut-notice.js';
import { type Inert, inert, inertLength, inertText } from './escape.js';

export type { CardElement } from './card-element.js';

/** `verb`s of the card's actions; anything else is refused. */
export const VERB = {
  Approve: 'countersign.approve',
  Deny: 'countersign.deny',
  Refresh: 'countersign.refresh',
  /** Approves without opening a reuse window (`justThisCall`); offered when the rule has `reuse`. */
  ApproveJustThisCall: 'countersign.approve_just_this_call',
} as const;

/**
 * The id of the comment input ("Deny with a reason", and approving under a rule that requires a
 * comment), as it arrives in the action's data.
 */
export const REASON_INPUT = { id: 'countersignReason', maxLength: 500 } as const;

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: string;
  readonly version: '1.5';
  readonly body: readonly CardElement[];
  readonly actions?: readonly CardElement[] | undefined;
  /** Universal Actions' refresh: these users' clients fetch a personal view of the card. */
  readonly refresh?: { readonly action: CardElement; readonly userIds: readonly string[] } | undefined;
  readonly fallbackText: string;
}

/** How the card is personalised for one viewer (an invoke response or a refresh). */
export interface CardViewer {
  /** One sentence for this viewer alone, e.g. why their click changed nothing. */
  note?: string | undefined;
  /** False hides the buttons from this viewer (they voted, or may not decide). Default true. */
  canDecide?: boolean | undefined;
}

export interface RenderCardOptions {
  viewer?: CardViewer | undefined;
  /** Teams user ids (`29:…`) whose clients fetch a personal view with `refresh` (at most 60). */
  refreshUserIds?: readonly string[] | undefined;
  /** The request's policy rule (`host.rule(request.ruleId)`): adds the approval's terms and actions. */
  rule?: PolicyRule | null | undefined;
  /** The approval server's base URL: a card that cuts anything links to the request's inbox page. */
  publicUrl?: string | undefined;
}

/** Whether deciding `outcome` under these terms needs a comment. */
export function needsComment(terms: ApprovalTerms | undefined, outcome: 'approve' | 'deny'): boolean {
  const required = terms?.commentRequired ?? null;
  return required === 'both' || required === outcome;
}

const COMMENT_WORDS = { approve: 'approve', deny: 'deny', both: 'approve or deny' } as const;

/**
 * Teams rejects messages over about 100 KB (UTF-16); these budgets keep a card far below it. They
 * count marked characters (`⟨U+202E⟩` is 8), so core's cut rule is given {@link inertLength}.
 */
const PARAMS_BUDGET = 2_600;
const REASON_BUDGET = 1_500;
const VALUE_BUDGET = 300;
const MAX_REFRESH_USERS = 60;

const run = (text: string, extra: Record<string, unknown> = {}): CardElement => ({
  type: 'TextRun',
  text,
  ...extra,
});

/** A label and an untrusted value: TextRuns are never parsed as markdown, so the value stays text. */
function fact(label: string, value: string | null, absent = '(none)'): CardElement {
  return {
    type: 'RichTextBlock',
    inlines: [
      run(`${label}: `, { weight: 'Bolder' }),
      value === null
        ? run(absent, { isSubtle: true })
        : run(inertText(value, VALUE_BUDGET), { fontType: 'Monospace' }),
    ],
  };
}

/** A label and untrusted text already made {@link inert}, with a note when it was cut. */
function block(label: string, value: Inert): CardElement[] {
  const more = value.omitted === 0 ? '' : `… (${value.omitted.toLocaleString('en-US')} more characters)`;
  return [
    { type: 'TextBlock', text: label, weight: 'Bolder', wrap: true, spacing: 'Medium' },
    {
      type: 'RichTextBlock',
      inlines: [run(value.text.length === 0 ? '(empty)' : `${value.text}${more}`, { fontType: 'Monospace' })],
    },
  ];
}

function executeAction(title: string, verb: string, requestId: string, style?: string): CardElement {
  return {
    type: 'Action.Execute',
    title,
    verb,
    data: { requestId },
    ...(style === undefined ? {} : { style }),
    // Clients without Universal Actions send the same verb and data as a message activity.
    fallback: { type: 'Action.Submit', title, data: { countersignVerb: verb, requestId } },
  };
}

/** An action that first asks for a comment (required), then sends `verb` with it. */
function withComment(
  title: string,
  verb: string,
  requestId: string,
  label: string,
  style?: string,
): CardElement {
  const deny = verb === VERB.Deny;
  return {
    type: 'Action.ShowCard',
    title,
    card: {
      type: 'AdaptiveCard',
      body: [
        {
          type: 'Input.Text',
          id: REASON_INPUT.id,
          label,
          isMultiline: true,
          isRequired: true,
          maxLength: REASON_INPUT.maxLength,
          errorMessage: deny ? 'Say why you deny the request.' : 'A comment is required.',
        },
      ],
      actions: [executeAction(title, verb, requestId, style)],
    },
  };
}

function actions(p: RequestPresentation): CardElement[] {
  const approveComment = needsComment(p.terms, 'approve');
  const justification = 'Justification (recorded in the audit trail)';
  const list: CardElement[] = [
    approveComment
      ? withComment('Approve', VERB.Approve, p.id, justification, 'positive')
      : executeAction('Approve', VERB.Approve, p.id, 'positive'),
  ];
  if (p.terms?.reuse) {
    list.push(
      approveComment
        ? withComment('Approve just this call', VERB.ApproveJustThisCall, p.id, justification)
        : executeAction('Approve just this call', VERB.ApproveJustThisCall, p.id),
    );
  }
  if (!needsComment(p.terms, 'deny')) list.push(executeAction('Deny', VERB.Deny, p.id, 'destructive'));
  list.push(
    withComment('Deny with a reason', VERB.Deny, p.id, 'Reason (sent back to the agent)', 'destructive'),
  );
  return list;
}

/** What approving means beyond this call (from the rule), shown while the request is open. */
function termsElements(p: RequestPresentation): CardElement[] {
  const lines: string[] = [];
  if (p.what.risk === 'high' || p.what.risk === 'critical') {
    lines.push(
      `${p.what.risk === 'critical' ? 'Critical' : 'High'} risk: read the parameters before deciding.`,
    );
  }
  if (p.terms?.reuse) lines.push(`This approval may be reused. ${p.terms.reuse}`);
  if (p.terms?.commentRequired) {
    lines.push(`A comment is required to ${COMMENT_WORDS[p.terms.commentRequired]} this request.`);
  }
  return lines.map((line) => ({
    type: 'RichTextBlock',
    inlines: [run(inertText(line, VALUE_BUDGET * 2), { weight: 'Bolder', color: 'Attention' })],
  }));
}

function statusElements(
  p: RequestPresentation,
  viewer: CardViewer | undefined,
  comment: Inert | null,
): CardElement[] {
  const elements: CardElement[] = [
    {
      type: 'RichTextBlock',
      spacing: 'Medium',
      inlines: [run('Status: ', { weight: 'Bolder' }), run(inertText(p.statusText, VALUE_BUDGET * 2))],
    },
  ];
  if (comment !== null) elements.push(...block('Reason given:', comment));
  if (viewer?.note !== undefined) {
    elements.push({ type: 'TextBlock', text: viewer.note, wrap: true, weight: 'Bolder', color: 'Attention' });
  }
  return elements;
}

/**
 * The card for a request in its current state: who asks and for whom, the action, resource and
 * exact (redacted) params with their hash, the agent's reason labelled unverified, the rule,
 * quorum progress and expiry. Buttons only while the request is open (and the viewer may decide).
 * Every value from the request is a TextRun, which Adaptive Cards never parse as markdown, so no
 * value can format, link, mention or hide anything; the card carries no mention entities.
 */
export function renderApprovalCard(request: ApprovalRequest, options: RenderCardOptions = {}): AdaptiveCard {
  const p = presentRequest(request, {
    paramsBudget: PARAMS_BUDGET,
    measure: inertLength(true),
    rule: options.rule,
  });
  const { what } = p;
  const reason = inert(p.why.reason, REASON_BUDGET, true);
  const comment = p.denial?.comment ? inert(p.denial.comment, REASON_BUDGET, true) : null;
  const cut = [
    ...fieldCut('reason', p.why.reason, reason),
    ...(comment === null ? [] : fieldCut('reason given', p.denial?.comment ?? '', comment)),
  ];
  const redacted =
    what.redactedPaths.length === 0
      ? ''
      : ` · Redacted: ${what.redactedPaths.slice(0, 10).join(', ')}${what.redactedPaths.length > 10 ? ` and ${what.redactedPaths.length - 10} more` : ''}`;
  const body: CardElement[] = [
    { type: 'TextBlock', text: p.headline, size: 'Large', weight: 'Bolder', wrap: true, style: 'heading' },
    fact('Agent', p.who.actor),
    fact('On behalf of', p.who.onBehalfOf, '(nobody)'),
    fact('Action', what.action),
    fact('Resource', what.resource),
    fact('Risk', what.risk),
    fact('Policy rule', p.ruleId),
    fact('Quorum', `${p.quorum.required} of ${p.approvers.length} eligible approvers`),
    fact('Expires', new Date(p.expiresAt).toISOString()),
    ...block(`The agent's stated reason (${p.why.label}):`, reason),
    // Core already fitted the params to PARAMS_BUDGET marked characters: no second cut here.
    ...block('Exact parameters (secrets redacted):', inert(what.paramsText, Number.POSITIVE_INFINITY, true)),
    ...cutElements(p, cut, options.publicUrl),
    {
      type: 'RichTextBlock',
      inlines: [
        run(
          inertText(`Params hash sha256:${what.paramsHash}${redacted} · Request ${p.id}`, VALUE_BUDGET * 2),
          {
            size: 'Small',
            isSubtle: true,
          },
        ),
      ],
    },
    ...statusElements(p, options.viewer, comment),
    ...(p.open ? termsElements(p) : []),
  ];
  const showButtons = p.open && options.viewer?.canDecide !== false;
  const userIds = (options.refreshUserIds ?? []).slice(0, MAX_REFRESH_USERS);
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: `${p.headline}: ${inertText(what.action, 100)} requested by ${inertText(p.who.actor, 100)}`,
    body,
    ...(showButtons ? { actions: actions(p) } : {}),
    ...(p.open && userIds.length > 0
      ? {
          refresh: {
            action: { type: 'Action.Execute', verb: VERB.Refresh, data: { requestId: p.id } },
            userIds: [...userIds],
          },
        }
      : {}),
  };
}

/** The message activity that carries the card: no text to parse, no mention entities. */
export function cardActivity(card: AdaptiveCard): Record<string, unknown> {
  return {
    type: 'message',
    summary: card.fallbackText,
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }],
  };
}
