// The input schemas (guard, decisions, grant checks, policy rules), and fast checks of the guard's input.
import { types } from 'node:util';
import { z } from 'zod';
import { parseDuration } from '../lib/duration.js';
import { ValidationError } from '../lib/errors.js';
import { readInput, readMembers } from '../lib/input.js';
import { type Check, isOneOf, isPlainObject, nullOr } from '../lib/record-shape.js';
import { riskSchema } from './approval.js';
import { MAX_CONDITION_LENGTH } from './rule.js';

/**
 * Characters no name may hold: controls (C0 and C1), invisible format characters (zero-width,
 * bidirectional marks and overrides), every other default-ignorable character (fillers such as
 * U+3164, variation selectors, the combining grapheme joiner), line and paragraph separators,
 * and lone surrogates. Channels show all of these as markers; a name never needs one.
 */
const CONTROL = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}\p{Cs}]/u;
/**
 * Identities are printable ASCII without spaces: `user:alice`, `slack:T1:U2`, `teams:TENANT:OID`.
 * No look-alike (Cyrillic `а`, full-width `ａ`), invisible character or padding can then pass for
 * another identity, and comparing them without case is exact.
 */
const IDENTITY = /^[\x21-\x7e]{1,256}$/;
/** A lone surrogate: not Unicode, and shown differently by every channel. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Identities such as `user:bob` or `agent:report-bot`. */
export const identitySchema = z
  .string()
  .min(1)
  .max(256)
  .regex(
    IDENTITY,
    'must be printable ASCII without spaces, so that no look-alike can pass for another identity',
  );

const nameSchema = z
  .string()
  .min(1)
  .max(256)
  .refine(
    (value) => !CONTROL.test(value),
    'must not contain control, invisible or bidirectional characters, or lone surrogates',
  );

/** The agent's stated reason: free text, but well-formed Unicode. */
const reasonSchema = z
  .string()
  .trim()
  .min(1, 'must say why the action is needed')
  .max(2000)
  .refine((value) => !LONE_SURROGATE.test(value), 'must not contain lone surrogates');

export const durationSchema = z
  .union([z.number(), z.string()])
  .refine(
    (value) => parseDuration(value) !== null,
    'must be a duration from 1ms to 366d, such as 500ms, 60s, 15m or 2h',
  );

const abortedOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;

/**
 * A real, unaltered AbortSignal: a look-alike, a proxy of one or a signal given members of its own
 * could throw or never fire. Never throws itself.
 */
export const isAbortSignal = (value: unknown): value is AbortSignal => {
  try {
    if (typeof value !== 'object' || value === null) return false;
    // A proxy forwards the brand check below to its target, so it is refused by name.
    if (types.isProxy(value) || Object.getPrototypeOf(value) !== AbortSignal.prototype) return false;
    // The brand check: the getter throws for anything but a signal the runtime made.
    abortedOf.call(value);
    return Object.getOwnPropertyNames(value).length === 0;
  } catch {
    return false;
  }
};
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
  reason: reasonSchema,
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
const verifyOptionsSchema = z.object({
  head: z
    .object({ seq: z.number().int().positive(), hash: z.string().min(1).max(128) })
    .nullable()
    .optional(),
  allowPruned: z.boolean().optional(),
});

/** `audit.verify()`'s options, each member (and the head's) read once and checked. */
export function readVerifyOptions(options: unknown): {
  head?: { seq: number; hash: string } | undefined;
  allowPruned?: boolean | undefined;
} {
  if (options === undefined) return {};
  const members = readMembers(options, ['head', 'allowPruned'], 'verify options');
  if (typeof members.head === 'object' && members.head !== null) {
    members.head = readMembers(members.head, ['seq', 'hash'], 'verify options head');
  }
  const read = parseInput(verifyOptionsSchema, members, 'verify options');
  return { head: read.head ?? undefined, allowPruned: read.allowPruned };
}

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
  edit: z.record(z.string().min(1).max(256), z.unknown()).optional(),
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
  editable: z.array(z.string().min(1).max(256)).max(32).optional(),
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
  // Zod reads nested values itself, and again (lazily) to word its issues: a getter or proxy trap
  // that throws does so through one or the other.
  const result = readInput(what, () => {
    const parsed = schema.safeParse(value);
    return parsed.success ? parsed : { success: false as const, issues: formatIssues(parsed.error) };
  });
  if (result.success) return result.data;
  throw new ValidationError(what, result.issues);
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/*
 * Fast checks of the guard's, a grant check's and a decision's input. Each accepts only values its
 * schema accepts, and yields what the schema's output would hold; anything else goes to the
 * schema, so what passes and what fails, and every error message, stay the same. They exist
 * because these schemas run on every guarded call. (Records read back from a store are checked
 * in `record-checks.ts`, from their one member table.)
 */
const isName: Check = (value) =>
  typeof value === 'string' && value.length >= 1 && value.length <= 256 && !CONTROL.test(value);
const isIdentity: Check = (value) => typeof value === 'string' && IDENTITY.test(value);
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

const isRisk = isOptional(isOneOf(riskSchema.options));
const isResource = isOptional(nullOr(isName));
// Made once: built inside the check, they cost a Set and four closures on every guarded call.
const isOptionalIdentity = isOptional(nullOr(isIdentity));
const isOptionalName = isOptional(nullOr(isName));
const isOptionalBoolean = isOptional((value) => typeof value === 'boolean');
const isOptionalOnAbort = isOptional(isOneOf(['cancel', 'detach']));

/** `guardActionSchema` and `guardContextSchema` for the common, well-formed call; else null. */
export function plainGuardInput(action: unknown, context: unknown): GuardInput | null {
  if (!isPlainObject(action) || !isPlainObject(context)) return null;
  const { name, resource, params, risk, run } = action;
  if (!isName(name) || !isResource(resource) || !isRisk(risk) || typeof run !== 'function') return null;
  const { actor, onBehalfOf, reason, sessionId, idempotencyKey, requestId, wait, onAbort, signal } = context;
  if (!isIdentity(actor) || !isName(sessionId) || !isOptionalIdentity(onBehalfOf)) return null;
  if (!isOptionalName(idempotencyKey) || typeof reason !== 'string') return null;
  if (!isOptionalName(requestId) || !isOptionalBoolean(wait)) return null;
  if (!isOptionalOnAbort(onAbort)) return null;
  if (signal !== undefined && !isAbortSignal(signal)) return null;
  const trimmed = reason.trim();
  if (trimmed.length < 1 || trimmed.length > 2000 || LONE_SURROGATE.test(trimmed)) return null;
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

const isOutcome = isOneOf(['approve', 'deny']);

/** What `decisionInputSchema` gives for the common, well-formed decision; else null. */
export function plainDecisionInput(input: unknown): z.infer<typeof decisionInputSchema> | null {
  if (!isPlainObject(input)) return null;
  const { approver, outcome, comment, via, justThisCall, edit } = input;
  if (!isIdentity(approver) || !isOutcome(outcome) || edit !== undefined) return null;
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
