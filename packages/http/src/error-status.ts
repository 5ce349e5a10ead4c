// Maps core's errors to HTTP statuses and problem documents.
import { isCountersignError } from '@countersign/core';
import { problem } from './problem.js';

const STATUS: Record<string, number> = {
  invalid_input: 400,
  request_not_found: 404,
  self_approval: 403,
  not_eligible: 403,
  already_voted: 409,
  already_decided: 409,
  store_failed: 503,
  corrupt_record: 503,
  closed: 503,
};

/** The response for an error thrown by core; anything else is a bare 500 that reveals nothing. */
export function errorResponse(error: unknown): Response {
  if (isCountersignError(error)) {
    const status = STATUS[error.code];
    if (status !== undefined) {
      const detail =
        status >= 500
          ? 'the approval store is unavailable; nothing was recorded, try again'
          : error.message.replace(/^\[countersign\] /, '');
      return problem(status, error.code, detail);
    }
  }
  return problem(500, 'internal_error', 'the server failed; nothing was recorded');
}
