// A call's checked input: validated, copied once, fingerprinted and redacted before anything else.

import { parseDuration } from '../lib/duration.js';
import { ValidationError } from '../lib/errors.js';
import { hashIdentity } from '../lib/fingerprint.js';
import { readMembers } from '../lib/input.js';
import { readJsonParams } from '../lib/params-walk.js';
import { scrubText } from '../lib/redact.js';
import type { AuditDraft } from '../model/audit.js';
import type { GuardAction, GuardContext, Mode, Prepared } from '../model/call.js';
import type { Grant } from '../model/grants.js';
import {
  ACTION_KEYS,
  CONTEXT_KEYS,
  guardActionSchema,
  guardContextSchema,
  parseInput,
  plainGuardInput,
} from '../model/schemas.js';
import type { PolicySubject } from '../policy/policy.js';
import type { Runtime } from '../runtime/runtime.js';

/**
 * The empty list every new request starts with, shared: a 32 B array per list per pending request
 * adds up, and frozen, no version can add to it in place (versions get new lists).
 */
export const NONE = Object.freeze([]) as never[];

/** The session-scoped idempotency key stores see: unambiguous, whatever either part contains. */
export function scopedKey(sessionId: string, key: string): string {
  return JSON.stringify([sessionId, key]);
}

/** Validates and copies a call as `open()` and `check()` see it. */
export function prepareCall(runtime: Runtime, action: GuardAction<unknown>, context: GuardContext): Prepared {
  return prepare(runtime, action, context, 'open');
}

export function prepare(
  runtime: Runtime,
  action: GuardAction<unknown>,
  context: GuardContext,
  mode: Mode,
): Prepared {
  // One read of each member, unknown keys refused, before anything else looks at them.
  const actionIn = readMembers(action, ACTION_KEYS, 'action');
  const contextIn = readMembers(context, CONTEXT_KEYS, 'guard context');
  const input = plainGuardInput(actionIn, contextIn) ?? {
    ...parseInput(guardActionSchema, actionIn, 'action'),
    ...parseInput(guardContextSchema, contextIn, 'guard context'),
  };
  // One walk: the checked copy, its canonical JSON (size, both hashes) and what redaction must see.
  const read = readJsonParams(input.params, 'action params');
  const resource = input.resource ?? null;
  const hashes = hashIdentity(input.name, resource, read.json);
  const size = Buffer.byteLength(read.json);
  if (size > runtime.options.maxParamsBytes) {
    throw new ValidationError('action params', [
      `${size} bytes exceeds maxParamsBytes (${runtime.options.maxParamsBytes})`,
    ]);
  }
  const { params } = read;
  // Nothing flagged and no paths to redact: the redactor would return the params unchanged.
  const redacted =
    read.flagged || runtime.options.redactsPaths
      ? runtime.options.redactor(params)
      : { params, redactedPaths: NONE };
  return {
    name: input.name,
    resource,
    params,
    fingerprint: hashes.fingerprint,
    identity: { text: hashes.identity, fingerprint: hashes.fingerprint },
    action: {
      name: input.name,
      resource: resource === null ? null : scrubText(resource),
      params: redacted.params,
      paramsHash: hashes.paramsHash,
      redactedPaths: redacted.redactedPaths.length === 0 ? NONE : redacted.redactedPaths,
    },
    actor: input.actor,
    onBehalfOf: input.onBehalfOf ?? null,
    sessionId: input.sessionId,
    idempotencyKey: input.idempotencyKey == null ? null : scopedKey(input.sessionId, input.idempotencyKey),
    requestId: input.requestId ?? null,
    signal: input.signal,
    reason: scrubText(input.reason),
    risk: input.risk,
    run: input.run as (grant: Grant) => unknown,
    wait: mode === 'run' && input.wait !== false,
    detach: input.onAbort === 'detach',
    mode,
  };
}

/**
 * The audit draft for a step of a call without a request: who, what, why and the rule, and the
 * grant a step issues or ends (its id, the entry's detail, when it was consumed), at `at` (now by
 * default: a step that has read the clock already passes its time). One literal, no
 * spread and no argument object: the allow path writes two of these a call.
 */
export function subjectDraft(
  runtime: Runtime,
  type: AuditDraft['type'],
  prepared: Prepared,
  ruleId: string,
  grantId: string | null = null,
  detail: string | null = null,
  consumedAt: number | null = null,
  at: number = runtime.now(),
): AuditDraft {
  return {
    type,
    at,
    requestId: null,
    grantId,
    actor: prepared.actor,
    onBehalfOf: prepared.onBehalfOf,
    sessionId: prepared.sessionId,
    action: prepared.action,
    fingerprint: prepared.fingerprint,
    ruleId,
    reason: prepared.reason,
    approver: null,
    outcome: null,
    comment: null,
    via: null,
    detail,
    consumedAt,
    formatVersion: 2,
    grantEntry: null,
  };
}

/** The policy subject of a call, with what its conditions see. */
export function policySubject(runtime: Runtime, prepared: Prepared): PolicySubject {
  return {
    action: prepared.name,
    resource: prepared.resource,
    actor: prepared.actor,
    call: {
      params: prepared.params,
      onBehalfOf: prepared.onBehalfOf,
      risk: prepared.risk ?? 'medium',
      sessionId: prepared.sessionId,
      now: runtime.now(),
    },
  };
}

export function ttl(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}
