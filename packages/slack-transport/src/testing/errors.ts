// The emulator's own error, for test-side requests that could not happen in Slack.
/**
 * Thrown by the emulator's test-side helpers (`click`, `submitView`, configuration) when the test asks for
 * something that cannot happen in Slack, such as clicking a button that is not in the message. Never sent
 * over HTTP: Web API errors travel as `{ ok: false, error }` bodies like in Slack.
 */
export class SlackEmulatorError extends Error {
  /** Brand checked by {@link isSlackEmulatorError}, which survives duplicate package copies. */
  override readonly name = 'SlackEmulatorError';

  constructor(message: string, options?: ErrorOptions) {
    super(`[countersign] [slack-emulator] ${message}`, options);
  }
}

/** True when `value` is a {@link SlackEmulatorError}, checked by name rather than `instanceof`. */
export function isSlackEmulatorError(value: unknown): value is SlackEmulatorError {
  return value instanceof Error && value.name === 'SlackEmulatorError';
}

/** A Web API failure: answered as HTTP 200 `{ ok: false, error: code }` (Slack's convention). */
export class SlackApiFailure extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code);
    this.code = code;
    this.details = details;
  }
}
