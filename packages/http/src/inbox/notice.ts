// The notice a refused decision redirects with: a known code, never text from the error itself.
import { isCountersignError } from '@countersign/core';
import { NOTICES } from './pages.js';

export function noticeFor(error: unknown): string {
  if (!isCountersignError(error)) return 'unavailable';
  if (error.code === 'invalid_input' && /requires a comment/.test(error.message)) return 'comment_required';
  return error.code in NOTICES ? error.code : 'unavailable';
}
