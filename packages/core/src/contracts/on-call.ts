// The on-call resolver contract: who is on call for a target right now, for escalation.
/**
 * Resolves an escalation target (e.g. `'escalation_policy:P1ABC'` or `'schedule:P2DEF'`) to the
 * directory identities on call at `at`. Plain object; `createPagerDutyOnCall` is one. A resolver
 * that throws or times out adds nobody: the request stays with its approvers and expires as usual.
 */
export interface OnCallResolver {
  /** Short name for audit details and errors, e.g. `'pagerduty'`. */
  readonly name: string;
  /** Identities on call for `target` at `at` (ms since the epoch); empty when nobody is. */
  resolve(target: string, at: number, options: { signal: AbortSignal }): Promise<readonly string[]>;
}
