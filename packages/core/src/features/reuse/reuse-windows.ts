// Reuse windows: an approval that covers later identical calls within a scope, each still with its own single-use grant.

import type { ReuseWindow, Store } from '../../contracts/store.js';
import { subjectDraft } from '../../guard/prepared-call.js';
import { canonicalJson, type JsonValue } from '../../lib/canonical-json.js';
import { parseDuration } from '../../lib/duration.js';
import { ConfigError, NotEligibleError, RequestNotFoundError } from '../../lib/errors.js';
import { sha256Hex } from '../../lib/ids.js';
import { isPlainObject } from '../../lib/record-shape.js';
import type { ApprovalRequest } from '../../model/approval.js';
import type { Prepared } from '../../model/call.js';
import type { Risk } from '../../model/risk.js';
import { riskRank } from '../../model/risk.js';
import type { PolicyRule } from '../../model/rule.js';
import { DEFAULT_MAX_USES, type ReuseSpec } from '../../model/rule.js';
import type { Feature, Runtime } from '../../runtime/runtime.js';

const STORE_METHODS = [
  'createReuseWindow',
  'findReuseWindows',
  'useReuseWindow',
  'revokeReuseWindow',
  'getReuseWindow',
] as const;

/** What is wrong with the policy's reuse rules for this store: checked when the instance is created. */
export function reuseProblems(rules: readonly PolicyRule[], store: Store): string[] {
  const problems: string[] = [];
  for (const rule of rules) {
    if (rule.reuse === undefined) continue;
    if (rule.effect !== 'require_approval')
      problems.push(`rule "${rule.id}": reuse only applies to require_approval rules`);
    if (rule.destructive === true)
      problems.push(`rule "${rule.id}" is destructive, so its approvals can never be reused: remove reuse`);
    const missing = STORE_METHODS.filter((method) => typeof store[method] !== 'function');
    if (missing.length > 0) {
      problems.push(
        `rule "${rule.id}" uses reuse, but the ${store.name} store lacks ${missing.join(', ')}: use a store that keeps reuse windows`,
      );
    }
  }
  return problems;
}

export function windowId(requestId: string): string {
  return `reuse_${requestId}`;
}

/** Who may rely on a window, and what a call must equal to. */
function windowKeys(spec: ReuseSpec, prepared: Prepared): { scope: string; match: string } {
  const who = [prepared.actor, prepared.onBehalfOf];
  const scope = JSON.stringify(
    spec.scope === 'session' ? ['session', ...who, prepared.sessionId] : ['actor', ...who],
  );
  if (spec.same === 'fingerprint') return { scope, match: prepared.fingerprint };
  const values = spec.same.map((path) => [path, valueAt(prepared.params, path)]);
  return { scope, match: sha256Hex(canonicalJson([prepared.name, prepared.resource, values] as JsonValue)) };
}

/** The value at a dotted path, or a marker no JSON value equals when it is absent. */
function valueAt(params: Record<string, unknown>, path: string): JsonValue {
  let value: unknown = params;
  for (const key of path.split('.')) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return { absent: path };
    value = value[key];
  }
  return [value as JsonValue];
}

function specOf(runtime: Runtime, ruleId: string): ReuseSpec | null {
  const rule = runtime.options.policy.ruleById(ruleId);
  if (rule?.reuse === undefined || rule.destructive === true || rule.effect !== 'require_approval')
    return null;
  return rule.reuse;
}

/**
 * Whether a call may look for a window: it runs (not `open()`), names no request and carries no
 * idempotency key (a retry with a key must re-attach to its own request, never run a second time).
 */
export function mayReuse(runtime: Runtime, prepared: Prepared, ruleId: string): boolean {
  return (
    prepared.mode === 'run' &&
    prepared.requestId === null &&
    prepared.idempotencyKey === null &&
    specOf(runtime, ruleId) !== null
  );
}

