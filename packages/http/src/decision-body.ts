// The body of a decision: outcome, an optional comment and, for signed relays, the request it decides.
import { repeatedMember } from '@countersign/core';

const DECISION_KEYS = ['outcome', 'comment', 'requestId'] as const;

export type ParsedDecision =
  | { outcome: 'approve' | 'deny'; comment: string | undefined }
  | { field: string; detail: string };

/** The decision in `body`, or the field at fault and why. */
export function parseDecision(body: Uint8Array, requestId: string, signedBody: boolean): ParsedDecision {
  let value: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    value = JSON.parse(text);
  } catch {
    return { field: 'body', detail: 'the body is not valid UTF-8 JSON' };
  }
  // JSON.parse keeps the last of two equal names; something in front may have read the first.
  const repeated = repeatedMember(text);
  if (repeated !== null)
    return { field: repeated, detail: `the member "${repeated}" appears more than once` };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      field: 'body',
      detail: 'the body must be a JSON object: { "outcome": "approve" | "deny", "comment"?: string }',
    };
  }
  for (const key of Object.keys(value)) {
    if (!(DECISION_KEYS as readonly string[]).includes(key)) {
      const hint = key === 'approver' ? ': the approver is whoever authenticated' : '';
      return { field: key, detail: `unknown field "${key}"${hint}` };
    }
  }
  const {
    outcome,
    comment,
    requestId: named,
  } = value as { outcome?: unknown; comment?: unknown; requestId?: unknown };
  if (signedBody && named === undefined) {
    return { field: 'requestId', detail: 'a signed relay decision must name its request: add "requestId"' };
  }
  if (named !== undefined && named !== requestId) {
    return { field: 'requestId', detail: 'requestId does not match the request in the URL' };
  }
  if (outcome !== 'approve' && outcome !== 'deny') {
    return { field: 'outcome', detail: 'outcome must be "approve" or "deny"' };
  }
  if (comment !== undefined && (typeof comment !== 'string' || comment.length > 2000)) {
    return { field: 'comment', detail: 'comment must be a string of at most 2000 characters' };
  }
  return { outcome, comment };
}
