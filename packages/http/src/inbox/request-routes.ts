// One request's stable page (for its approvers and auditors) and the form that decides it.
import { type ApprovalRequest, decisionProblem } from '@countersign/core';
import { getCookie } from 'hono/cookie';
import { requestAudit } from '../request-audit.js';
import { unknownField } from './forms.js';
import type { InboxApp, InboxDeps } from './inbox-deps.js';
import { noticeFor } from './notice.js';
import { messagePage, NOTICES, requestPage, signInPage } from './pages.js';
import { presentUnderRule } from './present.js';
import { page, redirect } from './responses.js';
import { SESSION_COOKIE } from './sessions.js';
import { pageContext, sessionOf, signedInForm } from './signed-in.js';
import { storeUnavailable } from './store-unavailable.js';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;

export function mountRequestRoutes(app: InboxApp, deps: InboxDeps): void {
  const { cs, clock } = deps;

  app.get('/inbox/requests/:id', async (c) => {
    const id = c.req.param('id');
    if (!REQUEST_ID.test(id))
      return page(messagePage({ identity: null, csrf: null }, 'Not found', 'No such request.'), 404);
    const current = sessionOf(deps, getCookie(c, SESSION_COOKIE));
    if (current === null) return page(signInPage(`/inbox/requests/${id}`, null));
    const { session } = current;
    let request: ApprovalRequest | null;
    try {
      request = await cs.getRequest(id);
    } catch {
      return storeUnavailable(session);
    }
    if (request === null)
      return page(messagePage(pageContext(session), 'Not found', 'No such request.'), 404);
    if (!request.approvers.includes(session.identity) && !deps.auditors.has(session.identity)) {
      return page(
        messagePage(
          pageContext(session),
          'Not yours',
          'You are neither an approver of this request nor an auditor.',
        ),
        403,
      );
    }
    const audit = await requestAudit(cs, id).catch(() => []);
    const notice = NOTICES[c.req.query('notice') ?? ''] ?? null;
    return page(
      requestPage(
        pageContext(session),
        presentUnderRule(cs, request),
        decisionProblem(request, session.identity, clock.now()),
        audit,
        notice,
      ),
    );
  });

  app.post('/inbox/requests/:id/decide', async (c) => {
    const id = c.req.param('id');
    const posted = await signedInForm(deps, c.req.raw, getCookie(c, SESSION_COOKIE));
    if (posted instanceof Response) return posted;
    const { session, form } = posted;
    if (!REQUEST_ID.test(id))
      return page(messagePage(pageContext(session), 'Not found', 'No such request.'), 404);
    const extra = unknownField(form, ['csrf', 'outcome', 'comment']);
    if (extra !== null) return redirect(`/inbox/requests/${id}?notice=invalid_input`);
    const choice = form.get('outcome');
    const comment = form.get('comment') ?? '';
    if (
      (choice !== 'approve' && choice !== 'deny' && choice !== 'approve_just_this_call') ||
      comment.length > 2000
    ) {
      return redirect(`/inbox/requests/${id}?notice=invalid_input`);
    }
    const outcome = choice === 'deny' ? 'deny' : 'approve';
    const repeated = await deps.refusals.repeatedDecision(id, session.identity);
    if (repeated !== null) return redirect(`/inbox/requests/${id}?notice=${noticeFor(repeated)}`);
    try {
      await cs.decide(id, {
        approver: session.identity,
        outcome,
        comment: comment.trim() === '' ? undefined : comment,
        via: 'inbox',
        ...(choice === 'approve_just_this_call' ? { justThisCall: true } : {}),
      });
      return redirect(`/inbox/requests/${id}?notice=${outcome === 'approve' ? 'approved' : 'denied'}`);
    } catch (error) {
      deps.refusals.decisionFailed(id, session.identity, error);
      return redirect(`/inbox/requests/${id}?notice=${noticeFor(error)}`);
    }
  });
}
