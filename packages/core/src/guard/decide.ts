// decideCall(): the policy's decision for a call, then the route its risk takes: what guard, open() and the wait act on.
import type { Prepared } from '../model/call.js';
import type { RoutedDecision } from '../policy/policy.js';
import type { Runtime } from '../runtime/runtime.js';
import { policySubject } from './prepared-call.js';

/** The policy's decision for a prepared call, with its risk route applied to the effect. */
export function decideCall(runtime: Runtime, prepared: Prepared): RoutedDecision {
  const subject = policySubject(runtime, prepared);
  const decision = runtime.options.policy.decide(subject);
  if (decision.effect !== 'require_approval' || runtime.options.features.riskRouting.size === 0)
    return decision;
  const route = runtime.options.features.riskRouting.route(decision, subject, prepared.risk);
  if (route === null) return decision;
  return { ...decision, effect: route.effect, route, risk: route.risk, quorum: route.quorum };
}
