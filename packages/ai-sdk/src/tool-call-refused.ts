// The error a guarded tool throws when countersign did not run the call; its message is what the model reads.
import { describeOutcome } from '@countersign/core';

/**
 * Thrown by a guarded tool's `execute` when the call did not run (denied, expired, pending,
 * refused). The AI SDK hands the model only the message, which comes from `describeOutcome`
 * and the approver's comment:
 * the outcome, whether retrying could help and the approver's comment, never an internal id.
 * The countersign error stays in `cause` for your logs.
 */
export class ToolCallRefusedError extends Error {
  /** The countersign error code, e.g. `'approval_denied'`. */
  readonly code: string;
  /** True when retrying the same call cannot succeed. */
  readonly final: boolean;
  /** The approver's comment, if one was given. */
  readonly comment: string | undefined;

  constructor(cause: unknown) {
    const outcome = describeOutcome(cause);
    super(describeOutcome(cause).text, { cause });
    this.name = 'ToolCallRefusedError';
    this.code = outcome.code;
    this.final = outcome.final;
    this.comment = outcome.comment;
  }

  /** The AI SDK passes the model `error.toString()`; without this it would read the class name too. */
  override toString(): string {
    return this.message;
  }
}
