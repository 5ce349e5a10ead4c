// The inbox's pages, rendered from core's presentation model and escaped by the `h` tag.
import {
  type ApprovalRequest,
  type AuditEntry,
  type PolicyRule,
  presentRequest,
  type RequestPresentation,
} from '@countersign/core';
import { h, type Markup } from './html.js';

/**
 * A request as the inbox shows it: whole, with no budget, so nothing is ever cut here. This is the
 * page other channels link to when they cut (`inboxRequestUrl`).
 */
export function presentWhole(request: ApprovalRequest, rule: PolicyRule | null = null): RequestPresentation {
  return presentRequest(request, { paramsBudget: Number.POSITIVE_INFINITY, rule });
}

/** Names shown above the params before the rest are counted (all of them are in the block below). */
const NAMES_LISTED = 50;

/**
 * The params, whole, in a scrollable block, under the list of their names: a long param cannot
 * push the next one out of sight unnoticed.
 */
function paramsBlock(p: RequestPresentation, id?: string): Markup {
  const names = p.what.paramNames;
  const more = names.length - NAMES_LISTED;
  const list =
    names.length < 2
      ? ''
      : h`<p class="param-names">${names.length} params, all shown below: ${names
          .slice(0, NAMES_LISTED)
          .map(
            (name, i) => h`${i === 0 ? '' : ', '}<code>${name}</code>`,
          )}${more > 0 ? ` and ${more} more` : ''}</p>`;
  return h`${list}<pre class="params"${id === undefined ? '' : h` id="${id}"`} tabindex="0">${p.what.paramsText}</pre>`;
}

export interface PageContext {
  identity: string | null;
  csrf: string | null;
}

const PROBLEM_TEXT: Record<string, string> = {
  not_pending: 'This request is no longer waiting for a decision.',
  expired: 'The deadline has passed.',
  self_approval: 'You cannot decide this request: it was made by you or on your behalf.',
  not_eligible: 'You are not an approver for this request.',
  already_voted: 'You have already decided on this request.',
};

/** Outcomes and errors shown after a decision, by code: never text taken from the URL. */
export const NOTICES: Record<string, { text: string; error: boolean }> = {
  approved: { text: 'Your approval was recorded.', error: false },
  denied: { text: 'Your denial was recorded.', error: false },
  self_approval: {
    text: 'Refused: you cannot decide a request made by you or on your behalf. The attempt was audited.',
    error: true,
  },
  not_eligible: {
    text: 'Refused: you are not an approver for this request. The attempt was audited.',
    error: true,
  },
  already_voted: { text: 'You have already decided on this request.', error: true },
  already_decided: { text: 'Too late: this request was already settled. Nothing was recorded.', error: true },
  request_not_found: { text: 'This request does not exist.', error: true },
  invalid_input: { text: 'The decision was not understood. Nothing was recorded.', error: true },
  comment_required: {
    text: 'Refused: this request needs a comment with that decision. Nothing was recorded; the attempt was audited.',
    error: true,
  },
  batch_approved: { text: 'Your approval of every listed request was recorded.', error: false },
  batch_denied: { text: 'Your denial of every listed request was recorded.', error: false },
  unavailable: {
    text: 'Countersign could not record your decision, so nothing changed. Try again.',
    error: true,
  },
};

export function layout(
  title: string,
  context: PageContext,
  body: Markup,
  live: { request?: string } | null,
): string {
  const liveAttrs =
    live === null
      ? ''
      : live.request === undefined
        ? h` data-live`
        : h` data-live data-request="${live.request}"`;
  const page = h`<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · countersign</title>
<link rel="stylesheet" href="/inbox/assets/inbox.css">
<script src="/inbox/assets/inbox.js" defer></script>
</head>
<body>
<header>
<a href="/inbox">countersign inbox</a>
${
  context.identity === null
    ? ''
    : h`<form method="post" action="/inbox/sign-out"><span>Signed in as <strong>${context.identity}</strong></span>
<input type="hidden" name="csrf" value="${context.csrf}"> <button type="submit">Sign out</button></form>`
}
</header>
<main id="main"${liveAttrs}>
${body}
</main>
<div id="live" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>`;
  return page.value;
}

