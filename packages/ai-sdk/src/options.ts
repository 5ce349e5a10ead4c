// The options of countersignTools(), checked once: unknown keys and bad values are errors that name them.
import { ConfigError, type Risk } from '@countersign/core';

export interface CountersignToolsOptions {
  /** The agent's identity, e.g. `'agent:report-bot'`. */
  actor: string;
  /** The person the agent acts for; they cannot approve its calls. */
  onBehalfOf?: string | null | undefined;
  /**
   * The conversation these tools serve (your chat or thread id; at most 256 characters). Grants
   * are bound to it and idempotency keys are made from it and the tool-call id, so make one set
   * of tools per conversation.
   */
  sessionId: string;
  /**
   * Add an optional `reason` argument to every guarded tool's input, shown to approvers as the
   * agent's unverified reason and never part of the approved arguments. Default `true`.
   */
  reasonArgument?: boolean | undefined;
  /** The reason approvers see when the model gives none. */
  defaultReason?: string | undefined;
  /**
   * What `execute` does when the call still waits for people: `false` (default) rejects at once
   * and the model is told the call awaits approval; `true` blocks until the decision, for a
   * long-lived process.
   */
  wait?: boolean | undefined;
  /**
   * What `toolApproval` says about tools these options did not guard: `'deny'` (default, fail
   * closed) or `'allow'` (let them run without approval).
   */
  unguardedTools?: 'deny' | 'allow' | undefined;
}

/** How one tool's input becomes the guarded action. */
export interface GuardToolOptions<ARGS> {
  /** What the call touches, fixed or computed from the arguments. */
  resource?: string | null | ((args: ARGS) => string | null) | undefined;
  /** The params to bind and show approvers. Default: the arguments without `reason`. */
  params?: ((args: ARGS) => Record<string, unknown>) | undefined;
  /** Risk shown to approvers when the matching rule sets none. */
  risk?: Risk | undefined;
}

export interface ResolvedOptions {
  actor: string;
  onBehalfOf: string | null;
  sessionId: string;
  reasonArgument: boolean;
  defaultReason: string;
  wait: boolean;
  unguardedTools: 'deny' | 'allow';
}

const KEYS = new Set([
  'actor',
  'onBehalfOf',
  'sessionId',
  'reasonArgument',
  'defaultReason',
  'wait',
  'unguardedTools',
]);
const TOOL_KEYS = new Set(['resource', 'params', 'risk']);

export const DEFAULT_REASON = 'The model gave no reason for this call.';

export function resolveOptions(options: CountersignToolsOptions): ResolvedOptions {
  rejectUnknownKeys(options, KEYS, 'countersignTools() option');
  const { actor, sessionId, onBehalfOf, reasonArgument, defaultReason, wait, unguardedTools } = options;
  if (typeof actor !== 'string' || actor === '') throw problem('actor', 'a non-empty string');
  if (typeof sessionId !== 'string' || sessionId === '') throw problem('sessionId', 'a non-empty string');
  if (onBehalfOf != null && typeof onBehalfOf !== 'string') throw problem('onBehalfOf', 'a string or null');
  if (reasonArgument !== undefined && typeof reasonArgument !== 'boolean')
    throw problem('reasonArgument', 'a boolean');
  if (defaultReason !== undefined && (typeof defaultReason !== 'string' || defaultReason.trim() === ''))
    throw problem('defaultReason', 'a non-empty string');
  if (wait !== undefined && typeof wait !== 'boolean') throw problem('wait', 'a boolean');
  if (unguardedTools !== undefined && unguardedTools !== 'deny' && unguardedTools !== 'allow')
    throw problem('unguardedTools', '"deny" or "allow"');
  return {
    actor,
    sessionId,
    onBehalfOf: onBehalfOf ?? null,
    reasonArgument: reasonArgument ?? true,
    defaultReason: defaultReason ?? DEFAULT_REASON,
    wait: wait ?? false,
    unguardedTools: unguardedTools ?? 'deny',
  };
}

export function checkToolOptions(action: string, options: object): void {
  rejectUnknownKeys(options, TOOL_KEYS, `tool("${action}") option`);
}

function rejectUnknownKeys(options: object, known: Set<string>, what: string): void {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError(`[ai-sdk] ${what}s must be an object`);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`[ai-sdk] unknown ${what} "${key}"`);
  }
}

function problem(key: string, expected: string): ConfigError {
  return new ConfigError(`[ai-sdk] countersignTools() option "${key}" must be ${expected}`);
}
