// A tool error function that tells the model what countersign decided, never the generic "Please try again".
import { describeOutcome, isCountersignError } from '@countersign/core';
import type { RunContext } from '@openai/agents';

/** The Agents SDK's own text for a failed tool, kept for errors that are not countersign's. */
export const GENERIC_TOOL_ERROR = 'An error occurred while running the tool. Please try again.';

export type ToolErrorFunction<TContext = unknown> = (
  runContext: RunContext<TContext>,
  error: unknown,
  details?: unknown,
) => string | Promise<string>;

/**
 * For `tool({ errorFunction })`: a countersign outcome becomes `describeOutcome`'s message and
 * the approver's comment (a denial says not to retry, a pending call says it runs once
 * approved); any other error goes to `fallback`, or gets the SDK's generic text, so the tool's
 * own error messages never reach the model unless you choose so.
 */
export function countersignErrorFunction<TContext = unknown>(
  fallback?: ToolErrorFunction<TContext> | undefined,
): ToolErrorFunction<TContext> {
  return (runContext, error, details) => {
    if (isCountersignError(error)) return describeOutcome(error).text;
    return fallback ? fallback(runContext, error, details) : GENERIC_TOOL_ERROR;
  };
}
