// The input and record schemas, and the hand checks that mirror them on the hot path.
import { z } from 'zod';
import { type ApprovalRequest, REQUEST_STATUSES, riskSchema } from './approval.js';
import { MAX_CONDITION_LENGTH } from './conditions.js';
import { parseDuration } from './duration.js';
import { ValidationError } from './errors.js';
import type { GrantRecord } from './grants.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

/** Identities such as `user:bob` or `agent:report-bot`: printable, no spoofing marks. */
export const identitySchema = z
  .string()
  .min(1)
  .max(256)
  .refine((value) => !CONTROL.test(value), 'must not contain control or bidirectional characters');

const nameSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((value) => !CONTROL.test(value), 'must not contain control characters');

export const durationSchema = z
  .union([z.number(), z.string()])
  .refine(
    (value) => parseDuration(value) !== null,
    'must be a duration from 1ms to 366d, such as 500ms, 60s, 15m or 2h',
  );

/** A real AbortSignal: a look-alike's listener methods could throw or never fire. */
export const isAbortSignal = (value: unknown): value is AbortSignal => value instanceof AbortSignal;
const abortSignalSchema = z.custom<AbortSignal>(isAbortSignal, 'must be an AbortSignal');

export const guardActionSchema = z.object({
  name: nameSchema,
  resource: nameSchema.nullable().optional(),
  /** Checked and copied by `copyJsonParams`, which refuses what JSON cannot carry. */
  params: z.unknown().optional(),
  risk: riskSchema.optional(),
  run: z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', 'must be a function'),
});

export const guardContextSchema = z.object({
  actor: identitySchema,
  onBehalfOf: identitySchema.nullable().optional(),
  reason: z.string().trim().min(1, 'must say why the action is needed').max(2000),
  sessionId: nameSchema,
  idempotencyKey: nameSchema.nullable().optional(),
  requestId: nameSchema.nullable().optional(),
  wait: z.boolean().optional(),
  onAbort: z.enum(['cancel', 'detach']).optional(),
  signal: abortSignalSchema.optional(),
});

export const idSchema = nameSchema;
export const refusalSchema = z.object({
  approver: identitySchema,
  via: nameSchema.max(64),
  why: z.string().min(1).max(500),
});
export const waitOptionsSchema = z.object({ signal: abortSignalSchema.optional() });
export const explainSchema = z.object({
  action: nameSchema,
  resource: nameSchema.nullable().optional(),
  actor: identitySchema,
  /** For `when` conditions: the call's params, principal, declared risk and session. */
  params: z.unknown().optional(),
  onBehalfOf: identitySchema.nullable().optional(),
  risk: riskSchema.optional(),
  sessionId: nameSchema.optional(),
});
export const pageSchema = z.object({
  afterSeq: z.number().int().min(0),
  limit: z.number().int().min(1).max(10_000),
});

export const decisionInputSchema = z.object({
  approver: identitySchema,
  outcome: z.enum(['approve', 'deny']),
  comment: z.string().max(2000).optional(),
  via: nameSchema.max(64).optional(),
  justThisCall: z.boolean().optional(),
});

export const grantCheckSchema = z.object({
  name: nameSchema,
  resource: nameSchema.nullable().optional(),
  params: z.unknown().optional(),
  sessionId: nameSchema,
});

/** The members each argument may have: anything else is an unknown key, and an error. */
export const ACTION_KEYS = Object.keys(guardActionSchema.shape);
export const CONTEXT_KEYS = Object.keys(guardContextSchema.shape);
export const DECISION_KEYS = Object.keys(decisionInputSchema.shape);
export const GRANT_CHECK_KEYS = Object.keys(grantCheckSchema.shape);

const patternsSchema = z.union([nameSchema, z.array(nameSchema).min(1)]);

