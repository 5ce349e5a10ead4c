import { z } from 'zod';
import { riskSchema } from './approval.js';
import { parseDuration } from './duration.js';
import { ValidationError } from './errors.js';

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
    'must be a positive duration such as 500ms, 60s, 15m or 2h',
  );

const abortSignalSchema = z.custom<AbortSignal>(
  (value) => typeof value === 'object' && value !== null && 'aborted' in value && 'addEventListener' in value,
  'must be an AbortSignal',
);

export const guardActionSchema = z.object({
  name: nameSchema,
  resource: nameSchema.nullable().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  risk: riskSchema.optional(),
  run: z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', 'must be a function'),
});

export const guardContextSchema = z.object({
  actor: identitySchema,
  onBehalfOf: identitySchema.nullable().optional(),
  reason: z.string().trim().min(1, 'must say why the action is needed').max(2000),
  sessionId: nameSchema,
  idempotencyKey: nameSchema.nullable().optional(),
  signal: abortSignalSchema.optional(),
});

export const decisionInputSchema = z.object({
  approver: identitySchema,
  outcome: z.enum(['approve', 'deny']),
  comment: z.string().max(2000).optional(),
  via: nameSchema.max(64).optional(),
});

export const grantCheckSchema = z.object({
  name: nameSchema,
  resource: nameSchema.nullable().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  sessionId: nameSchema,
});

const patternsSchema = z.union([nameSchema, z.array(nameSchema).min(1)]);

export const policyRuleSchema = z
  .object({
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
    description: z.string().optional(),
  })
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
