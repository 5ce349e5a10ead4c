// A guarded agent tool: needsApproval from countersign's policy, execute only through cs.guard with the exact arguments.
import type { Grant } from '@countersign/core';
import { type FunctionTool, type RunContext, type StandardSchemaWithJSON, tool } from '@openai/agents';
import type { Binding, ToolSpec } from './binding.js';
import { type JsonObjectSchemaLike, type WithReason, withReason } from './reason-schema.js';
import { countersignErrorFunction, type ToolErrorFunction } from './tool-error-function.js';

/** What the tool's own `execute` receives besides the arguments. */
export interface GuardedCallDetails {
  /** The call's id from the model. */
  callId: string | undefined;
  /** The grant this call runs under; its `signal` aborts when the run aborts or the grant ends. */
  grant: Grant;
  signal: AbortSignal;
}

export interface GuardedToolOptions<ARGS, RESULT, TContext> {
  /** The action name the policy matches, e.g. `'db.export'`. */
  action: string;
  /** The function name the model sees. Default: `toolNameFor(action)` (`db__export`). */
  name?: string | undefined;
  description: string;
  /** A Standard Schema with JSON Schema (zod 4, ...) or a plain JSON Schema for an object. */
  parameters: StandardSchemaWithJSON<unknown, ARGS> | JsonObjectSchemaLike;
  execute: (
    args: ARGS,
    runContext: RunContext<TContext> | undefined,
    details: GuardedCallDetails,
  ) => RESULT | Promise<RESULT>;
  /** What the call touches, fixed or computed from the arguments. */
  resource?: string | null | ((args: ARGS) => string | null) | undefined;
  /** The params to bind and show approvers. Default: the arguments without `reason`. */
  params?: ((args: ARGS) => Record<string, unknown>) | undefined;
  risk?: ToolSpec['risk'];
  /** For errors that are not countersign's (default: the SDK's generic text). */
  errorFunction?: ToolErrorFunction<TContext> | undefined;
  timeoutMs?: number | undefined;
}

/** Set in `details` by `resolveInterruptions` to learn the SDK's parsed input without running anything. */
export const PARSE_ONLY = Symbol('countersign.parseOnly');
/** What a parse-only invocation returns; nobody reads it. */
const PARSED = 'parsed only; nothing ran';

interface ParseOnly {
  [PARSE_ONLY]?: (input: unknown) => void;
}

export function guardTool<ARGS, RESULT, TContext>(
  binding: Binding<TContext>,
  spec: ToolSpec,
  name: string,
  options: GuardedToolOptions<ARGS, RESULT, TContext>,
): FunctionTool<TContext> {
  const parameters = spec.reasonArgument ? withReason(options.parameters) : options.parameters;
  const created = tool({
    name,
    description: options.description,
    parameters: parameters as StandardSchemaWithJSON<unknown, WithReason<ARGS>>,
    strict: true,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    errorFunction: countersignErrorFunction(options.errorFunction) as never,
    // Pure policy: a call the policy allows or denies needs no person; the guard records it.
    needsApproval: async (_runContext: RunContext<TContext>, input: unknown) => {
      try {
        const resource = binding.resourceOf(spec, input);
        return (
          binding.cs.explain({ action: spec.action, resource, actor: binding.options.actor }).effect ===
          'require_approval'
        );
      } catch {
        return true;
      }
    },
    execute: async (
      input: unknown,
      runContext?: RunContext<TContext>,
      details?: { toolCall?: { callId?: string }; signal?: AbortSignal },
    ) => {
      const parseOnly = (details as ParseOnly | undefined)?.[PARSE_ONLY];
      if (parseOnly) {
        parseOnly(input);
        return PARSED;
      }
      const callId = details?.toolCall?.callId;
      const call = binding.prepare(spec, input, callId, runContext, details?.signal);
      if (call === null) throw new TypeError('[countersign] [openai-agents] tool input must be an object');
      return binding.cs.guard(
        {
          ...call.action,
          // Only the approved arguments reach the tool; its signal is the grant's.
          run: (grant) =>
            options.execute(call.args as ARGS, runContext, { callId, grant, signal: grant.signal }),
        },
        call.context,
      );
    },
  } as never) as FunctionTool<TContext>;
  binding.specs.set(created, spec);
  return created;
}
