// The four instruments and how each audit event moves them.
import type { CountersignEvent } from '@countersign/core';
import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { Attr, Metric } from './names.js';

/** Grant refusal reasons as core records them in a `consume_refused` entry's detail. */
const GRANT_REASONS = new Set([
  'unknown',
  'consumed',
  'revoked',
  'expired',
  'action_mismatch',
  'session_mismatch',
]);
/** Core's own refusal details; any other `refused` entry is a transport's (an unknown user, a forged click). */
const AUDITED_REFUSALS: Readonly<Record<string, string>> = {
  'self-approval': 'self_approval',
  'not an eligible approver': 'not_eligible',
};
const DECISIONS = new Set(['allowed', 'policy_denied', 'approved', 'denied', 'expired', 'cancelled']);

export class Instruments {
  private readonly pending: UpDownCounter;
  private readonly duration: Histogram;
  private readonly decisions: Counter;
  private readonly refusals: Counter;

  constructor(meter: Meter) {
    this.pending = meter.createUpDownCounter(Metric.Pending, {
      description: 'Approval requests waiting for a decision (created minus settled, in this process)',
      unit: '{request}',
    });
    this.duration = meter.createHistogram(Metric.DecisionDuration, {
      description: 'Time from an approval request to its approval, denial, expiry or cancellation',
      unit: 's',
    });
    this.decisions = meter.createCounter(Metric.Decisions, {
      description: 'Guarded calls decided, by outcome and rule',
      unit: '{decision}',
    });
    this.refusals = meter.createCounter(Metric.Refusals, {
      description: 'Refused decisions and refused grant uses, by reason',
      unit: '{refusal}',
    });
  }

  record({ type, entry, request }: CountersignEvent): void {
    if (type === 'requested') this.pending.add(1);
    const settledPending =
      type === 'approved' ||
      type === 'denied' ||
      type === 'cancelled' ||
      (type === 'expired' && request !== null && request.decidedAt === null);
    if (settledPending) {
      this.pending.add(-1);
      if (request !== null) {
        this.duration.record(
          Math.max(0, entry.at - request.createdAt) / 1000,
          this.decisionAttributes(type, entry.ruleId),
        );
      }
    }
    if (DECISIONS.has(type) && (type !== 'expired' || settledPending)) {
      this.decisions.add(1, this.decisionAttributes(type, entry.ruleId));
    }
    if (type === 'consume_refused') {
      const reason = entry.detail !== null && GRANT_REASONS.has(entry.detail) ? entry.detail : 'unknown';
      this.refusals.add(1, { [Attr.RefusalReason]: `grant_${reason}` });
    }
    if (type === 'refused') {
      const reason = (entry.detail !== null && AUDITED_REFUSALS[entry.detail]) || 'transport_refused';
      this.refusals.add(1, { [Attr.RefusalReason]: reason });
    }
  }

  /** A `decide()` core refused without auditing it: a second vote, or a vote on a settled request. */
  refusedDecision(code: string): void {
    this.refusals.add(1, { [Attr.RefusalReason]: code });
  }

  private decisionAttributes(outcome: string, ruleId: string | null): Attributes {
    return ruleId === null ? { [Attr.Outcome]: outcome } : { [Attr.Outcome]: outcome, [Attr.Rule]: ruleId };
  }
}
