// Reminders and escalation: re-notify a request's approvers, then widen them with an escalation group or on-call person.

import type { OnCallResolver } from '../../contracts/on-call.js';
import type { FollowUpNotice } from '../../contracts/transport.js';
import { type Duration, parseDuration } from '../../lib/duration.js';
import { ConfigError } from '../../lib/errors.js';
import { scrubText } from '../../lib/redact.js';
import type { ApprovalRequest } from '../../model/approval.js';
import { checkList } from '../../model/record-checks.js';
import type { PolicyRule } from '../../model/rule.js';
import { type Directory, resolveEligibleApprovers } from '../../policy/approvers.js';
import type { Feature, Runtime } from '../../runtime/runtime.js';
import { checkRequest } from '../../runtime/stored-records.js';

/** How long an on-call lookup may take before escalation gives up on it. */
const ON_CALL_TIMEOUT_MS = 5_000;

interface FollowUpPlan {
  remindAfterMs: number | null;
  escalateAfterMs: number | null;
  /** The escalation's users and group members, resolved once. */
  escalateTo: readonly string[];
  onCall: string | null;
}

/** Each rule's reminder and escalation settings, resolved and checked when the instance is created. */
export class FollowUps {
  private readonly plans = new Map<string, FollowUpPlan>();
  /** Requests this process already reminded or escalated, with their deadlines, so each happens once per process. */
  private readonly reminded = new OncePerRequest();
  private readonly escalated = new OncePerRequest();

  constructor(
    rules: readonly PolicyRule[],
    directory: Directory,
    readonly onCall: OnCallResolver | null,
  ) {
    for (const rule of rules) {
      const { remindAfter, escalateAfter, escalateTo } = rule;
      if (remindAfter === undefined && escalateAfter === undefined && escalateTo === undefined) continue;
      if (rule.effect !== 'require_approval') {
        throw new ConfigError(
          `rule "${rule.id}": remindAfter and escalation only apply to require_approval rules`,
        );
      }
      if ((escalateAfter === undefined) !== (escalateTo === undefined)) {
        throw new ConfigError(
          `rule "${rule.id}": escalateAfter and escalateTo go together; give both or neither`,
        );
      }
      if (escalateTo?.onCall !== undefined && onCall === null) {
        throw new ConfigError(
          `rule "${rule.id}" escalates to on-call "${escalateTo.onCall}" but no onCall resolver is configured`,
        );
      }
      const id = `${rule.id}" escalation "`;
      const hasStatic = (escalateTo?.users?.length ?? 0) + (escalateTo?.groups?.length ?? 0) > 0;
      const resolved = hasStatic
        ? (resolveEligibleApprovers(
            [
              {
                id,
                match: {},
                effect: 'require_approval',
                approvers: { users: escalateTo?.users ?? [], groups: escalateTo?.groups ?? [] },
              },
            ],
            directory,
          ).get(id) ?? [])
        : [];
      this.plans.set(rule.id, {
        remindAfterMs: millis(remindAfter),
        escalateAfterMs: millis(escalateAfter),
        escalateTo: resolved,
        onCall: escalateTo?.onCall ?? null,
      });
    }
  }

  /** The static identities a rule escalates to: eligible once escalation added them. */
  escalationOf(ruleId: string): readonly string[] {
    return this.plans.get(ruleId)?.escalateTo ?? [];
  }

  /** Whether a rule escalates to an on-call target, whose people change with the rota. */
  onCallOf(ruleId: string): string | null {
    return this.plans.get(ruleId)?.onCall ?? null;
  }

  /**
   * Sends what is due for a pending request: a reminder once `remindAfter` has passed, and the
   * escalation once `escalateAfter` has, each once per process. Escalation adds identities to the
   * request's approvers by compare-and-set, audited `escalated`; a request decided meanwhile is left
   * alone. Never throws: a failed follow-up leaves the request as it was, to expire as usual.
   */
  async due(runtime: Runtime, request: ApprovalRequest): Promise<void> {
    const plan = this.plans.get(request.ruleId);
    if (plan === undefined || request.status !== 'pending') return;
    const age = runtime.now() - request.createdAt;
    try {
      if (
        plan.remindAfterMs !== null &&
        age >= plan.remindAfterMs &&
        this.reminded.first(request, runtime.now())
      ) {
        await this.remind(runtime, request);
      }
      if (
        plan.escalateAfterMs !== null &&
        age >= plan.escalateAfterMs &&
        this.escalated.first(request, runtime.now())
      ) {
        await this.escalate(runtime, request, plan);
      }
    } catch (error) {
      runtime.events.emit('transport_error', {
        transport: 'follow-up',
        requestId: request.id,
        operation: 'update',
        error,
      });
    }
  }

  /**
   * Follow-ups for pending requests nobody in this process waits on (opened with `open()`, or by a
   * process that stopped): up to `limit` of them, soonest deadline first. Returns how many it looked at.
   */
  async sweep(runtime: Runtime, limit: number): Promise<number> {
    if (this.plans.size === 0) return 0;
    const raw: unknown = await runtime.call('listRequests', () =>
      runtime.store.listRequests({ status: 'pending', limit }),
    );
    let looked = 0;
    for (const record of checkList(raw, 'listRequests')) {
      const request = checkRequest(record);
      if (!this.plans.has(request.ruleId)) continue;
      looked++;
      await this.due(runtime, request);
    }
    return looked;
  }

