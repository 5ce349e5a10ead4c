// The web approval inbox: sign-in, the list and a stable page per request, decisions, live updates.
import {
  type ApprovalRequest,
  type BatchRefusedError,
  type Clock,
  type Countersign,
  decisionProblem,
  isCountersignError,
  MAX_BATCH,
  readCappedBody,
  type Store,
} from '@countersign/core';
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { BearerVerifier } from '../bearer-auth.js';
import { AuthenticationFailure } from '../bearer-auth.js';
import type { ChangeFeed } from '../change-feed.js';
import { decidableRequests } from '../pending-requests.js';
import { problem } from '../problem.js';
import type { RefusalAudit } from '../refusal-audit.js';
import { requestAudit } from '../request-audit.js';
import { INBOX_CSS, INBOX_JS } from './assets.js';
import {
  batchPage,
  batchRefusedPage,
  listPage,
  messagePage,
  NOTICES,
  type PageContext,
  presentWhole,
  requestPage,
  sessionPath,
  signInPage,
} from './pages.js';
import { csrfMatches, SESSION_COOKIE, type Session, type SessionStore } from './sessions.js';

export interface InboxOptions {
  /** How long a sign-in lasts, in milliseconds. Default 3600000 (one hour). */
  sessionTtlMs?: number | undefined;
  /** Mark the session cookie `Secure`. Default: true when `publicUrl` is https. */
  secureCookies?: boolean | undefined;
  /** Requests shown on the list page, nearest deadline first. Default 200. */
  pageSize?: number | undefined;
  /** Live-update streams this process holds open at most. Default 1000. */
  maxStreams?: number | undefined;
  /** Seconds between keep-alive comments on the live stream. Default 15. */
  keepAliveSeconds?: number | undefined;
}

export const INBOX_OPTION_KEYS = [
  'sessionTtlMs',
  'secureCookies',
  'pageSize',
  'maxStreams',
  'keepAliveSeconds',
] as const;