export function signInPage(next: string, error: string | null): string {
  return layout(
    'Sign in',
    { identity: null, csrf: null },
    h`<h1>Sign in</h1>
<p>Paste a bearer token (an OIDC access or ID token for this service's audience). In production, your identity provider's login hands it over; see the package README.</p>
${error === null ? '' : h`<p class="notice error" role="alert">${error}</p>`}
<form method="post" action="/inbox/sign-in">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<input type="hidden" name="next" value="${next}">
<p><button type="submit">Sign in</button></p>
</form>`,
    null,
  );
}

function expiry(p: RequestPresentation): Markup {
  const at = new Date(p.expiresAt).toISOString();
  return p.open
    ? h`<time datetime="${at}">${at}</time> (<span data-expires="${p.expiresAt}">open</span>)`
    : h`<time datetime="${at}">${at}</time>`;
}

function summary(p: RequestPresentation): Markup {
  return h`<article class="card">
<h2><a href="/inbox/requests/${p.id}">${p.what.action}${p.what.resource === null ? '' : h` on ${p.what.resource}`}</a></h2>
<p><span class="status status-${p.status}">${p.headline}</span>: ${p.statusText}</p>
<dl>
<dt>Actor</dt><dd>${p.who.actor}${p.who.onBehalfOf === null ? '' : h` for ${p.who.onBehalfOf}`}</dd>
<dt>Reason</dt><dd><span class="label">${p.why.label}:</span> ${p.why.reason}</dd>
<dt>Risk</dt><dd class="risk-${p.what.risk}">${p.what.risk}</dd>
<dt>Expires</dt><dd>${expiry(p)}</dd>
</dl>
</article>`;
}

/** The link to a session's batch page. */
export function sessionPath(sessionId: string): string {
  return `/inbox/sessions/${encodeURIComponent(sessionId)}`;
}

/** Sessions with more than one request waiting, linked to their batch pages. */
function batchLinks(items: readonly RequestPresentation[]): Markup {
  const counts = new Map<string, number>();
  for (const p of items) counts.set(p.who.sessionId, (counts.get(p.who.sessionId) ?? 0) + 1);
  const many = [...counts].filter(([, n]) => n > 1);
  if (many.length === 0) return h``;
  return h`<section class="batches"><h2>Decide a session's requests together</h2><ul>${many.map(
    ([sessionId, n]) =>
      h`<li><a href="${sessionPath(sessionId)}">${n} requests in session <code>${sessionId}</code></a></li>`,
  )}</ul></section>`;
}

export function listPage(
  context: PageContext,
  items: readonly RequestPresentation[],
  truncated: boolean,
): string {
  return layout(
    'Inbox',
    context,
    h`<h1>Waiting for you</h1>
${batchLinks(items)}
${items.length === 0 ? h`<p>Nothing is waiting for your decision.</p>` : items.map(summary)}
${truncated ? h`<p>Showing the ${items.length} requests with the nearest deadlines.</p>` : ''}`,
    {},
  );
}

function decisionsList(p: RequestPresentation): Markup {
  if (p.decisions.length === 0) return h`<p>No decisions yet.</p>`;
  return h`<ul>${p.decisions.map(
    (d) =>
      h`<li><strong>${d.approver}</strong> ${d.outcome === 'approve' ? 'approved' : 'denied'} via ${d.via} at <time datetime="${new Date(d.at).toISOString()}">${new Date(d.at).toISOString()}</time>${d.comment === null ? '' : h`: “${d.comment}”`}</li>`,
  )}</ul>`;
}

