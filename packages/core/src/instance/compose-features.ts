// composeFeatures(): the features an instance lists, as one set of hooks the guard path calls.
import { ConfigError, ValidationError } from '../lib/errors.js';
import type { Feature, FeatureHooks, FollowUpPlans, RiskRoutes } from '../runtime/runtime.js';

const NO_ROUTES: RiskRoutes = { size: 0, route: () => null, routeOf: () => null };
const NO_FOLLOW_UPS: FollowUpPlans = {
  escalationOf: () => [],
  due: async () => {},
  sweep: async () => 0,
  onCallNow: async () => undefined,
  onCallFor: async () => [],
};

/**
 * Each hook runs the features that implement it, in the order listed: a hook one feature alone
 * implements is that feature's own function (the guard path pays nothing for the others); one
 * that none implements does nothing. Hooks that answer with one value (routes, follow-ups, edits,
 * what a run is handed) take at most one feature; two are a ConfigError.
 */
export function composeFeatures(features: readonly Feature[]): FeatureHooks {
  const all = <K extends keyof FeatureHooks>(hook: K): NonNullable<Feature[K]>[] =>
    features.flatMap((feature) => (feature[hook] === undefined ? [] : [feature[hook]!]));
  const one = <K extends keyof FeatureHooks>(hook: K): NonNullable<Feature[K]> | null => {
    const found = features.filter((feature) => feature[hook] !== undefined);
    if (found.length > 1) {
      throw new ConfigError(`features ${found.map((f) => f.id).join(' and ')} both implement ${hook}`);
    }
    return found[0]?.[hook] ?? null;
  };
  const mayBypass = all('mayBypass');
  const bypass = all('bypass');
  const keepToThisCall = all('keepToThisCall');
  const narrow = all('narrow');
  const onClaim = all('onClaim');
  const onSweep = all('onSweep');
  return {
    riskRouting: one('riskRouting') ?? NO_ROUTES,
    followUps: one('followUps') ?? NO_FOLLOW_UPS,
    mayBypass:
      mayBypass.length === 1
        ? mayBypass[0]!
        : (runtime, call, ruleId) => mayBypass.some((f) => f(runtime, call, ruleId)),
    bypass: async (runtime, call, ruleId, risk) => {
      for (const f of bypass) if (await f(runtime, call, ruleId, risk)) return true;
      return false;
    },
    editAction:
      one('editAction') ??
      ((_rule, request) => {
        throw new ValidationError('decision', [`edit: rule "${request.ruleId}" does not let approvers edit`]);
      }),
    keepToThisCall: async (runtime, request, approver) => {
      for (const f of keepToThisCall) await f(runtime, request, approver);
    },
    narrow:
      narrow.length === 1
        ? narrow[0]!
        : (runtime, call, request) => {
            for (const f of narrow) {
              const narrowed = f(runtime, call, request);
              if (narrowed !== null) return narrowed;
            }
            return null;
          },
    onClaim: async (runtime, call, request, narrowed) => {
      for (const f of onClaim) await f(runtime, call, request, narrowed);
    },
    onGrant: one('onGrant') ?? (() => null),
    onSweep: async (runtime, limit) => {
      let closed = 0;
      for (const f of onSweep) closed += await f(runtime, limit);
      return closed;
    },
  };
}