  private async remind(runtime: Runtime, request: ApprovalRequest): Promise<void> {
    const voted = new Set(request.decisions.map((decision) => decision.approver));
    const to = request.approvers.filter((identity) => !voted.has(identity));
    const draft = runtime.draft('reminded', request, {
      detail: `reminded ${to.length} approver(s) who have not decided`,
    });
    await runtime.append([draft], request);
    await notify(runtime, request, { kind: 'reminder', to });
  }

  private async escalate(runtime: Runtime, request: ApprovalRequest, plan: FollowUpPlan): Promise<void> {
    const onCall = plan.onCall === null ? [] : await this.lookUp(runtime, request.id, plan.onCall);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await runtime.load(request.id);
      // Decided, cancelled or expired meanwhile: escalation has nothing left to do.
      if (current === null || current.status !== 'pending' || runtime.now() >= current.expiresAt) return;
      const added = [...new Set([...plan.escalateTo, ...onCall])].filter(
        (identity) =>
          identity !== current.actor &&
          identity !== current.onBehalfOf &&
          !current.approvers.includes(identity),
      );
      if (added.length === 0) return;
      const draft = runtime.draft('escalated', current, {
        detail: scrubText(
          `added ${added.join(', ')}${plan.onCall === null ? '' : ` (on call: ${plan.onCall})`}`,
        ).slice(0, 1000),
      });
      const saved = await runtime.update(current, { approvers: [...current.approvers, ...added] }, [draft]);
      if (saved === null) continue;
      await notify(runtime, saved, { kind: 'escalation', to: added });
      return;
    }
  }

  /**
   * Who is on call now for the request's rule, when it escalates to on-call and holds a vote by
   * someone its rule does not name: what the guard checks such a vote against before running.
   */
  async onCallNow(runtime: Runtime, request: ApprovalRequest): Promise<readonly string[] | undefined> {
    if (this.onCallOf(request.ruleId) === null || request.decisions.length === 0) return undefined;
    return this.onCallFor(runtime, request);
  }

  /** Who is on call now for the request's rule; nobody when it escalates to no on-call target. */
  async onCallFor(runtime: Runtime, request: ApprovalRequest): Promise<readonly string[]> {
    const target = this.onCallOf(request.ruleId);
    return target === null ? [] : this.lookUp(runtime, request.id, target);
  }

  private async lookUp(runtime: Runtime, requestId: string, target: string): Promise<readonly string[]> {
    const resolver = this.onCall;
    if (resolver === null) return [];
    const controller = new AbortController();
    const timer = runtime.options.clock.setTimeout(() => controller.abort(), ON_CALL_TIMEOUT_MS);
    try {
      const found = await resolver.resolve(target, runtime.now(), { signal: controller.signal });
      return Array.isArray(found)
        ? found.filter((identity): identity is string => typeof identity === 'string')
        : [];
    } catch (error) {
      runtime.events.emit('transport_error', {
        transport: resolver.name,
        requestId,
        operation: 'update',
        error,
      });
      return [];
    } finally {
      runtime.options.clock.clearTimeout(timer);
    }
  }
}

/** Remembers requests until their deadline, so memory follows the pending requests, not every one ever seen. */
class OncePerRequest {
  private readonly until = new Map<string, number>();
  private nextPrune = 1_000;

  /** True the first time it sees `request`; false after, until the request's deadline has passed. */
  first(request: ApprovalRequest, now: number): boolean {
    if (this.until.has(request.id)) return false;
    if (this.until.size >= this.nextPrune) {
      for (const [id, expiresAt] of this.until) if (expiresAt <= now) this.until.delete(id);
      this.nextPrune = Math.max(1_000, this.until.size * 2);
    }
    this.until.set(request.id, request.expiresAt);
    return true;
  }
}

/** Tells every transport that delivered the request, through its optional `remind`. Never throws. */
async function notify(runtime: Runtime, request: ApprovalRequest, notice: FollowUpNotice): Promise<void> {
  await Promise.all(
    request.deliveries.map(async (receipt) => {
      const transport = runtime.options.transports.get(receipt.transport);
      if (!transport?.remind) return;
      try {
        await transport.remind(request, notice, receipt);
      } catch (error) {
        runtime.events.emit('transport_error', {
          transport: receipt.transport,
          requestId: request.id,
          operation: 'update',
          error,
        });
      }
    }),
  );
}

function millis(duration: Duration | undefined): number | null {
  return duration === undefined ? null : parseDuration(duration);
}

/** Reminders and escalation as a feature: notices while a request waits, and who else may vote. */
export function remindersFeature(
  rules: readonly PolicyRule[],
  directory: Directory,
  onCall: OnCallResolver | null,
): Feature {
  return { id: 'reminders', followUps: new FollowUps(rules, directory, onCall) };
}
