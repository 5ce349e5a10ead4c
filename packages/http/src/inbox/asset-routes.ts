// The inbox's stylesheet and script, served from this process with a short public cache.
import { INBOX_CSS, INBOX_JS } from './assets.js';
import type { InboxApp } from './inbox-deps.js';

export function mountAssetRoutes(app: InboxApp): void {
  app.get(
    '/inbox/assets/inbox.css',
    () =>
      new Response(INBOX_CSS, {
        headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=300' },
      }),
  );
  app.get(
    '/inbox/assets/inbox.js',
    () =>
      new Response(INBOX_JS, {
        headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' },
      }),
  );
}