/** A rule's members, defined once: the schema below and the unknown-key check both read them. */
export const policyRuleShape = {
  id: nameSchema,
  match: z.object({
    action: patternsSchema.optional(),
    resource: patternsSchema.optional(),
    actor: patternsSchema.optional(),
  }),
  effect: z.enum(['allow', 'deny', 'require_approval']),
  approvers: z
    .object({ users: z.array(identitySchema).optional(), groups: z.array(nameSchema).optional() })
    .optional(),
  quorum: z.number().int().min(1).max(100).optional(),
  requestTtl: durationSchema.optional(),
  grantTtl: durationSchema.optional(),
  risk: riskSchema.optional(),
  description: z.string().max(2000).optional(),
  credentials: z
    .object({ broker: nameSchema.max(64), privileges: z.array(nameSchema.max(512)).min(1).max(100) })
    .optional(),
  when: z.string().min(1).max(MAX_CONDITION_LENGTH).optional(),
  riskWhen: z.partialRecord(riskSchema, z.string().min(1).max(MAX_CONDITION_LENGTH)).optional(),
  tiers: z
    .partialRecord(
      riskSchema,
      z.object({
        effect: z.enum(['allow', 'deny', 'require_approval']).optional(),
        approvers: z
          .object({ users: z.array(identitySchema).optional(), groups: z.array(nameSchema).optional() })
          .optional(),
        quorum: z.number().int().min(1).max(100).optional(),
        require: z.array(identitySchema).max(20).optional(),
      }),
    )
    .optional(),
  requireComment: z.enum(['approve', 'deny', 'both']).optional(),
  reuse: z
    .object({
      within: durationSchema,
      scope: z.enum(['session', 'actor']),
      same: z.union([z.literal('fingerprint'), z.array(z.string().min(1).max(256)).min(1).max(32)]),
      maxUses: z.number().int().min(1).max(10_000).optional(),
    })
    .optional(),
  destructive: z.boolean().optional(),
  remindAfter: durationSchema.optional(),
  escalateAfter: durationSchema.optional(),
  escalateTo: z
    .object({
      users: z.array(identitySchema).optional(),
      groups: z.array(nameSchema).optional(),
      onCall: nameSchema.optional(),
    })
    .optional(),
};

export const policyRuleSchema = z
  .object(policyRuleShape)
  .refine(
    (rule) =>
      rule.effect === 'require_approval' || (rule.approvers === undefined && rule.quorum === undefined),
    {
      message: 'approvers and quorum only apply to require_approval rules',
    },
  );

/** Parses or throws a {@link ValidationError} naming every problem, with its path. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(what, formatIssues(result.error));
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/*
 * Fast shape checks. Each accepts only values its schema accepts, and yields what the schema's
 * output would hold; anything else goes to the schema, so what passes and what fails, and every
 * error message, stay the same. They exist because the schemas run several times on every
 * guarded call and every record read back from a store.
 */
type Check = (value: unknown) => boolean;
type Shape = Readonly<Record<string, Check>>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(value).length === 0;
}

export const isText: Check = (value) => typeof value === 'string';
export function isTextOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}
export const isFiniteNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isFiniteOrNull: Check = (value) => value === null || isFiniteNumber(value);
export const isPositiveInt: Check = (value) => Number.isSafeInteger(value) && (value as number) > 0;
export const oneOf = (options: readonly string[]): Check => {
  const set: ReadonlySet<unknown> = new Set(options);
  return (value) => set.has(value);
};
export const nullOr =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);

export function isDenseArrayOf(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) if (!(i in value) || !check(value[i])) return false;
    return true;
  };
}

/** Plain data with exactly the members of `shape`, each passing its check. */
export function hasShape(shape: Shape): Check {
  const keys = Object.keys(shape);
  const checks = Object.values(shape);
  return (value) => {
    if (!isPlainObject(value) || Object.keys(value).length !== keys.length) return false;
    for (let i = 0; i < keys.length; i++) if (!checks[i]!(value[keys[i]!])) return false;
    return true;
  };
}

export const isJsonValue: Check = (value) => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      if (value === null) return true;
      if (Array.isArray(value)) return isDenseArrayOf(isJsonValue)(value);
      return isPlainObject(value) && Object.values(value).every(isJsonValue);
    default:
      return false;
  }
};
const isJsonObject: Check = (value) => isPlainObject(value) && Object.values(value).every(isJsonValue);
const isStringRecord: Check = (value) => isPlainObject(value) && Object.values(value).every(isText);

/** `redactedActionSchema`. */
export const isPlainAction = hasShape({
  name: isText,
  resource: isTextOrNull,
  params: isJsonObject,
  paramsHash: isText,
  redactedPaths: isDenseArrayOf(isText),
});

/**
 * Deep-frozen parts of requests that passed their member's check, one set per member (a part
 * valid in one member can be invalid in another). A call's action is one frozen object shared by
 * every version of its request, and so are the lists a version did not change (and a rule's
 * approver list, across requests): later versions skip checking and walking them again.
 */
