// Risk routing: a call's risk (declared, fixed by its rule or computed by conditions) picks who approves and how many.

import { ConfigError } from '../../lib/errors.js';
import type { Risk } from '../../model/risk.js';
import { RISK_LEVELS, riskRank } from '../../model/risk.js';
import type { PolicyRule, RiskRoute } from '../../model/rule.js';
import { type Directory, resolveEligibleApprovers } from '../../policy/approvers.js';
import { DEFAULT_MAX_CONDITION_COST } from '../../policy/condition-cost.js';
import { Condition, celParams } from '../../policy/conditions.js';
import type { PolicyDecision, PolicySubject } from '../../policy/policy.js';
import type { Feature } from '../../runtime/runtime.js';

interface RiskPlan {
  rule: PolicyRule;
  conditions: { risk: Risk; condition: Condition }[];
  /** Each tier's route, and the rule's own for levels without a tier. */
  routes: Map<Risk, Omit<RiskRoute, 'risk'>>;
  base: Omit<RiskRoute, 'risk'>;
}

const NO_ONE: readonly string[] = Object.freeze([]);

/**
 * The risk plans of a policy's require_approval rules, checked when the instance is created:
 * conditions type-check, and each tier that asks has approvers enough for its quorum.
 */
export class RiskRouting {
  private readonly plans = new Map<string, RiskPlan>();

  constructor(
    rules: readonly PolicyRule[],
    directory: Directory,
    eligible: Map<string, string[]>,
    maxConditionCost = DEFAULT_MAX_CONDITION_COST,
  ) {
    for (const rule of rules) {
      if (rule.tiers === undefined && rule.riskWhen === undefined) continue;
      if (rule.effect !== 'require_approval') {
        throw new ConfigError(`rule "${rule.id}": tiers and riskWhen only apply to require_approval rules`);
      }
      const conditions = RISK_LEVELS.flatMap((risk) => {
        const expression = rule.riskWhen?.[risk];
        if (expression === undefined) return [];
        return [
          {
            risk,
            condition: Condition.compile(
              `policy rule "${rule.id}" riskWhen.${risk}`,
              expression,
              maxConditionCost,
            ),
          },
        ];
      });
      const base = {
        effect: rule.effect,
        quorum: rule.quorum ?? 1,
        eligible: eligible.get(rule.id) ?? NO_ONE,
        require: NO_ONE,
      };
      const routes = new Map<Risk, Omit<RiskRoute, 'risk'>>();
      for (const risk of RISK_LEVELS) {
        const tier = rule.tiers?.[risk];
        if (tier === undefined) continue;
        const effect = tier.effect ?? 'require_approval';
        if (effect !== 'require_approval') {
          routes.set(risk, { effect, quorum: 1, eligible: NO_ONE, require: NO_ONE });
          continue;
        }
        const id = `${rule.id}" tier "${risk}`;
        const approvers = tier.approvers ?? rule.approvers;
        const require = [...(tier.require ?? [])];
        const quorum = Math.max(tier.quorum ?? rule.quorum ?? 1, require.length);
        const users = [...(approvers?.users ?? []), ...require];
        const resolved = resolveEligibleApprovers(
          [{ id, match: {}, effect, approvers: { users, groups: approvers?.groups ?? [] }, quorum }],
          directory,
        ).get(id)!;
        routes.set(risk, { effect, quorum, eligible: resolved, require: Object.freeze(require) });
      }
      this.plans.set(rule.id, { rule, conditions, routes, base });
    }
  }

  /** Whether any rule routes by risk. */
  get size(): number {
    return this.plans.size;
  }

  /**
   * The route for a call the policy decided: its risk, from the first `riskWhen` condition that
   * holds (one that fails to evaluate counts as holding: the higher risk is the safer guess), else
   * the rule's `risk`, else `'medium'`; or the action's declared risk when higher. Null for rules
   * without tiers or `riskWhen`.
   */
  route(decision: PolicyDecision, subject: PolicySubject, declared: Risk | undefined): RiskRoute | null {
    const plan = decision.rule === null ? undefined : this.plans.get(decision.ruleId);
    if (plan === undefined) return null;
    let risk: Risk | undefined;
    if (plan.conditions.length > 0 && subject.call !== undefined) {
      const params = celParams(subject.call.params);
      for (const { risk: level, condition } of plan.conditions) {
        let holds: boolean;
        try {
          holds = condition.holds(subject, subject.call, params);
        } catch {
          holds = true;
        }
        if (holds) {
          risk = level;
          break;
        }
      }
    }
    // The action may raise its risk, never lower it below what the rule or its conditions say.
    const floor = risk ?? plan.rule.risk ?? 'medium';
    const level = declared !== undefined && riskRank(declared) > riskRank(floor) ? declared : floor;
    return { risk: level, ...(plan.routes.get(level) ?? plan.base) };
  }

  /** The route of an existing request's rule at its recorded risk, for checking its approvals. */
  routeOf(ruleId: string, risk: Risk): RiskRoute | null {
    const plan = this.plans.get(ruleId);
    if (plan === undefined) return null;
    return { risk, ...(plan.routes.get(risk) ?? plan.base) };
  }
}

/** Risk tiers as a feature: after policy, the route a require_approval call takes by its risk. */
export function riskTiersFeature(
  rules: readonly PolicyRule[],
  directory: Directory,
  eligible: Map<string, string[]>,
  maxConditionCost: number,
): Feature {
  return { id: 'risk-tiers', riskRouting: new RiskRouting(rules, directory, eligible, maxConditionCost) };
}
