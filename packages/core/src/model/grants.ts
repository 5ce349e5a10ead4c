// The grant record and the handle `run` receives: single use, exact call, short-lived.
import type { z } from 'zod';

import { finite, finiteOrNull, record, text, textOrNull } from '../lib/record-shape.js';

/**
 * A grant as stores keep it. The token itself is never stored, only its SHA-256, so a copy
 * of the store cannot be replayed against a resource.
 */
export const grantRecordShape = record({
  id: text,
  tokenHash: text,
  fingerprint: text,
  sessionId: text,
  requestId: textOrNull,
  actor: text,
  ruleId: text,
  issuedAt: finite,
  expiresAt: finite,
  consumedAt: finiteOrNull,
  revokedAt: finiteOrNull,
});
export const grantRecordSchema = grantRecordShape.schema;
export type GrantRecord = z.infer<typeof grantRecordSchema>;

/** What a resource presents to consume a grant: the token and the exact call it is used for. */
export interface GrantCheck {
  name: string;
  resource?: string | null | undefined;
  params?: Record<string, unknown> | undefined;
  sessionId: string;
}

/**
 * The capability handed to a guarded action. Pass `token` to the resource that checks it with
 * `countersign.grants.consume`; `signal` aborts when the grant is revoked or expires.
 */
export interface Grant {
  readonly id: string;
  /** Secret. Never logged: `toJSON()` and `util.inspect` leave it out. */
  readonly token: string;
  readonly requestId: string | null;
  readonly fingerprint: string;
  readonly sessionId: string;
  readonly expiresAt: number;
  readonly signal: AbortSignal;
  /**
   * Secret. What the rule's credential broker issued for this call (e.g. `{ connectionString }`),
   * revoked when `run` settles; null when the rule names no `credentials`. Never logged, like `token`.
   */
  readonly credentials: Credentials | null;
}

/** `signal` is read through its lifetime's `signal()`, so a grant whose action never looks at it costs no AbortController. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** The token sits in a private field, so spreading, `JSON.stringify` and `util.inspect` never show it. */
class GrantHandle implements Grant {
  readonly id: string;
  readonly requestId: string | null;
  readonly fingerprint: string;
  readonly sessionId: string;
  readonly expiresAt: number;
  readonly #token: string;
  readonly #lifetime: GrantSignal;
  readonly #credentials: Credentials | null;

  constructor(record: GrantRecord, token: string, lifetime: GrantSignal, credentials: Credentials | null) {
    this.id = record.id;
    this.requestId = record.requestId;
    this.fingerprint = record.fingerprint;
    this.sessionId = record.sessionId;
    this.expiresAt = record.expiresAt;
    this.#token = token;
    this.#lifetime = lifetime;
    this.#credentials = credentials;
  }

  get token(): string {
    return this.#token;
  }

  get signal(): AbortSignal {
    return this.#lifetime.signal();
  }

  get credentials(): Credentials | null {
    return this.#credentials;
  }

  toJSON() {
    const { id, requestId, fingerprint, sessionId, expiresAt } = this;
    return { id, requestId, fingerprint, sessionId, expiresAt };
  }

  [INSPECT]() {
    return {
      ...this.toJSON(),
      token: '[REDACTED]',
      ...(this.#credentials === null ? {} : { credentials: '[REDACTED]' }),
    };
  }
}

/** Where a handle's `signal` comes from, made the first time it is read. */
export interface GrantSignal {
  signal(): AbortSignal;
}

export function createGrantHandle(
  record: GrantRecord,
  token: string,
  lifetime: GrantSignal,
  credentials: Credentials | null = null,
): Grant {
  return new GrantHandle(record, token, lifetime, credentials);
}

/**
 * Credentials as `run` receives them on `grant.credentials`: named secret strings, such as
 * `{ connectionString, user, password }` or `{ token }`. Core never logs, audits or emits them, and
 * scrubs each (but one equal to the handle, or under 4 characters) from the error of a failed run.
 */
export type Credentials = Readonly<Record<string, string>>;