/**
 * Counts one use of a live window this call matches, audited as `reused` with the request whose
 * approval it relies on, in the same atomic step; null when there is none (the call asks as usual).
 * The window's request is read back and must be that approval, for this actor, principal and rule.
 */
export async function useWindow(
  runtime: Runtime,
  prepared: Prepared,
  ruleId: string,
  risk: Risk,
): Promise<ReuseWindow | null> {
  const spec = specOf(runtime, ruleId);
  const store = runtime.store;
  if (spec === null || !store.findReuseWindows || !store.useReuseWindow) return null;
  const now = runtime.now();
  const keys = windowKeys(spec, prepared);
  const query = { ...keys, ruleId, now };
  const found: unknown = await runtime.call('findReuseWindows', () => store.findReuseWindows!(query));
  if (!Array.isArray(found)) return null;
  for (const window of found) {
    if (!isWindow(window) || window.scope !== keys.scope || window.match !== keys.match) continue;
    if (window.ruleId !== ruleId || !isLive(window, now) || riskRank(risk) > riskRank(window.risk)) continue;
    const approval = await runtime.load(window.requestId);
    if (approval === null || !isApprovalOf(approval, window, prepared, spec)) continue;
    const draft = {
      ...subjectDraft(runtime, 'reused', prepared, ruleId),
      requestId: window.requestId,
      detail: `relies on the approval of ${window.requestId}: use ${window.uses + 1} of ${window.maxUses}, until ${new Date(window.expiresAt).toISOString()}`,
    };
    const used: unknown = await runtime.call('useReuseWindow', () =>
      store.useReuseWindow!(window.id, window.uses, now, [draft]),
    );
    if (used === null) continue;
    runtime.emit([draft], null);
    return isWindow(used) ? used : window;
  }
  return null;
}

/**
 * Opens the window of an approved request, once its approval is claimed by the call it approved
 * (which has the original params the match is computed from). Does nothing when an approver chose
 * "just this call" (their revoked window is already there) or the rule does not reuse. A failure
 * only means later calls ask again.
 */
export async function openWindow(
  runtime: Runtime,
  prepared: Prepared,
  request: ApprovalRequest,
): Promise<void> {
  const spec = specOf(runtime, request.ruleId);
  const store = runtime.store;
  if (spec === null || !store.createReuseWindow || request.decidedAt === null) return;
  const within = parseDuration(spec.within);
  if (within === null) return;
  const window: ReuseWindow = {
    id: windowId(request.id),
    requestId: request.id,
    ruleId: request.ruleId,
    ...windowKeys(spec, prepared),
    risk: request.risk,
    createdAt: runtime.now(),
    expiresAt: request.decidedAt + within,
    maxUses: spec.maxUses ?? DEFAULT_MAX_USES,
    uses: 0,
    revokedAt: null,
  };
  if (window.expiresAt <= window.createdAt) return;
  const draft = runtime.draft('reuse_opened', request, {
    detail: `${window.maxUses} later identical call(s) in this ${spec.scope} may rely on this approval until ${new Date(window.expiresAt).toISOString()}`,
  });
  try {
    if (await store.createReuseWindow(window, [draft])) runtime.emit([draft], request);
  } catch {
    // No window: later calls ask, which is the safe side.
  }
}

/**
 * An approver's "just this call": a revoked window in the request's place, written before their
 * approval, so the approval can never open one.
 */
export async function keepToThisCall(
  runtime: Runtime,
  request: ApprovalRequest,
  approver: string,
): Promise<void> {
  const store = runtime.store;
  if (specOf(runtime, request.ruleId) === null || !store.createReuseWindow) return;
  const now = runtime.now();
  const window: ReuseWindow = {
    id: windowId(request.id),
    requestId: request.id,
    ruleId: request.ruleId,
    scope: '',
    match: '',
    risk: request.risk,
    createdAt: now,
    expiresAt: request.expiresAt + 1,
    maxUses: 0,
    uses: 0,
    revokedAt: now,
  };
  const draft = runtime.draft('reuse_revoked', request, {
    approver,
    detail: 'just this call: the approval will not be reused',
  });
  const created = await runtime.call('createReuseWindow', () => store.createReuseWindow!(window, [draft]));
  if (created) runtime.emit([draft], request);
}

