// The optional `reason` argument added to a guarded tool's parameters, kept apart from its arguments.
import type { StandardSchemaWithJSON } from '@openai/agents';

/** Core's limit on a guard's reason. */
export const REASON_MAX_LENGTH = 2000;

export const REASON_DESCRIPTION =
  'Why this call is needed, in one or two sentences. A person may read it before approving the call.';

/** A plain JSON Schema for an object, as the Agents SDK accepts for `parameters`. */
export interface JsonObjectSchemaLike {
  type: 'object';
  properties: Record<string, unknown>;
  [key: string]: unknown;
}

/** The arguments of a call plus the optional reason. */
export type WithReason<ARGS> = ARGS & { reason?: string | undefined };

/**
 * The parameters plus an optional string `reason`. A Standard Schema (zod 4, valibot, ...)
 * is wrapped: its own validation sees the arguments without `reason`, so what is approved and
 * fingerprinted never includes it. A plain JSON Schema gains the property.
 */
export function withReason<ARGS>(
  parameters: StandardSchemaWithJSON<unknown, ARGS> | JsonObjectSchemaLike,
): StandardSchemaWithJSON<unknown, WithReason<ARGS>> | JsonObjectSchemaLike {
  if (!isStandardSchema(parameters)) return addReasonProperty(parameters);
  const inner = parameters['~standard'];
  return {
    '~standard': {
      version: 1,
      vendor: 'countersign',
      validate: (value: unknown) => {
        const split = splitReason(value);
        if (split === null) return { issues: [{ message: REASON_PROBLEM }] };
        const result = inner.validate(split.args);
        // The Agents SDK refuses asynchronous validation; pass it on for it to say so.
        if ('then' in result) return result;
        if (result.issues) return result;
        const args = result.value as WithReason<ARGS>;
        return { value: split.reason === undefined ? args : { ...args, reason: split.reason } };
      },
      jsonSchema: {
        input: (options) => addReasonProperty(inner.jsonSchema.input(options)),
        output: (options) => addReasonProperty(inner.jsonSchema.output(options)),
      },
    },
  } as StandardSchemaWithJSON<unknown, WithReason<ARGS>>;
}

/**
 * The model's reason and the call's arguments without it; null when the value is not an object
 * or its reason is not a string within the limit.
 */
export function splitReason(
  value: unknown,
): { reason: string | undefined; args: Record<string, unknown> } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { reason, ...args } = value as Record<string, unknown>;
  if (reason === undefined || reason === null) return { reason: undefined, args };
  if (typeof reason !== 'string' || reason.length > REASON_MAX_LENGTH) return null;
  return { reason, args };
}

const REASON_PROBLEM = `the input must be an object whose "reason", if given, is a string of at most ${REASON_MAX_LENGTH} characters`;

export function isStandardSchema(value: unknown): value is StandardSchemaWithJSON {
  return typeof value === 'object' && value !== null && '~standard' in value;
}

function addReasonProperty<T extends Record<string, unknown>>(schema: T): T {
  const properties = schema.properties;
  if (schema.type !== 'object' || typeof properties !== 'object' || properties === null) {
    throw new Error(
      '[countersign] [openai-agents] a guarded tool\'s parameters must describe an object to add "reason"',
    );
  }
  if (Object.hasOwn(properties, 'reason')) {
    throw new Error(
      '[countersign] [openai-agents] the tool\'s parameters already have a "reason" property; pass reasonArgument: false',
    );
  }
  return {
    ...schema,
    properties: {
      ...properties,
      reason: { type: 'string', maxLength: REASON_MAX_LENGTH, description: REASON_DESCRIPTION },
    },
  };
}
