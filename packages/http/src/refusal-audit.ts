// The API's refusals in the audit log: once per caller, request and reason in a window, so repeats cannot flood the chain.
import {
  type ApprovalRequest,
  type Clock,
  type Countersign,
  type CountersignError,
  decisionProblem,
  isCountersignError,
  NotEligibleError,
  SelfApprovalError,
} from '@countersign/core';
import type { Caller } from './authenticate.js';
import type { RefusalCoalescer } from './refusal-coalescer.js';

export interface RefusalAudit {
  /** Audits `caller`'s refused read of request `id`, unless one was audited in the window. Never throws. */
  readRefused(id: string, caller: Caller): Promise<void>;
  /**
   * The error `cs.decide` would throw (self-approval, not eligible) when that refusal was already
   * audited for `approver` on request `id` in the window: answer it without deciding. Null when core
   * should decide (and audit a refusal itself).
   */
  repeatedDecision(id: string, approver: string): Promise<CountersignError | null>;
  /** After `cs.decide` threw `error`: forgets claims whose entry may not have been written. */
  decisionFailed(id: string, approver: string, error: unknown): void;
}

const DECISION_REFUSALS = ['self_approval', 'not_eligible'] as const;

export function createRefusalAudit(cs: Countersign, coalescer: RefusalCoalescer, clock: Clock): RefusalAudit {
  return {
    async readRefused(id, caller) {
      if (!coalescer.claim(caller.identity, id, 'read', clock.now())) return;
      try {
        await cs.recordRefusal(id, {
          approver: caller.identity,
          via: caller.via,
          why: 'read refused: not an approver or auditor',
        });
      } catch {
        coalescer.release(caller.identity, id, 'read');
      }
    },

    async repeatedDecision(id, approver) {
      let request: ApprovalRequest | null;
      try {
        request = await cs.getRequest(id);
      } catch {
        return null; // cs.decide reads it again and answers the failure.
      }
      if (request === null) return null;
      const why = decisionProblem(request, approver, clock.now());
      if (why !== 'self_approval' && why !== 'not_eligible') return null;
      // Claimed before core writes, so of concurrent repeats only the first reaches core.
      if (coalescer.claim(approver, id, why, clock.now())) return null;
      return why === 'self_approval'
        ? new SelfApprovalError(id, approver)
        : new NotEligibleError(id, approver);
    },

    decisionFailed(id, approver, error) {
      if (DECISION_REFUSALS.some((code) => isCountersignError(error, code))) return;
      for (const code of DECISION_REFUSALS) coalescer.release(approver, id, code);
    },
  };
}
