// The one sentence a model reads about a countersign outcome: describeOutcome's message plus the approver's comment.
import { describeOutcome } from '@countersign/core';

/**
 * `describeOutcome(outcome).message`, followed by the approver's comment when they wrote one, so
 * the model can tell the user why. Never a request id, identity or param.
 */
export function modelMessage(outcome: unknown): string {
  const { message, comment } = describeOutcome(outcome);
  return comment ? `${message} The reviewer said: ${JSON.stringify(comment)}` : message;
}
