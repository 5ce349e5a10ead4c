// GET /inbox: the sign-in page, or the requests the signed-in approver may decide, nearest deadline first.
import { getCookie } from 'hono/cookie';
import type { InboxApp, InboxDeps } from './inbox-deps.js';
import { listPage, signInPage } from './pages.js';
import { presentUnderRule } from './present.js';
import { page } from './responses.js';
import { SESSION_COOKIE } from './sessions.js';
import { pageContext, sessionOf } from './signed-in.js';
import { decidableOr503 } from './store-unavailable.js';

export function mountListRoute(app: InboxApp, deps: InboxDeps): void {
  app.get('/inbox', async (c) => {
    const current = sessionOf(deps, getCookie(c, SESSION_COOKIE));
    if (current === null) return page(signInPage('/inbox', null));
    const { session } = current;
    const all = await decidableOr503(deps, session);
    if (all instanceof Response) return all;
    const shown = all.slice(0, deps.pageSize);
    return page(
      listPage(
        pageContext(session),
        shown.map((r) => presentUnderRule(deps.cs, r)),
        all.length > shown.length,
      ),
    );
  });
}
