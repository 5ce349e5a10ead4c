// GET /inbox/events: a server-sent event stream of changes to the requests the signed-in person may see.
import { getCookie } from 'hono/cookie';
import { decidableRequests } from '../pending-requests.js';
import { problem } from '../problem.js';
import type { InboxApp, InboxDeps } from './inbox-deps.js';
import { SESSION_COOKIE } from './sessions.js';
import { sessionOf } from './signed-in.js';

/** The open streams, which `close` ends. */
export interface LiveUpdates {
  close(): void;
}

/** Mounts the stream, at most `deps.maxStreams` open at once in this process. */
export function mountLiveUpdates(app: InboxApp, deps: InboxDeps): LiveUpdates {
  const { clock } = deps;
  let streams = 0;
  const liveStreams = new Set<() => void>();

  app.get('/inbox/events', (c) => {
    const current = sessionOf(deps, getCookie(c, SESSION_COOKIE));
    if (current === null) return problem(401, 'unauthenticated', 'sign in first');
    if (streams >= deps.maxStreams)
      return problem(503, 'too_many_streams', 'too many live streams open; retry shortly', {
        headers: { 'retry-after': '5' },
      });
    const identity = current.session.identity;
    const encoder = new TextEncoder();
    let cleanup = () => {};
    streams += 1;
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        let live = true;
        const send = (chunk: string) => {
          if (!live) return;
          try {
            controller.enqueue(encoder.encode(chunk));
          } catch {
            cleanup();
          }
        };
        const event = (name: string, data: unknown) =>
          send(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
        // Subscribed before the snapshot is read, so no change falls between the two.
        const unsubscribe = deps.feed.subscribe((request) => {
          if (!request.approvers.includes(identity) && !deps.auditors.has(identity)) return;
          event('changed', { id: request.id, status: request.status, version: request.version });
        });
        const keepAlive = setInterval(() => send(': keep-alive\n\n'), deps.keepAliveMs);
        cleanup = () => {
          if (!live) return;
          live = false;
          liveStreams.delete(cleanup);
          streams -= 1;
          unsubscribe();
          clearInterval(keepAlive);
          try {
            controller.close();
          } catch {}
        };
        liveStreams.add(cleanup);
        c.req.raw.signal.addEventListener('abort', () => cleanup(), { once: true });
        send('retry: 3000\n\n');
        const pending = await decidableRequests(deps.store, identity, clock.now(), {}, deps.maxScan).catch(
          () => null,
        );
        event('snapshot', { pending: pending === null ? null : pending.map((r) => r.id) });
        event('ready', {});
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      },
    });
  });

  return {
    close() {
      for (const end of [...liveStreams]) end();
    },
  };
}
