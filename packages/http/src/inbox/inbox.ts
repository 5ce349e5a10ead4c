// The web approval inbox: mounts sign-in, the list and a stable page per request, decisions, live updates.
import { problem } from '../problem.js';
import { mountAssetRoutes } from './asset-routes.js';
import { mountBatchRoutes } from './batch-routes.js';
import type { InboxApp, InboxDeps } from './inbox-deps.js';
import { mountListRoute } from './list-route.js';
import { mountLiveUpdates } from './live-updates.js';
import { mountRequestRoutes } from './request-routes.js';
import { securityHeaders } from './security-headers.js';
import { mountSignInRoutes } from './sign-in-routes.js';

/** Every inbox path and the methods it answers: any other method gets a 405 naming them. */
const INBOX_ROUTES: Record<string, string[]> = {
  '/inbox': ['GET'],
  '/inbox/sign-in': ['POST'],
  '/inbox/sign-out': ['POST'],
  '/inbox/events': ['GET'],
  '/inbox/requests/:id': ['GET'],
  '/inbox/requests/:id/decide': ['POST'],
  '/inbox/sessions/:session': ['GET'],
  '/inbox/sessions/:session/decide': ['POST'],
  '/inbox/assets/inbox.css': ['GET'],
  '/inbox/assets/inbox.js': ['GET'],
};

/** Ends every live stream, so a shutdown need not wait for browsers to hang up. */
export interface MountedInbox {
  close(): void;
}

export function mountInbox(app: InboxApp, deps: InboxDeps): MountedInbox {
  app.use('/inbox', securityHeaders);
  app.use('/inbox/*', securityHeaders);
  mountAssetRoutes(app);
  mountListRoute(app, deps);
  mountSignInRoutes(app, deps);
  mountRequestRoutes(app, deps);
  mountBatchRoutes(app, deps);
  const live = mountLiveUpdates(app, deps);
  for (const [path, methods] of Object.entries(INBOX_ROUTES)) {
    app.all(path, () =>
      problem(405, 'method_not_allowed', `${path} answers ${methods.join(', ')}`, {
        headers: { allow: methods.join(', ') },
      }),
    );
  }
  return live;
}