const checkedActions = new WeakSet<object>();
const checkedApprovers = new WeakSet<object>();
const checkedDecisions = new WeakSet<object>();
const checkedDeliveries = new WeakSet<object>();

/** Whether `value` is an action already checked and known to be deep-frozen. */
export function isCheckedFrozenAction(value: object): boolean {
  return checkedActions.has(value);
}

/** `check`, remembered in `checked` for deep-frozen values that pass it. */
function storedPart(check: Check, checked: WeakSet<object>): Check {
  return (value) => {
    if (typeof value === 'object' && value !== null && checked.has(value)) return true;
    if (!check(value)) return false;
    if (isDeepFrozen(value)) checked.add(value as object);
    return true;
  };
}

const isStoredAction = storedPart(isPlainAction, checkedActions);

const isPlainRequest = hasShape({
  id: isText,
  version: isPositiveInt,
  status: oneOf(REQUEST_STATUSES),
  fingerprint: isText,
  action: isStoredAction,
  actor: isText,
  onBehalfOf: isTextOrNull,
  reason: isText,
  sessionId: isText,
  idempotencyKey: isTextOrNull,
  risk: oneOf(riskSchema.options),
  ruleId: isText,
  approvers: storedPart(isDenseArrayOf(isText), checkedApprovers),
  quorum: isPositiveInt,
  grantTtlMs: isPositiveInt,
  decisions: storedPart(
    isDenseArrayOf(
      hasShape({
        approver: isText,
        outcome: oneOf(['approve', 'deny']),
        comment: isTextOrNull,
        via: isText,
        at: isFiniteNumber,
      }),
    ),
    checkedDecisions,
  ),
  deliveries: storedPart(
    isDenseArrayOf(hasShape({ transport: isText, ref: isStringRecord, at: isFiniteNumber })),
    checkedDeliveries,
  ),
  createdAt: isFiniteNumber,
  expiresAt: isFiniteNumber,
  decidedAt: isFiniteOrNull,
  grantId: isTextOrNull,
  closedReason: isTextOrNull,
});

const isPlainGrant = hasShape({
  id: isText,
  tokenHash: isText,
  fingerprint: isText,
  sessionId: isText,
  requestId: isTextOrNull,
  actor: isText,
  ruleId: isText,
  issuedAt: isFiniteNumber,
  expiresAt: isFiniteNumber,
  consumedAt: isFiniteOrNull,
  revokedAt: isFiniteOrNull,
});

/** A copy of plain JSON data: new objects and arrays, shared strings. */
function copyData<T>(value: T): T {
  if (typeof value !== 'object' || value === null || isDeepFrozen(value)) return value;
  if (Array.isArray(value)) return value.map(copyData) as T;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(copy)) {
    const member = copy[key];
    if (typeof member === 'object' && member !== null) copy[key] = copyData(member);
  }
  return copy as T;
}

/** Whether nothing in `value` can change any more, so sharing it is as safe as copying it. */
function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || checkedActions.has(value)) return true;
  if (!Object.isFrozen(value)) return false;
  for (const member of Object.values(value)) if (!isDeepFrozen(member)) return false;
  return true;
}

/** Deep-frozen requests that passed the check: nothing about them can have changed since. */
const checkedRequests = new WeakSet<object>();

/**
 * What `approvalRequestSchema.parse(raw)` returns, or null when only the schema can tell. Deeply
 * frozen parts (the memory store's records, a call's frozen action) are shared rather than copied:
 * they cannot change, and the action keeps its cached canonical JSON for the audit entries.
 */
export function plainRequest(raw: unknown): ApprovalRequest | null {
  if (typeof raw === 'object' && raw !== null && checkedRequests.has(raw)) return raw as ApprovalRequest;
  if (!isPlainRequest(raw)) return null;
  const request = raw as ApprovalRequest;
  if (!isFrozenRequest(request)) return copyData(request);
  checkedRequests.add(request);
  return request;
}

/**
 * Whether a request that passed the shape check is deep-frozen: its own members are strings,
 * numbers and null, and each of its objects was remembered by its member's check if frozen.
 */
function isFrozenRequest(request: ApprovalRequest): boolean {
  return (
    Object.isFrozen(request) &&
    checkedActions.has(request.action) &&
    checkedApprovers.has(request.approvers) &&
    checkedDecisions.has(request.decisions) &&
    checkedDeliveries.has(request.deliveries)
  );
}

