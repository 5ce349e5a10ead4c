// What the agent client throws: the server refused (problem+json), could not be reached, answered
// something that is not the API, or no workload token could be had. Never a secret in a message.

const BRAND = Symbol.for('countersign.agent-client-error');

/** Which of the agent client's failures this is. */
export type AgentClientErrorKind = 'api' | 'network' | 'response' | 'token';

/**
 * Base of every error the agent client throws. Check with `isAgentClientError(e)` (it survives two
 * copies of the package in one process) and switch on `kind`.
 */
export class AgentClientError extends Error {
  readonly kind: AgentClientErrorKind;
  readonly [BRAND] = true;

  constructor(kind: AgentClientErrorKind, message: string, options?: { cause?: unknown }) {
    super(`[agent-client] ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
  }
}

export function isAgentClientError(value: unknown): value is AgentClientError {
  return typeof value === 'object' && value !== null && BRAND in value;
}

/** The server answered with an error status: its problem+json `code`, `field` and `detail`. */
export class AgentApiError extends AgentClientError {
  readonly status: number;
  /** The problem's `code` (`unauthenticated`, `already_claimed`, …), or `http_<status>` when the answer was no problem. */
  readonly code: string;
  /** The input field a `400 invalid_input` names, else null. */
  readonly field: string | null;
  readonly detail: string;

  constructor(status: number, code: string, detail: string, field: string | null) {
    super('api', `${status} ${code}: ${detail}${field === null ? '' : ` (field ${field})`}`);
    this.status = status;
    this.code = code;
    this.field = field;
    this.detail = detail;
  }
}

/** The server could not be reached, or did not answer in time. Nothing is known to have happened. */
export class AgentNetworkError extends AgentClientError {
  constructor(message: string, cause: unknown) {
    super('network', message, { cause });
  }
}

/** A success status whose body is not what the API answers: never taken as an approval. */
export class AgentResponseError extends AgentClientError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('response', message);
    this.status = status;
  }
}

/** No workload token could be obtained (none configured, or the issuer refused). */
export class WorkloadTokenError extends AgentClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('token', message, options);
  }
}