function auditTable(entries: readonly AuditEntry[]): Markup {
  return h`<table>
<thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Step</th><th scope="col">Who</th><th scope="col">Details</th></tr></thead>
<tbody>${entries.map(
    (e) =>
      h`<tr><td>${e.seq}</td><td><time datetime="${new Date(e.at).toISOString()}">${new Date(e.at).toISOString()}</time></td><td>${e.type}</td><td>${e.approver ?? e.actor ?? ''}</td><td>${[e.via, e.comment, e.detail].filter((x) => x !== null).join(' · ')}</td></tr>`,
  )}</tbody>
</table>`;
}

const COMMENT_WORDS = { approve: 'to approve', deny: 'to deny', both: 'to approve or deny' } as const;

/** What approving means beyond this call (from the rule): risk, reuse and a required comment. */
function termsNotes(p: RequestPresentation): Markup {
  const notes: Markup[] = [];
  if (p.what.risk === 'high' || p.what.risk === 'critical') {
    notes.push(
      h`<p class="notice risk-${p.what.risk}"><strong>${p.what.risk === 'critical' ? 'Critical' : 'High'} risk.</strong> Read the parameters before deciding.</p>`,
    );
  }
  if (p.terms?.reuse)
    notes.push(h`<p class="notice reuse"><strong>This approval may be reused.</strong> ${p.terms.reuse}</p>`);
  if (p.terms?.commentRequired) {
    notes.push(
      h`<p class="notice comment-required"><strong>A comment is required</strong> ${COMMENT_WORDS[p.terms.commentRequired]} this request.</p>`,
    );
  }
  return h`${notes}`;
}

function commentLabel(p: RequestPresentation): string {
  const required = p.terms?.commentRequired ?? null;
  return required === null
    ? 'Reason (optional, recorded in the audit log)'
    : `Comment (required ${COMMENT_WORDS[required]}; recorded in the audit log)`;
}

export function requestPage(
  context: PageContext,
  p: RequestPresentation,
  problem: string | null,
  audit: readonly AuditEntry[],
  notice: { text: string; error: boolean } | null,
): string {
  const form =
    problem === null
      ? h`<form class="decide" method="post" action="/inbox/requests/${p.id}/decide">
<input type="hidden" name="csrf" value="${context.csrf}">
${termsNotes(p)}
<label for="comment">${commentLabel(p)}</label>
<textarea id="comment" name="comment" maxlength="2000"></textarea>
<div class="buttons">
<button class="approve" type="submit" name="outcome" value="approve">Approve</button>
${p.terms?.reuse ? h`<button class="approve" type="submit" name="outcome" value="approve_just_this_call">Approve just this call</button>` : ''}
<button class="deny" type="submit" name="outcome" value="deny">Deny</button>
</div>
</form>`
      : h`<p class="notice">${PROBLEM_TEXT[problem] ?? 'You cannot decide this request.'}</p>`;
  return layout(
    `${p.headline}: ${p.what.action}`,
    context,
    h`${notice === null ? '' : h`<p class="notice${notice.error ? ' error' : ''}" role="alert">${notice.text}</p>`}
<h1><span class="status status-${p.status}">${p.headline}</span>: ${p.what.action}</h1>
<p id="status-text">${p.statusText}</p>
<dl>
<dt>Actor</dt><dd>${p.who.actor}</dd>
<dt>On behalf of</dt><dd>${p.who.onBehalfOf ?? '—'}</dd>
<dt>Action</dt><dd><code>${p.what.action}</code></dd>
<dt>Resource</dt><dd><code>${p.what.resource ?? '—'}</code></dd>
<dt>Risk</dt><dd class="risk-${p.what.risk}">${p.what.risk}</dd>
<dt>Reason</dt><dd><span class="label">${p.why.label}:</span> <span id="reason">${p.why.reason}</span></dd>
<dt>Params</dt><dd>${paramsBlock(p, 'params')}${p.what.redactedPaths.length > 0 ? h`<small>Redacted: ${p.what.redactedPaths.join(', ')}</small>` : ''}</dd>
<dt>Params hash</dt><dd><code>${p.what.paramsHash}</code></dd>
<dt>Rule</dt><dd><code>${p.ruleId}</code></dd>
<dt>Quorum</dt><dd>${p.quorum.approvals} of ${p.quorum.required}${p.quorum.approvedBy.length > 0 ? h` (${p.quorum.approvedBy.join(', ')})` : ''}</dd>
<dt>Expires</dt><dd>${expiry(p)}</dd>
<dt>Request</dt><dd><code>${p.id}</code></dd>
</dl>
<h2>Decisions</h2>
${decisionsList(p)}
${p.open ? form : ''}
<h2>Audit trail</h2>
${auditTable(audit)}`,
    { request: p.id },
  );
}