/** Whether `raw` is a grant record `grantRecordSchema` accepts unchanged; no copy made. */
export function isGrantRecord(raw: unknown): raw is GrantRecord {
  return isPlainGrant(raw);
}

/** What `grantRecordSchema.parse(raw)` returns, or null when only the schema can tell. */
export function plainGrant(raw: unknown): GrantRecord | null {
  return isPlainGrant(raw) ? { ...(raw as GrantRecord) } : null;
}

const isName: Check = (value) =>
  typeof value === 'string' && value.length >= 1 && value.length <= 256 && !CONTROL.test(value);
const isOptional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);

/** The members of a guard's action and context that guard reads, as the schemas would give them. */
export interface GuardInput {
  name: string;
  resource: string | null | undefined;
  params: unknown;
  risk: z.infer<typeof riskSchema> | undefined;
  run: (...args: never[]) => unknown;
  actor: string;
  onBehalfOf: string | null | undefined;
  sessionId: string;
  reason: string;
  idempotencyKey: string | null | undefined;
  requestId: string | null | undefined;
  wait: boolean | undefined;
  onAbort: 'cancel' | 'detach' | undefined;
  signal: AbortSignal | undefined;
}

const isRisk = isOptional(oneOf(riskSchema.options));
const isResource = isOptional(nullOr(isName));

/** `guardActionSchema` and `guardContextSchema` for the common, well-formed call; else null. */
export function plainGuardInput(action: unknown, context: unknown): GuardInput | null {
  if (!isPlainObject(action) || !isPlainObject(context)) return null;
  const { name, resource, params, risk, run } = action;
  if (!isName(name) || !isResource(resource) || !isRisk(risk) || typeof run !== 'function') return null;
  const { actor, onBehalfOf, reason, sessionId, idempotencyKey, requestId, wait, onAbort, signal } = context;
  if (!isName(actor) || !isName(sessionId) || !isOptional(nullOr(isName))(onBehalfOf)) return null;
  if (!isOptional(nullOr(isName))(idempotencyKey) || typeof reason !== 'string') return null;
  if (!isOptional(nullOr(isName))(requestId) || !isOptional((value) => typeof value === 'boolean')(wait))
    return null;
  if (!isOptional(oneOf(['cancel', 'detach']))(onAbort)) return null;
  if (signal !== undefined && !isAbortSignal(signal)) return null;
  const trimmed = reason.trim();
  if (trimmed.length < 1 || trimmed.length > 2000) return null;
  return {
    name: name as string,
    resource: resource as string | null | undefined,
    params,
    risk: risk as GuardInput['risk'],
    run: run as GuardInput['run'],
    actor: actor as string,
    onBehalfOf: onBehalfOf as string | null | undefined,
    sessionId: sessionId as string,
    reason: trimmed,
    idempotencyKey: idempotencyKey as string | null | undefined,
    requestId: requestId as string | null | undefined,
    wait: wait as boolean | undefined,
    onAbort: onAbort as 'cancel' | 'detach' | undefined,
    signal: signal as AbortSignal | undefined,
  };
}

/** What `grantCheckSchema` gives for the common, well-formed check; else null. */
export function plainGrantCheck(check: unknown): z.infer<typeof grantCheckSchema> | null {
  if (!isPlainObject(check)) return null;
  const { name, resource, params, sessionId } = check;
  if (!isName(name) || !isResource(resource) || !isName(sessionId)) return null;
  return {
    name: name as string,
    resource: resource as string | null | undefined,
    params,
    sessionId: sessionId as string,
  };
}

const isOutcome = oneOf(['approve', 'deny']);

/** What `decisionInputSchema` gives for the common, well-formed decision; else null. */
export function plainDecisionInput(input: unknown): z.infer<typeof decisionInputSchema> | null {
  if (!isPlainObject(input)) return null;
  const { approver, outcome, comment, via, justThisCall } = input;
  if (!isName(approver) || !isOutcome(outcome)) return null;
  if (justThisCall !== undefined && typeof justThisCall !== 'boolean') return null;
  if (comment !== undefined && !(typeof comment === 'string' && comment.length <= 2000)) return null;
  if (via !== undefined && !(isName(via) && (via as string).length <= 64)) return null;
  return {
    approver: approver as string,
    outcome: outcome as 'approve' | 'deny',
    comment: comment as string | undefined,
    via: via as string | undefined,
    justThisCall: justThisCall as boolean | undefined,
  };
}
