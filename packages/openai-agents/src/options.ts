// The options of countersignAgentTools() and of each guarded tool, checked once: unknown keys are errors that name them.
import { ConfigError } from '@countersign/core';
import type { RunContext } from '@openai/agents';

export interface CountersignAgentToolsOptions<TContext = unknown> {
  /** The agent's identity, e.g. `'agent:report-bot'`. */
  actor: string;
  /** The person the agent acts for; they cannot approve its calls. */
  onBehalfOf?: string | null | undefined;
  /**
   * The conversation: a fixed id, or read from the run's context (e.g. `(ctx) => ctx.context.threadId`),
   * which survives `RunState` serialisation. At most 256 characters. Grants are bound to it and the
   * idempotency keys of tool calls are scoped to it.
   */
  sessionId: string | ((runContext: RunContext<TContext>) => string);
  /**
   * Add an optional `reason` argument to every guarded tool's parameters, shown to approvers as
   * the agent's unverified reason and never part of the approved arguments. Default `true`.
   */
  reasonArgument?: boolean | undefined;
  /** The reason approvers see when the model gives none. */
  defaultReason?: string | undefined;
  /**
   * What a tool does when its call still waits for people: `false` (default) returns at once and
   * the model reads that the call awaits approval; `true` blocks until the decision.
   */
  wait?: boolean | undefined;
}

export interface ResolvedOptions<TContext> {
  actor: string;
  onBehalfOf: string | null;
  sessionId: string | ((runContext: RunContext<TContext>) => string);
  reasonArgument: boolean;
  defaultReason: string;
  wait: boolean;
}

export const DEFAULT_REASON = 'The model gave no reason for this call.';

const KEYS = new Set(['actor', 'onBehalfOf', 'sessionId', 'reasonArgument', 'defaultReason', 'wait']);

export function resolveOptions<TContext>(
  options: CountersignAgentToolsOptions<TContext>,
): ResolvedOptions<TContext> {
  rejectUnknownKeys(options, KEYS, 'countersignAgentTools() option');
  const { actor, sessionId, onBehalfOf, reasonArgument, defaultReason, wait } = options;
  if (typeof actor !== 'string' || actor === '') throw problem('actor', 'a non-empty string');
  if ((typeof sessionId !== 'string' || sessionId === '') && typeof sessionId !== 'function')
    throw problem('sessionId', 'a non-empty string or a function of the run context');
  if (onBehalfOf != null && typeof onBehalfOf !== 'string') throw problem('onBehalfOf', 'a string or null');
  if (reasonArgument !== undefined && typeof reasonArgument !== 'boolean')
    throw problem('reasonArgument', 'a boolean');
  if (defaultReason !== undefined && (typeof defaultReason !== 'string' || defaultReason.trim() === ''))
    throw problem('defaultReason', 'a non-empty string');
  if (wait !== undefined && typeof wait !== 'boolean') throw problem('wait', 'a boolean');
  return {
    actor,
    sessionId,
    onBehalfOf: onBehalfOf ?? null,
    reasonArgument: reasonArgument ?? true,
    defaultReason: defaultReason ?? DEFAULT_REASON,
    wait: wait ?? false,
  };
}

export function rejectUnknownKeys(options: object, known: ReadonlySet<string>, what: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(`[openai-agents] ${what}s must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`[openai-agents] unknown ${what} "${key}"`);
  }
}

function problem(key: string, expected: string): ConfigError {
  return new ConfigError(`[openai-agents] countersignAgentTools() option "${key}" must be ${expected}`);
}
