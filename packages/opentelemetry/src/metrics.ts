// The five instruments and how each audit event moves them.
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
/** How many grants, counted from a `consumed` or `revoked` entry, may still have an outcome entry to come. */
const AWAITING_OUTCOME = 1_000;

export class Instruments {
  private readonly pending: UpDownCounter;
  private readonly duration: Histogram;
  private readonly decisions: Counter;
  private readonly refusals: Counter;
  private readonly consumptions: Counter;
  /**
   * Grants whose consumption was counted from an entry that is not their outcome, which may still
   * carry it too (a `revoked` entry before the outcome, with stores that write them apart).
   */
  private readonly counted = new Set<string>();

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
    this.consumptions = meter.createCounter(Metric.Consumptions, {
      description: 'Grants consumed, by rule: each counted once, from the entry that records it',
      unit: '{grant}',
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
    if (entry.consumedAt !== null || this.counted.size > 0) this.consumption(type, entry);
  }

  /**
   * A consumption is recorded by another process's `consumed` entry, or by `consumedAt` on the
   * entry that ends the grant: the outcome, or a `revoked` entry (before the outcome when the
   * store writes them apart, or a sweeper's). A grant is consumed at most once, so each counts once.
   */
  private consumption(type: string, { grantId, consumedAt, ruleId }: CountersignEvent['entry']): void {
    const outcome = type === 'executed' || type === 'failed';
    if (grantId !== null && this.counted.has(grantId)) {
      // Nothing after the outcome records this grant again.
      if (outcome) this.counted.delete(grantId);
      return;
    }
    if (consumedAt === null) return;
    this.consumptions.add(1, ruleId === null ? {} : { [Attr.Rule]: ruleId });
    if (grantId === null || outcome) return;
    this.counted.add(grantId);
    // A grant whose outcome never comes here (a sweeper's revocation) must not be kept for ever.
    if (this.counted.size > AWAITING_OUTCOME) this.counted.delete(this.counted.values().next().value!);
  }

  /** A `decide()` core refused without auditing it: a second vote, or a vote on a settled request. */
  refusedDecision(code: string): void {
    this.refusals.add(1, { [Attr.RefusalReason]: code });
  }

  private decisionAttributes(outcome: string, ruleId: string | null): Attributes {
    return ruleId === null ? { [Attr.Outcome]: outcome } : { [Attr.Outcome]: outcome, [Attr.Rule]: ruleId };
  }
}