export interface InboxDeps {
  cs: Countersign;
  store: Store;
  bearer: BearerVerifier;
  clock: Clock;
  auditors: ReadonlySet<string>;
  feed: ChangeFeed;
  refusals: RefusalAudit;
  sessions: SessionStore;
  maxBodyBytes: number;
  maxScan: number;
  publicOrigin: string | null;
  secureCookies: boolean;
  sessionTtlMs: number;
  pageSize: number;
  maxStreams: number;
  keepAliveMs: number;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** A batch form's `request` field: the request id and the params hash shown for it. */
const BATCH_ENTRY = /^([A-Za-z0-9_-]{1,100}):([0-9a-f]{64})$/;
/** Session ids as core accepts them: 1–256 characters, no controls (core checks the rest). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const SESSION_ID = /^[^\u0000-\u001f\u007f]{1,256}$/u;
const NEXT = /^\/inbox(\/requests\/[A-Za-z0-9_-]{1,100})?$/;
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

/** The notice code for a refused decision: never text from the error itself. */
function noticeFor(error: unknown): string {
  if (!isCountersignError(error)) return 'unavailable';
  if (error.code === 'invalid_input' && /requires a comment/.test(error.message)) return 'comment_required';
  return error.code in NOTICES ? error.code : 'unavailable';
}

function page(body: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
}

/** Ends every live stream, so a shutdown need not wait for browsers to hang up. */
export interface MountedInbox {
  close(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: the inbox mounts onto any app's variables.
export function mountInbox(app: Hono<any>, deps: InboxDeps): MountedInbox {
  const { cs, clock } = deps;
  let streams = 0;
  const liveStreams = new Set<() => void>();

  // Same-origin referrers: with none at all, Chromium sends `Origin: null` on form posts.
  const secure = async (c: { res: Response }, next: () => Promise<void>) => {
    await next();
    c.res.headers.set('content-security-policy', CSP);
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('referrer-policy', 'same-origin');
    c.res.headers.set('x-frame-options', 'DENY');
  };
  app.use('/inbox', secure);
  app.use('/inbox/*', secure);

  const sessionOf = (cookie: string | undefined): { id: string; session: Session } | null => {
    if (cookie === undefined) return null;
    const session = deps.sessions.get(cookie, clock.now());
    return session === null ? null : { id: cookie, session };
  };
  const context = (s: Session): PageContext => ({ identity: s.identity, csrf: s.csrf });
  /** The approval's terms come from the rule the request was opened under. */
  const present = (request: ApprovalRequest) => presentWhole(request, cs.rule(request.ruleId));
  /** Cross-site form posts are refused by origin before the CSRF token is even compared. */
  const sameOrigin = (request: Request): boolean => {
    const origin = request.headers.get('origin');
    if (origin === null) return true;
    return origin === (deps.publicOrigin ?? new URL(request.url).origin);
  };
  const readForm = async (request: Request): Promise<URLSearchParams | Response> => {
    const type = request.headers.get('content-type') ?? '';
    if (!/^application\/x-www-form-urlencoded(;|$)/i.test(type)) {
      return problem(415, 'unsupported_media_type', 'send a form (application/x-www-form-urlencoded)');
    }
    const body = await readCappedBody(request, deps.maxBodyBytes);
    if (body === null) return problem(413, 'body_too_large', `the body exceeds ${deps.maxBodyBytes} bytes`);
    return new URLSearchParams(new TextDecoder().decode(body));
  };
  /** The requests `session`'s approver may decide now, or a 503 page when the store cannot be read. */
  const decidableOr503 = async (session: Session): Promise<ApprovalRequest[] | Response> => {
    const all = await decidableRequests(deps.store, session.identity, clock.now(), {}, deps.maxScan).catch(
      () => null,
    );
    return all ?? storeUnavailable(session);
  };
  /** The page for a store that could not be read: nothing was decided, try again. */
  const storeUnavailable = (session: Session): Response =>
    page(
      messagePage(
        context(session),
        'Unavailable',
        'The approval store could not be read. Try again shortly.',
      ),
      503,
    );
  /**
   * A decision form from a signed-in approver, from this site, with the session's CSRF token; else the
   * response that refuses it (nothing recorded either way).
   */
  const signedInForm = async (
    request: Request,
    cookie: string | undefined,
  ): Promise<{ session: Session; form: URLSearchParams } | Response> => {
    const current = sessionOf(cookie);
    if (current === null) return problem(401, 'unauthenticated', 'sign in first');
    const { session } = current;
    const form = await readForm(request);
    if (form instanceof Response) return form;
    if (!sameOrigin(request) || !csrfMatches(session, form.get('csrf'))) {
      return page(
        messagePage(
          context(session),
          'Refused',
          'The form was stale or came from another site, so nothing was recorded. Reload the page and try again.',
        ),
        403,
      );
    }
    return { session, form };
  };
  const unknownField = (form: URLSearchParams, allowed: readonly string[]): string | null => {
    for (const key of form.keys()) if (!allowed.includes(key)) return key;
    return null;
  };

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

  app.get('/inbox', async (c) => {
    const current = sessionOf(getCookie(c, SESSION_COOKIE));
    if (current === null) return page(signInPage('/inbox', null));
    const { session } = current;
    const all = await decidableOr503(session);
    if (all instanceof Response) return all;
    const shown = all.slice(0, deps.pageSize);
    return page(
      listPage(
        context(session),
        shown.map((r) => present(r)),
        all.length > shown.length,
      ),
    );
  });

  app.post('/inbox/sign-in', async (c) => {
    if (!sameOrigin(c.req.raw)) return problem(403, 'cross_origin', 'sign-in must come from this origin');
    const form = await readForm(c.req.raw);
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
    const { id } = deps.sessions.create(identity, clock.now());
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
    const current = sessionOf(getCookie(c, SESSION_COOKIE));
    if (current === null) return redirect('/inbox');
    const form = await readForm(c.req.raw);
    if (form instanceof Response) return form;
    if (!sameOrigin(c.req.raw) || !csrfMatches(current.session, form.get('csrf'))) {
      return page(
        messagePage(
          context(current.session),
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

  app.get('/inbox/requests/:id', async (c) => {
    const id = c.req.param('id');
    if (!REQUEST_ID.test(id))
      return page(messagePage({ identity: null, csrf: null }, 'Not found', 'No such request.'), 404);
    const current = sessionOf(getCookie(c, SESSION_COOKIE));
    if (current === null) return page(signInPage(`/inbox/requests/${id}`, null));
    const { session } = current;
    let request: ApprovalRequest | null;
    try {
      request = await cs.getRequest(id);
    } catch {
      return storeUnavailable(session);
    }
    if (request === null) return page(messagePage(context(session), 'Not found', 'No such request.'), 404);
    if (!request.approvers.includes(session.identity) && !deps.auditors.has(session.identity)) {
      return page(
        messagePage(
          context(session),
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
        context(session),
        present(request),
        decisionProblem(request, session.identity, clock.now()),
        audit,
        notice,
      ),
    );
  });

  app.post('/inbox/requests/:id/decide', async (c) => {
    const id = c.req.param('id');
    const posted = await signedInForm(c.req.raw, getCookie(c, SESSION_COOKIE));
    if (posted instanceof Response) return posted;
    const { session, form } = posted;
    if (!REQUEST_ID.test(id))
      return page(messagePage(context(session), 'Not found', 'No such request.'), 404);
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

  app.get('/inbox/sessions/:session', async (c) => {
    const sessionId = c.req.param('session');
    if (!SESSION_ID.test(sessionId))
      return page(messagePage({ identity: null, csrf: null }, 'Not found', 'No such session.'), 404);
    const current = sessionOf(getCookie(c, SESSION_COOKIE));
    if (current === null) return page(signInPage('/inbox', null));
    const { session } = current;
    const all = await decidableOr503(session);
    if (all instanceof Response) return all;
    const mine = all.filter((r) => r.sessionId === sessionId).slice(0, MAX_BATCH);
    const notice = NOTICES[c.req.query('notice') ?? ''] ?? null;
    return page(batchPage(context(session), sessionId, mine.map(present), notice));
  });

  app.post('/inbox/sessions/:session/decide', async (c) => {
    const sessionId = c.req.param('session');
    const posted = await signedInForm(c.req.raw, getCookie(c, SESSION_COOKIE));
    if (posted instanceof Response) return posted;
    const { session, form } = posted;
    if (!SESSION_ID.test(sessionId))
      return page(messagePage(context(session), 'Not found', 'No such session.'), 404);
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
        batchRefusedPage(context(session), sessionId, ['a listed request belongs to another session']),
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
          batchRefusedPage(context(session), sessionId, (error as BatchRefusedError).problems),
          409,
        );
      }
      return redirect(`${back}?notice=${noticeFor(error)}`);
    }
  });

  app.get('/inbox/events', (c) => {
    const current = sessionOf(getCookie(c, SESSION_COOKIE));
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

  for (const [path, methods] of Object.entries(INBOX_ROUTES)) {
    app.all(path, () =>
      problem(405, 'method_not_allowed', `${path} answers ${methods.join(', ')}`, {
        headers: { allow: methods.join(', ') },
      }),
    );
  }
  return {
    close() {
      for (const end of [...liveStreams]) end();
    },
  };
}