/**
 * Ends a request's reuse window early. `by` must be one of the request's eligible approvers
 * (refused and audited otherwise). Returns whether a live window was revoked.
 */
export async function revokeReuse(
  runtime: Runtime,
  requestId: string,
  by: string,
  reason: string | null,
): Promise<boolean> {
  const request = await runtime.load(requestId);
  if (request === null) throw new RequestNotFoundError(requestId);
  if (!request.approvers.includes(by)) {
    await runtime.append(
      [runtime.draft('refused', request, { approver: by, detail: 'revoke reuse: not an eligible approver' })],
      request,
    );
    throw new NotEligibleError(requestId, by);
  }
  const store = runtime.store;
  if (!store.revokeReuseWindow) return false;
  const draft = runtime.draft('reuse_revoked', request, { approver: by, detail: reason ?? 'revoked early' });
  const revoked = await runtime.call('revokeReuseWindow', () =>
    store.revokeReuseWindow!(windowId(requestId), runtime.now(), [draft]),
  );
  if (revoked === null) return false;
  runtime.emit([draft], request);
  return true;
}

function isLive(window: ReuseWindow, now: number): boolean {
  return window.revokedAt === null && window.expiresAt > now && window.uses < window.maxUses;
}

/** Whether `request` is the approval a window claims to rely on, for this call. */
function isApprovalOf(
  request: ApprovalRequest,
  window: ReuseWindow,
  prepared: Prepared,
  spec: ReuseSpec,
): boolean {
  const approved =
    request.status === 'approved' || request.status === 'executed' || request.status === 'failed';
  return (
    approved &&
    request.decidedAt !== null &&
    window.id === windowId(request.id) &&
    request.ruleId === window.ruleId &&
    request.actor === prepared.actor &&
    request.onBehalfOf === prepared.onBehalfOf &&
    (spec.scope === 'actor' || request.sessionId === prepared.sessionId) &&
    (spec.same !== 'fingerprint' || request.fingerprint === prepared.fingerprint) &&
    riskRank(request.risk) >= riskRank(window.risk)
  );
}

const RISKS: ReadonlySet<unknown> = new Set(['low', 'medium', 'high', 'critical']);
const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

/** A window as a store must return it; anything else is ignored (no reuse, the call asks). */
function isWindow(value: unknown): value is ReuseWindow {
  if (!isPlainObject(value)) return false;
  const w = value as Record<string, unknown>;
  return (
    typeof w.id === 'string' &&
    typeof w.requestId === 'string' &&
    typeof w.ruleId === 'string' &&
    typeof w.scope === 'string' &&
    typeof w.match === 'string' &&
    RISKS.has(w.risk) &&
    isNumber(w.createdAt) &&
    isNumber(w.expiresAt) &&
    Number.isSafeInteger(w.maxUses) &&
    Number.isSafeInteger(w.uses) &&
    (w.revokedAt === null || isNumber(w.revokedAt))
  );
}

/** Reuse windows as a feature, checked against the policy and the store when the instance is created. */
export function reuseFeature(rules: readonly PolicyRule[], store: Store): Feature {
  const problems = reuseProblems(rules, store);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return {
    id: 'reuse',
    mayBypass: mayReuse,
    bypass: async (runtime, prepared, ruleId, risk) =>
      (await useWindow(runtime, prepared, ruleId, risk)) !== null,
    keepToThisCall,
    // A narrowed approval covers only the narrowed call: it never opens a reuse window.
    onClaim: async (runtime, prepared, request, narrowed) => {
      if (!narrowed) await openWindow(runtime, prepared, request);
    },
  };
}
