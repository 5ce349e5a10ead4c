// The optional reason argument the proxy adds to relayed tools: shown to approvers, never fingerprinted or forwarded.

export const REASON_DESCRIPTION =
  'Why this call is needed, in one sentence. Shown to the person who approves it.';
const REASON_MAX = 2000;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Adds `name` as an optional string to the input schema of every tool in a `tools/list` result
 * that does not have such an argument already. Returns the tools it was added to, and those
 * that have their own argument of that name (it is theirs, and passes through untouched).
 */
export function addReasonArgument(result: Json, name: string): { added: string[]; own: string[] } {
  const added: string[] = [];
  const own: string[] = [];
  if (!Array.isArray(result.tools)) return { added, own };
  for (const tool of result.tools) {
    if (!isObject(tool) || typeof tool.name !== 'string' || !isObject(tool.inputSchema)) continue;
    const properties = isObject(tool.inputSchema.properties) ? tool.inputSchema.properties : {};
    if (name in properties) {
      own.push(tool.name);
      continue;
    }
    tool.inputSchema = {
      ...tool.inputSchema,
      properties: {
        ...properties,
        [name]: { type: 'string', maxLength: REASON_MAX, description: REASON_DESCRIPTION },
      },
    };
    added.push(tool.name);
  }
  return { added, own };
}

/** Splits the reason from a call's arguments; a non-string or blank reason counts as none. */
export function takeReason(args: Json, name: string): { reason: string | null; params: Json } {
  const { [name]: given, ...params } = args;
  return { reason: typeof given === 'string' && given.trim() !== '' ? given : null, params };
}
