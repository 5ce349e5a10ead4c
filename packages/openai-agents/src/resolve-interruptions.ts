// Turns a run's interruptions into countersign requests, and countersign's decisions into state.approve / state.reject.
import { describeOutcome, isCountersignError, type OpenResult } from '@countersign/core';
import type { RunContext, RunToolApprovalItem } from '@openai/agents';
import type { Binding } from './binding.js';
import { PARSE_ONLY } from './guarded-tool.js';

/** The part of a `RunState` this reads and changes. */
export interface InterruptedState {
  getInterruptions(): RunToolApprovalItem[];
  approve(item: RunToolApprovalItem): void;
  reject(item: RunToolApprovalItem, options: { message: string }): void;
}

/** A run's result, or a `RunState` restored with `RunState.fromString`. */
export type InterruptedRun<TContext> =
  | { state: InterruptedState; runContext: RunContext<TContext> }
  | (InterruptedState & { _context: RunContext<TContext> });

export interface ResolveOptions {
  /** Wait for people to decide requests still pending (default `false`). */
  wait?: boolean | undefined;
  /** Stops waiting; the requests stay pending. */
  signal?: AbortSignal | undefined;
}

export interface ResolvedInterruptions {
  /** Approved in countersign: `state.approve` was called. */
  approved: RunToolApprovalItem[];
  /** Denied, expired, cancelled, already used or invalid: `state.reject` was called with what the model should read. */
  rejected: RunToolApprovalItem[];
  /** Still waiting for people; call again later (any process, same store) with the serialised state. */
  pending: { item: RunToolApprovalItem; requestId: string; expiresAt: number }[];
  /** Interruptions of tools these options did not guard; left for you to decide. */
  unhandled: RunToolApprovalItem[];
}

const INVALID: OpenResult = {
  status: 'denied',
  code: 'invalid_input',
  reason: 'invalid arguments',
  ruleId: null,
  requestId: null,
  comment: null,
};

/**
 * For each interruption of a guarded tool: opens (or finds again, by the call's idempotency key)
 * its countersign request, delivered to approvers, and applies what people decided. Approving here
 * only lets the SDK call the tool; the tool still runs only with countersign's grant for the exact
 * call. Resume with `run(agent, state)` once nothing is pending.
 */
export async function resolveInterruptions<TContext>(
  binding: Binding<TContext>,
  run: InterruptedRun<TContext>,
  options: ResolveOptions = {},
): Promise<ResolvedInterruptions> {
  const state = 'state' in run ? run.state : run;
  const runContext = 'state' in run ? run.runContext : run._context;
  const resolved: ResolvedInterruptions = { approved: [], rejected: [], pending: [], unhandled: [] };
  for (const item of state.getInterruptions()) {
    const found = guardedToolOf(binding, item);
    if (found === null) {
      resolved.unhandled.push(item);
      continue;
    }
    const callId = 'callId' in item.rawItem ? String(item.rawItem.callId) : undefined;
    let opened: OpenResult;
    try {
      const input = await parsedInput(found.tool, runContext, item.arguments ?? '');
      const call = input === undefined ? null : binding.prepare(found.spec, input, callId, runContext);
      opened = call === null ? INVALID : await binding.cs.open(call.action, call.context);
      if (call !== null && opened.status === 'pending' && options.wait) {
        await binding.cs.waitForDecision(opened.requestId, { signal: options.signal });
        opened = await binding.cs.open(call.action, call.context);
      }
    } catch (error) {
      // Fail closed. An error of ours says what failed; any other came from the tool's own
      // resource, params or session functions, which could not make sense of the arguments.
      state.reject(item, { message: describeOutcome(isCountersignError(error) ? error : INVALID).text });
      resolved.rejected.push(item);
      continue;
    }
    if (opened.status === 'pending') {
      resolved.pending.push({ item, requestId: opened.requestId, expiresAt: opened.expiresAt });
    } else if (opened.status === 'approved' || opened.status === 'allowed') {
      state.approve(item);
      resolved.approved.push(item);
    } else {
      state.reject(item, { message: describeOutcome(opened).text });
      resolved.rejected.push(item);
    }
  }
  return resolved;
}

interface InvokableTool {
  name: string;
  invoke: (runContext: RunContext<never>, input: string, details?: object) => Promise<unknown>;
}

function guardedToolOf<TContext>(binding: Binding<TContext>, item: RunToolApprovalItem) {
  const tools: unknown[] = Array.isArray(item.agent?.tools) ? item.agent.tools : [];
  for (const tool of tools) {
    const spec = binding.specOf(tool);
    if (spec !== null && (tool as InvokableTool).name === item.name)
      return { tool: tool as InvokableTool, spec };
  }
  return null;
}

/**
 * The input exactly as the SDK parses it for `execute` (schema, strict-mode nulls and all), got by
 * invoking the tool in parse-only mode: the guarded execute hands the input back and runs nothing.
 * Undefined when the SDK rejects the arguments.
 */
async function parsedInput(
  tool: InvokableTool,
  runContext: RunContext<unknown>,
  args: string,
): Promise<unknown> {
  let parsed: { input: unknown } | undefined;
  await tool.invoke(runContext as RunContext<never>, args, {
    [PARSE_ONLY]: (input: unknown) => {
      parsed = { input };
    },
  });
  return parsed?.input;
}
