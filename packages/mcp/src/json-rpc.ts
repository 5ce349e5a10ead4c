// JSON-RPC 2.0 as the proxy answers it: ids, error codes, and error responses.

export type Id = string | number;
export type Message = Record<string, unknown>;

/** The error codes JSON-RPC 2.0 reserves, as the proxy uses them. */
export const JsonRpcError = {
  /** Not JSON, or not UTF-8. */
  ParseError: -32700,
  /** JSON, but not a message the proxy accepts (a batch, a non-object, too large or too deep). */
  InvalidRequest: -32600,
  InvalidParams: -32602,
  /** The proxy failed to handle it, or the server went away before answering. */
  InternalError: -32603,
} as const;

/** A request's id, or null when it has none usable (JSON-RPC answers those with id null). */
export function idOf(message: Message): Id | null {
  const { id } = message;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** One error response line, its text prefixed so a person reading a client's log knows who answered. */
export function errorResponse(id: Id | null, code: number, message: string): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: { code, message: `[countersign-mcp-proxy] ${message}` },
  });
}

export function asObject(value: unknown): Message | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Message) : null;
}
