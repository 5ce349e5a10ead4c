// How long a guarded call may wait for approval before it is answered as pending.
import { ConfigError } from '@countersign/core';

/** Below the 60 s after which MCP clients (the TypeScript SDK's default) give up on a request. */
export const DEFAULT_ANSWER_WITHIN_MS = 50_000;
const MIN_ANSWER_WITHIN_MS = 100;

/** The `answerWithinMs` option as a deadline in milliseconds, or null for none. */
export function answerDeadline(option: number | false | undefined): number | null {
  if (option === false) return null;
  if (option === undefined) return DEFAULT_ANSWER_WITHIN_MS;
  if (!Number.isInteger(option) || option < MIN_ANSWER_WITHIN_MS) {
    throw new ConfigError(
      `[mcp] answerWithinMs must be false or a whole number of milliseconds, at least ${MIN_ANSWER_WITHIN_MS}`,
    );
  }
  return option;
}
