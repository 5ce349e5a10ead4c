// countersignTools(): guarded AI SDK tools, the toolApproval that consults countersign, and approval responses.
import { ConfigError, type Countersign, type ToolNameOf, toolNameFor } from '@countersign/core';
import type { Tool } from 'ai';
import {
  type ApprovalResponses,
  type ApprovalResponsesInput,
  approvalResponses,
} from './approval-responses.js';
import { Binding, type ToolSpec } from './binding.js';
import { type ExecutableDefinition, type GuardedTool, guardTool } from './guarded-tool.js';
import {
  type CountersignToolsOptions,
  checkToolOptions,
  type GuardToolOptions,
  resolveOptions,
} from './options.js';
import { type CountersignToolApproval, createToolApproval } from './tool-approval.js';

export interface CountersignTools {
  /**
   * The tool, guarded as `action`: its `execute` runs only through `cs.guard`, with the exact
   * arguments (without `reason`) as params and a grant that is live for exactly this call. Key
   * it as you like in your tool set; `toolNameFor(action)` gives the documented name.
   */
  tool<INPUT, OUTPUT, CONTEXT>(
    action: string,
    definition: ExecutableDefinition<INPUT, OUTPUT, CONTEXT>,
    options?: GuardToolOptions<INPUT> | undefined,
  ): GuardedTool<INPUT, OUTPUT, CONTEXT>;
  /**
   * Guards each tool of a record keyed by action name and keys the result by `toolNameFor`
   * (`'db.export'` → `db__export`).
   */
  tools<DEFS extends Record<string, Tool>>(
    definitions: DEFS,
  ): { [A in keyof DEFS & string as ToolNameOf<A>]: GuardedOf<DEFS[A]> };
  /** Pass as `toolApproval` to `generateText`, `streamText` or an agent. */
  readonly toolApproval: CountersignToolApproval;
  /** The responses for a paused run's approval requests, once countersign has decisions. */
  approvalResponses(input: ApprovalResponsesInput): Promise<ApprovalResponses>;
}

type GuardedOf<DEF> =
  DEF extends ExecutableDefinition<infer INPUT, infer OUTPUT> ? GuardedTool<INPUT, OUTPUT> : never;

/** Guarded tools for one conversation (`sessionId`) of one agent (`actor`). */
export function countersignTools(cs: Countersign, options: CountersignToolsOptions): CountersignTools {
  if (typeof cs !== 'object' || cs === null || typeof cs.guard !== 'function') {
    throw new ConfigError('[ai-sdk] countersignTools() needs a countersign instance as its first argument');
  }
  const binding = new Binding(cs, resolveOptions(options));
  const tool = <INPUT, OUTPUT, CONTEXT>(
    action: string,
    definition: ExecutableDefinition<INPUT, OUTPUT, CONTEXT>,
    toolOptions: GuardToolOptions<INPUT> = {},
  ): GuardedTool<INPUT, OUTPUT, CONTEXT> => {
    checkToolOptions(action, toolOptions);
    if (typeof action !== 'string' || action === '')
      throw new ConfigError('[ai-sdk] tool() needs an action name');
    if (typeof definition?.execute !== 'function') {
      throw new ConfigError(`[ai-sdk] tool("${action}") needs a definition with an execute function`);
    }
    const spec: ToolSpec = {
      action,
      resource: toolOptions.resource as ToolSpec['resource'],
      params: toolOptions.params as ToolSpec['params'],
      risk: toolOptions.risk,
      reasonArgument: binding.options.reasonArgument,
    };
    return guardTool(binding, spec, definition);
  };
  return {
    tool,
    tools: (definitions) => {
      const result: Record<string, unknown> = {};
      for (const [action, definition] of Object.entries(definitions)) {
        result[toolNameFor(action)] = tool(
          action,
          definition as ExecutableDefinition<unknown, unknown, unknown>,
        );
      }
      return result as never;
    },
    toolApproval: createToolApproval(binding),
    approvalResponses: (input) => approvalResponses(binding, input),
  };
}
