// Approver justification: rules that require a comment with an approval, a denial or both.
import type { PolicyRule } from '../model/rule.js';

/** Whether `rule` requires a comment with a decision of `outcome`. */
export function commentRequired(rule: PolicyRule | undefined, outcome: 'approve' | 'deny'): boolean {
  const required = rule?.requireComment;
  return required === 'both' || required === outcome;
}

/** A comment that says something: not absent, not only whitespace. */
export function hasJustification(comment: string | null | undefined): boolean {
  return typeof comment === 'string' && comment.trim().length > 0;
}
