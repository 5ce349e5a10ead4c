// Inbox sign-in sessions: an opaque cookie, a per-session CSRF token, a bounded lifetime.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  identity: string;
  csrf: string;
  expiresAt: number;
}

export interface SessionStore {
  create(identity: string, now: number): { id: string; session: Session };
  get(id: string, now: number): Session | null;
  delete(id: string): void;
}

export const SESSION_COOKIE = 'cs_inbox';

/**
 * Sessions in this process's memory, keyed by the SHA-256 of the cookie so a heap dump holds no
 * usable cookie. One process only: run several behind sticky sessions or sign in per process.
 */
export function createSessionStore(ttlMs: number, capacity = 10_000): SessionStore {
  const sessions = new Map<string, Session>();
  const key = (id: string) => createHash('sha256').update(id).digest('base64url');
  return {
    create(identity, now) {
      if (sessions.size >= capacity) {
        for (const [k, s] of sessions) if (s.expiresAt <= now) sessions.delete(k);
        if (sessions.size >= capacity) {
          const oldest = sessions.keys().next().value;
          if (oldest !== undefined) sessions.delete(oldest);
        }
      }
      const id = randomBytes(32).toString('base64url');
      const session = { identity, csrf: randomBytes(32).toString('base64url'), expiresAt: now + ttlMs };
      sessions.set(key(id), session);
      return { id, session };
    },
    get(id, now) {
      const session = sessions.get(key(id));
      if (session === undefined) return null;
      if (session.expiresAt <= now) {
        sessions.delete(key(id));
        return null;
      }
      return session;
    },
    delete(id) {
      sessions.delete(key(id));
    },
  };
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: Session, submitted: string | null | undefined): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