export function messagePage(context: PageContext, title: string, text: string): string {
  return layout(
    title,
    context,
    h`<h1>${title}</h1><p>${text}</p><p><a href="/inbox">Back to the inbox</a></p>`,
    null,
  );
}

/** A session's requests the signed-in person may decide, with one form that decides them all. */
export function batchPage(
  context: PageContext,
  sessionId: string,
  items: readonly RequestPresentation[],
  notice: { text: string; error: boolean } | null,
): string {
  const reusable = items.some((p) => p.terms?.reuse);
  const body =
    items.length === 0
      ? h`<p>Nothing in this session is waiting for your decision.</p>`
      : h`<p>One decision applies to every request listed here, or to none of them.</p>
${items.map(
  (p) => h`<article class="card">
<h2><a href="/inbox/requests/${p.id}">${p.what.action}${p.what.resource === null ? '' : h` on ${p.what.resource}`}</a></h2>
<p><span class="status status-${p.status}">${p.headline}</span>: ${p.statusText}</p>
${termsNotes(p)}
<dl>
<dt>Actor</dt><dd>${p.who.actor}${p.who.onBehalfOf === null ? '' : h` for ${p.who.onBehalfOf}`}</dd>
<dt>Reason</dt><dd><span class="label">${p.why.label}:</span> ${p.why.reason}</dd>
<dt>Params</dt><dd>${paramsBlock(p)}</dd>
<dt>Params hash</dt><dd><code>${p.what.paramsHash}</code></dd>
<dt>Request</dt><dd><code>${p.id}</code></dd>
</dl>
</article>`,
)}
<form class="decide" method="post" action="${sessionPath(sessionId)}/decide">
<input type="hidden" name="csrf" value="${context.csrf}">
${items.map((p) => h`<input type="hidden" name="request" value="${p.id}:${p.what.paramsHash}">`)}
<label for="comment">Comment (recorded with each decision; required where a rule says so)</label>
<textarea id="comment" name="comment" maxlength="2000"></textarea>
<div class="buttons">
<button class="approve" type="submit" name="outcome" value="approve">Approve all</button>
${reusable ? h`<button class="approve" type="submit" name="outcome" value="approve_just_these">Approve all, just these calls</button>` : ''}
<button class="deny" type="submit" name="outcome" value="deny">Deny all</button>
</div>
</form>`;
  return layout(
    'Session batch',
    context,
    h`${notice === null ? '' : h`<p class="notice${notice.error ? ' error' : ''}" role="alert">${notice.text}</p>`}
<h1>Session <code>${sessionId}</code>: ${items.length} waiting for you</h1>
${body}`,
    {},
  );
}

/** Why a batch was refused: nothing was decided. */
export function batchRefusedPage(
  context: PageContext,
  sessionId: string,
  problems: readonly string[],
): string {
  return layout(
    'Batch refused',
    context,
    h`<h1>The batch was refused</h1>
<p class="notice error" role="alert">Nothing was decided. Decide these requests on their own pages, or reload the batch.</p>
<ul>${problems.map((problem) => h`<li>${problem}</li>`)}</ul>
<p><a href="${sessionPath(sessionId)}">Back to the session</a> · <a href="/inbox">Back to the inbox</a></p>`,
    null,
  );
}
