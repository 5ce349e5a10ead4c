// One agent session's pending requests on a page, decided together as a batch (all or nothing).
import { type BatchRefusedError, isCountersignError, MAX_BATCH } from '@countersign/core';
import { getCookie } from 'hono/cookie';
import { unknownField } from './forms.js';
import type { InboxApp, InboxDeps } from './inbox-deps.js';
import { noticeFor } from './notice.js';
import { batchPage, batchRefusedPage, messagePage, NOTICES, sessionPath, signInPage } from './pages.js';
import { presentUnderRule } from './present.js';
import { page, redirect } from './responses.js';
import { SESSION_COOKIE } from './sessions.js';
import { pageContext, sessionOf, signedInForm } from './signed-in.js';
import { decidableOr503 } from './store-unavailable.js';

/** A batch form's `request` field: the request id and the params hash shown for it. */
const BATCH_ENTRY = /^([A-Za-z0-9_-]{1,100}):([0-9a-f]{64})$/;
/** Session ids as core accepts them: 1–256 characters, no controls (core checks the rest). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const SESSION_ID = /^[^\u0000-\u001f\u007f]{1,256}$/u;

export function mountBatchRoutes(app: InboxApp, deps: InboxDeps): void {
  const { cs } = deps;

  app.get('/inbox/sessions/:session', async (c) => {
    const sessionId = c.req.param('session');
    if (!SESSION_ID.test(sessionId))
      return page(messagePage({ identity: null, csrf: null }, 'Not found', 'No such session.'), 404);
    const current = sessionOf(deps, getCookie(c, SESSION_COOKIE));
    if (current === null) return page(signInPage('/inbox', null));
    const { session } = current;
    const all = await decidableOr503(deps, session);
    if (all instanceof Response) return all;
    const mine = all.filter((r) => r.sessionId === sessionId).slice(0, MAX_BATCH);
    const notice = NOTICES[c.req.query('notice') ?? ''] ?? null;
    return page(
      batchPage(
        pageContext(session),
        sessionId,
        mine.map((r) => presentUnderRule(cs, r)),
        notice,
      ),
    );
  });

  app.post('/inbox/sessions/:session/decide', async (c) => {
    const sessionId = c.req.param('session');
    const posted = await signedInForm(deps, c.req.raw, getCookie(c, SESSION_COOKIE));
    if (posted instanceof Response) return posted;
    const { session, form } = posted;
    if (!SESSION_ID.test(sessionId))
      return page(messagePage(pageContext(session), 'Not found', 'No such session.'), 404);
    const back = sessionPath(sessionId);
    const extra = unknownField(form, ['csrf', 'outcome', 'comment', 'request']);
    const choice = form.get('outcome');
    const comment = form.get('comment') ?? '';
    const entries = form.getAll('request').map((value) => BATCH_ENTRY.exec(value));
    if (
      extra !== null ||
      (choice !== 'approve' && choice !== 'deny' && choice !== 'approve_just_these') ||
      comment.length > 2000 ||
      entries.length === 0 ||
      entries.length > MAX_BATCH ||
      entries.some((entry) => entry === null)
    ) {
      return redirect(`${back}?notice=invalid_input`);
    }
    const requests = entries.map((entry) => ({ id: entry![1]!, paramsHash: entry![2]! }));
    const loaded = await Promise.all(requests.map((r) => cs.getRequest(r.id).catch(() => null)));
    // The batch page lists one session; a form naming another session's request is refused whole.
    if (loaded.some((request) => request !== null && request.sessionId !== sessionId)) {
      return page(
        batchRefusedPage(pageContext(session), sessionId, ['a listed request belongs to another session']),
        409,
      );
    }
    const outcome = choice === 'deny' ? 'deny' : 'approve';
    try {
      await cs.decideBatch({
        approver: session.identity,
        outcome,
        comment: comment.trim() === '' ? undefined : comment,
        via: 'inbox',
        requests,
        ...(choice === 'approve_just_these' ? { justThisCall: true } : {}),
      });
      return redirect(`${back}?notice=${outcome === 'approve' ? 'batch_approved' : 'batch_denied'}`);
    } catch (error) {
      if (isCountersignError(error, 'batch_refused')) {
        return page(
          batchRefusedPage(pageContext(session), sessionId, (error as BatchRefusedError).problems),
          409,
        );
      }
      return redirect(`${back}?notice=${noticeFor(error)}`);
    }
  });
}
