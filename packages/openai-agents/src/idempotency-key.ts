// The idempotency key of a tool call, made from its tool-call id, so running a step again re-attaches to its request.
import { createHash } from 'node:crypto';

/** Core's limit on an idempotency key. */
const MAX_KEY_LENGTH = 256;

/**
 * `tool-call:<toolCallId>`, or its SHA-256 when longer than core's 256 characters. Core scopes
 * idempotency keys to the actor and the session, so the same call in the same conversation
 * always finds its request again, and another conversation's call with the same id never does.
 */
export function idempotencyKeyFor(toolCallId: string): string {
  const key = `tool-call:${toolCallId}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
