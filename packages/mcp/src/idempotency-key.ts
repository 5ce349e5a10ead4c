// The idempotency key of one MCP tool call: its session and its JSON-RPC request id.
import { createHash } from 'node:crypto';

const MAX_KEY = 256;
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * `mcp:<session>:<request id>`, hashed when longer than core accepts or not printable ASCII. A JSON-RPC id is unique
 * among a session's in-flight requests, so a call re-sent with the same id re-attaches to its
 * request (and never runs twice) instead of asking again.
 */
export function idempotencyKeyFor(sessionId: string, requestId: string | number): string {
  const key = `mcp:${sessionId}:${typeof requestId}:${String(requestId)}`;
  if (key.length <= MAX_KEY && PRINTABLE.test(key)) return key;
  return `mcp:sha256:${createHash('sha256').update(key).digest('hex')}`;
}
