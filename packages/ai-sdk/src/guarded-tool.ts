// A tool definition made into a guarded tool: its execute runs only through cs.guard, with the exact arguments.
import { isCountersignError, type OpenResult } from '@countersign/core';
import type { Tool, ToolExecuteFunction, ToolExecutionOptions } from 'ai';
import type { Binding, PreparedCall, ToolSpec } from './binding.js';
import { withReason } from './reason-schema.js';
import { ToolCallRefusedError } from './tool-call-refused.js';

/** The optional argument every guarded tool gains (unless `reasonArgument: false`). */
export interface ReasonArgument {
  /** Why the model makes this call; shown to approvers as unverified, never part of the approved arguments. */
  reason?: string | undefined;
}

/** A tool whose `execute` exists and goes through countersign. */
export type GuardedTool<INPUT, OUTPUT, CONTEXT = unknown> = {
  execute: (input: INPUT & ReasonArgument, options: ToolExecutionOptions<CONTEXT>) => Promise<OUTPUT>;
} & Tool<INPUT & ReasonArgument, OUTPUT, CONTEXT>;

/** What `guard.tool()` accepts: any AI SDK tool with an `execute`, e.g. the result of `tool({...})`. */
export type ExecutableDefinition<INPUT, OUTPUT, CONTEXT = unknown> = Tool<INPUT, OUTPUT, CONTEXT> & {
  execute: ToolExecuteFunction<INPUT, OUTPUT, CONTEXT>;
};

const INVALID_INPUT: OpenResult = {
  status: 'denied',
  code: 'invalid_input',
  reason: 'invalid arguments',
  ruleId: null,
  requestId: null,
  comment: null,
};

export function guardTool<INPUT, OUTPUT, CONTEXT>(
  binding: Binding,
  spec: ToolSpec,
  definition: ExecutableDefinition<INPUT, OUTPUT, CONTEXT>,
): GuardedTool<INPUT, OUTPUT, CONTEXT> {
  const original = definition.execute;
  const execute = async (
    input: INPUT & ReasonArgument,
    options: ToolExecutionOptions<CONTEXT>,
  ): Promise<OUTPUT> => {
    let call: PreparedCall | null;
    try {
      call = binding.prepare(spec, input, options.toolCallId, options.abortSignal);
    } catch {
      call = null;
    }
    // Input that is not an object, or that the resource or params function rejects: nothing runs.
    if (call === null) throw new ToolCallRefusedError(INVALID_INPUT);
    try {
      return await binding.cs.guard(
        {
          ...call.action,
          // Only the arguments that were approved reach the tool, and its signal is the grant's.
          run: (grant) => settle(original(call.args as INPUT, { ...options, abortSignal: grant.signal })),
        },
        call.context,
      );
    } catch (error) {
      if (isCountersignError(error)) throw new ToolCallRefusedError(error);
      throw error;
    }
  };
  const inputSchema = spec.reasonArgument
    ? withReason(definition.inputSchema, 'reason')
    : definition.inputSchema;
  const guarded = { ...definition, inputSchema, execute };
  binding.specs.set(guarded, spec);
  return guarded as unknown as GuardedTool<INPUT, OUTPUT, CONTEXT>;
}

/**
 * The tool's final output. A streaming execute is drained while the grant is live, because the
 * grant is revoked the moment `run` settles; its preliminary outputs are not passed on.
 */
async function settle<OUTPUT>(result: AsyncIterable<OUTPUT> | PromiseLike<OUTPUT> | OUTPUT): Promise<OUTPUT> {
  if (typeof result === 'object' && result !== null && Symbol.asyncIterator in result) {
    let last: OUTPUT | undefined;
    for await (const value of result as AsyncIterable<OUTPUT>) last = value;
    return last as OUTPUT;
  }
  return await result;
}
