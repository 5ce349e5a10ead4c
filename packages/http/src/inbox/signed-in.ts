// The signed-in approver: the session behind the cookie, and a decision form checked for origin and CSRF.
import { problem } from '../problem.js';
import { readForm, sameOrigin } from './forms.js';
import type { InboxDeps } from './inbox-deps.js';
import { messagePage, type PageContext } from './pages.js';
import { page } from './responses.js';
import { csrfMatches, type Session } from './sessions.js';

/** The live session the cookie names, or null. */
export function sessionOf(
  deps: InboxDeps,
  cookie: string | undefined,
): { id: string; session: Session } | null {
  if (cookie === undefined) return null;
  const session = deps.sessions.get(cookie, deps.clock.now());
  return session === null ? null : { id: cookie, session };
}

export function pageContext(session: Session): PageContext {
  return { identity: session.identity, csrf: session.csrf };
}

/**
 * A decision form from a signed-in approver, from this site, with the session's CSRF token; else the
 * response that refuses it (nothing recorded either way).
 */
export async function signedInForm(
  deps: InboxDeps,
  request: Request,
  cookie: string | undefined,
): Promise<{ session: Session; form: URLSearchParams } | Response> {
  const current = sessionOf(deps, cookie);
  if (current === null) return problem(401, 'unauthenticated', 'sign in first');
  const { session } = current;
  const form = await readForm(request, deps.maxBodyBytes);
  if (form instanceof Response) return form;
  if (!sameOrigin(request, deps.publicOrigin) || !csrfMatches(session, form.get('csrf'))) {
    return page(
      messagePage(
        pageContext(session),
        'Refused',
        'The form was stale or came from another site, so nothing was recorded. Reload the page and try again.',
      ),
      403,
    );
  }
  return { session, form };
}
