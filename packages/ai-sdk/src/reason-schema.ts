// The optional `reason` argument added to a guarded tool's input schema, kept apart from its arguments.
import { asSchema, type FlexibleSchema, type JSONSchema7, jsonSchema, type Schema } from 'ai';

/** Core's limit on a guard's reason. */
export const REASON_MAX_LENGTH = 2000;

export const REASON_DESCRIPTION =
  'Why this call is needed, in one or two sentences. A person may read it before approving the call.';

/**
 * The tool's schema plus an optional string `field`. The model sees it in the JSON Schema; the
 * original schema validates everything else, so the arguments that are fingerprinted and approved
 * never include it.
 */
export function withReason<INPUT, FIELD extends string>(
  schema: FlexibleSchema<INPUT>,
  field: FIELD,
): Schema<INPUT & { [K in FIELD]?: string }> {
  const inner = asSchema(schema);
  return jsonSchema<INPUT & { [K in FIELD]?: string }>(
    async () => addReasonProperty(await inner.jsonSchema, field),
    {
      validate: async (value) => {
        const split = splitReason(value, field);
        if (split === null) return { success: false, error: new Error(reasonProblem(field)) };
        const result = inner.validate
          ? await inner.validate(split.args)
          : { success: true as const, value: split.args };
        if (!result.success) return result;
        const args = result.value as INPUT & { [K in FIELD]?: string };
        if (split.reason === undefined) return { success: true, value: args };
        return { success: true, value: { ...args, [field]: split.reason } };
      },
    },
  );
}

/**
 * The model's reason and the call's arguments without it; null when the value is not an object
 * or its reason is not a string within the limit.
 */
export function splitReason(
  value: unknown,
  field: string,
): { reason: string | undefined; args: Record<string, unknown> } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { [field]: reason, ...args } = value as Record<string, unknown>;
  if (reason === undefined || reason === null) return { reason: undefined, args };
  if (typeof reason !== 'string' || reason.length > REASON_MAX_LENGTH) return null;
  return { reason, args };
}

function reasonProblem(field: string): string {
  return `the input must be an object whose "${field}", if given, is a string of at most ${REASON_MAX_LENGTH} characters`;
}

function addReasonProperty(schema: JSONSchema7, field: string): JSONSchema7 {
  if (schema.type !== 'object') {
    throw new Error(
      `[countersign] [ai-sdk] a guarded tool's input schema must describe an object to add "${field}"`,
    );
  }
  if (schema.properties && Object.hasOwn(schema.properties, field)) {
    throw new Error(
      `[countersign] [ai-sdk] the tool's input already has a "${field}" property; pass another reasonField or false`,
    );
  }
  return {
    ...schema,
    properties: {
      ...schema.properties,
      [field]: { type: 'string', maxLength: REASON_MAX_LENGTH, description: REASON_DESCRIPTION },
    },
  };
}
