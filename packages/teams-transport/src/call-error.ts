// The error every failed call to the Bot Connector or the token endpoint becomes.

/** What the transport logs: problems only, never a token, a secret or a request's params. */
export interface TeamsTransportLogger {
  warn(message: string): void;
  error(message: string): void;
}

/**
 * A call to the Bot Connector (or the token endpoint) that failed. `code` is the connector's
 * error code when it sent one (`BadArgument`, `ConversationNotFound`, …), or one of
 * `unauthorized`, `forbidden`, `not_found`, `rate_limited`, `timeout`, `service_url_not_allowed`,
 * `request_failed`, `http_<status>`.
 */
export class TeamsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    readonly status: number | null,
    options: { cause?: unknown; detail?: string | undefined } = {},
  ) {
    super(
      `[countersign] [teams] ${operation} failed: ${code}${status === null ? '' : ` (HTTP ${status})`}${options.detail ? `: ${options.detail}` : ''}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'TeamsCallError';
  }
}

/** The error for an HTTP answer that is not a success. */
export function statusError(operation: string, status: number, connectorCode: string | null): TeamsCallError {
  const code =
    status === 401
      ? 'unauthorized'
      : status === 403
        ? 'forbidden'
        : status === 404
          ? 'not_found'
          : status === 429
            ? 'rate_limited'
            : `http_${status}`;
  return new TeamsCallError(operation, code, status, {
    detail: connectorCode === null ? undefined : `connector error ${connectorCode}`,
  });
}
