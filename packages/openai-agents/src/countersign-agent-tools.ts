// countersignAgentTools(): guarded OpenAI Agents tools, and interruptions resolved by countersign's decisions.
import { ConfigError, type Countersign, toolNameFor } from '@countersign/core';
import type { FunctionTool } from '@openai/agents';
import { Binding, type ToolSpec } from './binding.js';
import { type GuardedToolOptions, guardTool } from './guarded-tool.js';
import { type CountersignAgentToolsOptions, rejectUnknownKeys, resolveOptions } from './options.js';
import {
  type InterruptedRun,
  type ResolvedInterruptions,
  type ResolveOptions,
  resolveInterruptions,
} from './resolve-interruptions.js';

export interface CountersignAgentTools<TContext> {
  /**
   * A function tool guarded as `options.action`: `needsApproval` follows countersign's policy,
   * `execute` runs only through `cs.guard` with the exact arguments (without `reason`), and a
   * refusal reaches the model as `describeOutcome`'s message, never "Please try again".
   */
  tool<ARGS, RESULT>(options: GuardedToolOptions<ARGS, RESULT, TContext>): FunctionTool<TContext>;
  /** Opens countersign requests for a run's interruptions and approves or rejects them as people decided. */
  resolveInterruptions(
    run: InterruptedRun<TContext>,
    options?: ResolveOptions,
  ): Promise<ResolvedInterruptions>;
}

const TOOL_KEYS = new Set([
  'action',
  'name',
  'description',
  'parameters',
  'execute',
  'resource',
  'params',
  'risk',
  'errorFunction',
  'timeoutMs',
]);

/** Guarded tools for one agent (`actor`); the session is fixed or read from each run's context. */
export function countersignAgentTools<TContext = unknown>(
  cs: Countersign,
  options: CountersignAgentToolsOptions<TContext>,
): CountersignAgentTools<TContext> {
  if (typeof cs !== 'object' || cs === null || typeof cs.guard !== 'function') {
    throw new ConfigError(
      '[openai-agents] countersignAgentTools() needs a countersign instance as its first argument',
    );
  }
  const binding = new Binding<TContext>(cs, resolveOptions(options));
  return {
    tool: (toolOptions) => {
      rejectUnknownKeys(toolOptions, TOOL_KEYS, 'tool() option');
      const { action } = toolOptions;
      if (typeof action !== 'string' || action === '')
        throw new ConfigError('[openai-agents] tool() needs an action');
      if (typeof toolOptions.execute !== 'function') {
        throw new ConfigError(`[openai-agents] tool("${action}") needs an execute function`);
      }
      const spec: ToolSpec = {
        action,
        resource: toolOptions.resource as ToolSpec['resource'],
        params: toolOptions.params as ToolSpec['params'],
        risk: toolOptions.risk,
        reasonArgument: binding.options.reasonArgument,
      };
      return guardTool(binding, spec, toolOptions.name ?? toolNameFor(action), toolOptions);
    },
    resolveInterruptions: (run, resolveOptions) => resolveInterruptions(binding, run, resolveOptions),
  };
}
