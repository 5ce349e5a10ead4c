// explain(): what the policy would decide for a call, risk routing included, without running or recording anything.
import { copyJsonParams, readMembers } from '../lib/input.js';
import type { Risk } from '../model/risk.js';
import { explainSchema, parseInput } from '../model/schemas.js';
import type { PolicyDecision } from '../policy/policy.js';
import type { Runtime } from '../runtime/runtime.js';

/** A call as `explain()` reads it: what rules match on, and what their conditions see. */
export interface ExplainSubject {
  action: string;
  resource?: string | null | undefined;
  actor: string;
  params?: Record<string, unknown> | undefined;
  onBehalfOf?: string | null | undefined;
  risk?: Risk | undefined;
  sessionId?: string | undefined;
}

/** The policy's decision for `subject`, read and validated like a guarded call's, then routed by risk. */
export function explainCall(runtime: Runtime, subject: ExplainSubject): PolicyDecision {
  const read = parseInput(
    explainSchema,
    readMembers(subject, Object.keys(explainSchema.shape), 'explain subject'),
    'explain subject',
  );
  const {
    policy,
    features: { riskRouting },
  } = runtime.options;
  const call = {
    action: read.action,
    resource: read.resource ?? null,
    actor: read.actor,
    call: {
      params: copyJsonParams(read.params, 'explain params'),
      onBehalfOf: read.onBehalfOf ?? null,
      risk: read.risk ?? 'medium',
      sessionId: read.sessionId ?? '',
      now: runtime.now(),
    },
  };
  const decision = policy.decide(call);
  const route = decision.effect === 'require_approval' ? riskRouting.route(decision, call, read.risk) : null;
  if (route === null) return decision;
  return { ...decision, effect: route.effect, risk: route.risk, quorum: route.quorum };
}
