// Signing in with a bearer token (a new session cookie) and signing out (the session ends).
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { AuthenticationFailure } from '../bearer-auth.js';
import { problem } from '../problem.js';
import { readForm, sameOrigin, unknownField } from './forms.js';
import type { InboxApp, InboxDeps } from './inbox-deps.js';
import { messagePage, signInPage } from './pages.js';
import { page, redirect } from './responses.js';
import { csrfMatches, SESSION_COOKIE } from './sessions.js';
import { pageContext, sessionOf } from './signed-in.js';

/** Where sign-in may send the browser next: the list or one request's page. */
const NEXT = /^\/inbox(\/requests\/[A-Za-z0-9_-]{1,100})?$/;

export function mountSignInRoutes(app: InboxApp, deps: InboxDeps): void {
  app.post('/inbox/sign-in', async (c) => {
    if (!sameOrigin(c.req.raw, deps.publicOrigin))
      return problem(403, 'cross_origin', 'sign-in must come from this origin');
    const form = await readForm(c.req.raw, deps.maxBodyBytes);
    if (form instanceof Response) return form;
    const extra = unknownField(form, ['token', 'next']);
    if (extra !== null) return problem(400, 'invalid_input', `unknown field "${extra}"`, { field: extra });
    const next = form.get('next') ?? '/inbox';
    if (!NEXT.test(next))
      return problem(400, 'invalid_input', 'next must be an inbox path', { field: 'next' });
    const token = (form.get('token') ?? '').trim();
    let identity: string;
    try {
      identity = await deps.bearer.verify(token);
    } catch (error) {
      if (!(error instanceof AuthenticationFailure)) throw error;
      return page(signInPage(next, `Sign-in failed: ${error.reason}.`), error.status);
    }
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous !== undefined) deps.sessions.delete(previous);
    const { id } = deps.sessions.create(identity, deps.clock.now());
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: deps.secureCookies,
      path: '/inbox',
      maxAge: Math.floor(deps.sessionTtlMs / 1000),
    });
    c.header('location', next);
    c.header('cache-control', 'no-store');
    return c.body(null, 303);
  });

  app.post('/inbox/sign-out', async (c) => {
    const current = sessionOf(deps, getCookie(c, SESSION_COOKIE));
    if (current === null) return redirect('/inbox');
    const form = await readForm(c.req.raw, deps.maxBodyBytes);
    if (form instanceof Response) return form;
    if (!sameOrigin(c.req.raw, deps.publicOrigin) || !csrfMatches(current.session, form.get('csrf'))) {
      return page(
        messagePage(
          pageContext(current.session),
          'Refused',
          'The form was stale or came from another site. Reload the page and try again.',
        ),
        403,
      );
    }
    deps.sessions.delete(current.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/inbox' });
    c.header('location', '/inbox');
    return c.body(null, 303);
  });
}
