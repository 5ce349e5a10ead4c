import { z } from 'zod';

/**
 * A grant as stores keep it. The token itself is never stored, only its SHA-256, so a copy
 * of the store cannot be replayed against a resource.
 */
export const grantRecordSchema = z.object({
  id: z.string(),
  tokenHash: z.string(),
  fingerprint: z.string(),
  sessionId: z.string(),
  requestId: z.string().nullable(),
  actor: z.string(),
  ruleId: z.string(),
  issuedAt: z.number(),
  expiresAt: z.number(),
  consumedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});
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
}

/** `signal` is read through `getSignal`, so a grant whose action never looks at it costs no AbortController. */
export function createGrantHandle(record: GrantRecord, token: string, getSignal: () => AbortSignal): Grant {
  const visible = {
    id: record.id,
    requestId: record.requestId,
    fingerprint: record.fingerprint,
    sessionId: record.sessionId,
    expiresAt: record.expiresAt,
  };
  const grant = {
    ...visible,
    get signal() {
      return getSignal();
    },
    toJSON: () => visible,
  };
  Object.defineProperty(grant, 'token', { value: token, enumerable: false });
  Object.defineProperty(grant, Symbol.for('nodejs.util.inspect.custom'), {
    value: () => ({ ...visible, token: '[REDACTED]' }),
    enumerable: false,
  });
  return grant as unknown as Grant;
}
