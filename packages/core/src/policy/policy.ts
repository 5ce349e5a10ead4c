// The policy: ordered rules compiled into an index, deciding allow, deny or require approval.

import { compileGlob, type GlobMatcher, isExact, trailingStarPrefix } from '../lib/glob.js';
import type { Risk } from '../model/risk.js';
import type { Effect, Patterns, PolicyRule, RiskRoute } from '../model/rule.js';
import { DEFAULT_MAX_CONDITION_COST } from './condition-cost.js';
import { Condition, type ConditionCall, celParams } from './conditions.js';

export interface PolicySubject {
  action: string;
  resource: string | null;
  actor: string;
  /** What conditions see of the call. Omitted: empty params, no principal, risk medium, time 0. */
  call?: ConditionCall | undefined;
}

/** What the policy decided and why: `rule` is null when no rule matched and the default applied. */
export interface PolicyDecision {
  effect: Effect;
  ruleId: string;
  rule: PolicyRule | null;
  /** The rule's `when` condition, when it held (or failed, see `conditionError`). */
  when?: string | undefined;
  /** Why the rule's condition could not be evaluated: the rule decided, failing closed. */
  conditionError?: string | undefined;
  /** From `explain()`, for a rule with `tiers` or `riskWhen`: the call's risk and the approvals it needs. */
  risk?: Risk | undefined;
  quorum?: number | undefined;
}

/** A policy decision with the risk route of its rule, when it has one: what guard acts on. */
export interface RoutedDecision extends PolicyDecision {
  route?: RiskRoute | null | undefined;
}

export const DEFAULT_RULE_ID = 'default';

interface CompiledRule {
  index: number;
  rule: PolicyRule;
  resource: GlobMatcher[] | null;
  actor: GlobMatcher[] | null;
  condition: Condition | null;
}

const NO_CALL: ConditionCall = Object.freeze({
  params: Object.freeze({}),
  onBehalfOf: null,
  risk: 'medium',
  sessionId: '',
  now: 0,
});

/**
 * A compiled, ordered rule list. Lookup indexes rules by exact action name and by literal
 * prefix, so a decision touches only the rules that could match instead of scanning all.
 */
export class Policy {
  readonly rules: readonly PolicyRule[];
  readonly defaultEffect: 'allow' | 'deny';

  /** The rule with this id, if the policy has one. */
  ruleById(id: string): PolicyRule | undefined {
    return this.byId.get(id);
  }
  private readonly compiled: CompiledRule[];
  private readonly exact = new Map<string, CompiledRule[]>();
  private readonly prefixed = new Map<string, CompiledRule[]>();
  private readonly prefixLengths: number[];
  private readonly general: { match: GlobMatcher[] | null; rule: CompiledRule }[] = [];

  private readonly byId = new Map<string, PolicyRule>();

  constructor(
    rules: readonly PolicyRule[],
    defaultEffect: 'allow' | 'deny',
    maxConditionCost = DEFAULT_MAX_CONDITION_COST,
  ) {
    this.rules = rules;
    for (const rule of rules) this.byId.set(rule.id, rule);
    this.defaultEffect = defaultEffect;
    this.compiled = rules.map((rule, index) => ({
      index,
      rule,
      resource: compileAll(rule.match.resource),
      actor: compileAll(rule.match.actor),
      condition:
        rule.when === undefined
          ? null
          : Condition.compile(`policy rule "${rule.id}" when`, rule.when, maxConditionCost),
    }));
    const lengths = new Set<number>();
    for (const compiled of this.compiled) {
      const actions = toList(compiled.rule.match.action);
      if (actions === null) {
        this.general.push({ match: null, rule: compiled });
        continue;
      }
      const generalPatterns: string[] = [];
      for (const pattern of new Set(actions)) {
        const prefix = trailingStarPrefix(pattern);
        if (isExact(pattern)) push(this.exact, pattern, compiled);
        else if (prefix !== null) {
          push(this.prefixed, prefix, compiled);
          lengths.add(prefix.length);
        } else generalPatterns.push(pattern);
      }
      if (generalPatterns.length > 0)
        this.general.push({ match: generalPatterns.map(compileGlob), rule: compiled });
    }
    this.prefixLengths = [...lengths].sort((a, b) => a - b);
  }

  decide(subject: PolicySubject): PolicyDecision {
    let best: CompiledRule | null = null;
    let bestError: string | undefined;
    // Converted once, and only if a candidate rule has a condition.
    let params: Record<string, unknown> | undefined;
    /** Whether `candidate` matches; a condition that fails to evaluate matches, with its error kept. */
    const matches = (candidate: CompiledRule): boolean => {
      if (!matchesRest(candidate, subject)) return false;
      if (candidate.condition === null) {
        bestError = undefined;
        return true;
      }
      const call = subject.call ?? NO_CALL;
      try {
        params ??= celParams(call.params);
        if (!candidate.condition.holds(subject, call, params)) return false;
        bestError = undefined;
      } catch (error) {
        bestError = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 500);
      }
      return true;
    };
    const consider = (candidates: readonly CompiledRule[] | undefined) => {
      if (!candidates) return;
      // Candidate lists are in rule order, so the first full match is the best this list offers.
      for (const candidate of candidates) {
        if (best !== null && candidate.index >= best.index) return;
        if (matches(candidate)) {
          best = candidate;
          return;
        }
      }
    };
    consider(this.exact.get(subject.action));
    for (const length of this.prefixLengths) {
      if (length > subject.action.length) break;
      consider(this.prefixed.get(subject.action.slice(0, length)));
    }
    for (const { match, rule } of this.general) {
      if (best !== null && rule.index >= (best as CompiledRule).index) break;
      if ((match === null || match.some((m) => m(subject.action))) && matches(rule)) {
        best = rule;
        break;
      }
    }
    const matched = best as CompiledRule | null;
    if (matched === null) return { effect: this.defaultEffect, ruleId: DEFAULT_RULE_ID, rule: null };
    const { rule } = matched;
    if (matched.condition === null) return { effect: rule.effect, ruleId: rule.id, rule };
    if (bestError === undefined) return { effect: rule.effect, ruleId: rule.id, rule, when: rule.when };
    // Fails closed: a rule whose condition cannot be evaluated asks a person if it could, else denies.
    const effect = rule.effect === 'require_approval' ? 'require_approval' : 'deny';
    return { effect, ruleId: rule.id, rule, when: rule.when, conditionError: bestError };
  }
}

function matchesRest(rule: CompiledRule, subject: PolicySubject): boolean {
  if (rule.resource !== null) {
    const resource = subject.resource;
    if (resource === null || !rule.resource.some((m) => m(resource))) return false;
  }
  return rule.actor === null || rule.actor.some((m) => m(subject.actor));
}

function toList(patterns: Patterns | undefined): readonly string[] | null {
  if (patterns === undefined) return null;
  return typeof patterns === 'string' ? [patterns] : patterns;
}

function compileAll(patterns: Patterns | undefined): GlobMatcher[] | null {
  const list = toList(patterns);
  return list === null ? null : list.map(compileGlob);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
