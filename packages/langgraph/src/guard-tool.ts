// guardTool(): a LangChain tool whose every call goes through countersign, pausing the graph with interrupt() while approval is pending.
import {
  type ApprovalPendingError,
  ConfigError,
  type Countersign,
  describeOutcome,
  isCountersignError,
  type Risk,
} from '@countersign/core';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  type DynamicStructuredTool,
  tool as makeTool,
  type StructuredToolInterface,
} from '@langchain/core/tools';
import { type JSONSchema, toJsonSchema } from '@langchain/core/utils/json_schema';
import { interrupt } from '@langchain/langgraph';
import { actionFromToolName } from './action-name.js';
import type { ApprovalInterrupt } from './approval-interrupt.js';
import { refusalMessage } from './refusal-message.js';

type Args = Record<string, unknown>;
type FromConfig = (config: RunnableConfig) => string | null | undefined;

export interface GuardToolOptions {
  /** The agent identity, e.g. `'agent:report-bot'`, or read from the run's config. */
  actor: string | FromConfig;
  /** The person the agent acts for; they cannot approve. */
  onBehalfOf?: string | FromConfig | undefined;
  /** The action the policy matches. Default: the tool name with each `__` as `.` (`db__export` → `db.export`). */
  action?: string | undefined;
  /** What the call touches, fixed or computed from the arguments (without the reason). */
  resource?: string | ((args: Args) => string | null) | undefined;
  risk?: Risk | undefined;
  /**
   * Name of the optional argument added to the tool's schema for the model's reason; shown to
   * approvers, never part of the fingerprinted params. `false` adds none. Default `'reason'`.
   */
  reasonArgument?: string | false | undefined;
  /** The reason recorded when the model gives none. Default: `LangGraph tool call "<tool>"`. */
  defaultReason?: string | undefined;
  /** Grants and idempotency keys are bound to it. Default: the run's `configurable.thread_id`. */
  sessionId?: FromConfig | undefined;
}

const OPTION_KEYS = new Set([
  'actor',
  'onBehalfOf',
  'action',
  'resource',
  'risk',
  'reasonArgument',
  'defaultReason',
  'sessionId',
]);
const REASON_MAX = 2000;

/**
 * Wraps a structured tool for use in a `ToolNode`. Each call is guarded with the idempotency key
 * of its tool-call id within the thread: while its request is pending the tool raises
 * `interrupt()` (an {@link ApprovalInterrupt}); LangGraph re-runs the node on
 * `Command({ resume })`, the call re-attaches to the same request, and the wrapped tool runs once
 * the request is approved, at most once. The resume value is never trusted: only countersign's
 * record decides. Refusals are error ToolMessages with `describeOutcome`'s text.
 */
export function guardTool(
  cs: Countersign,
  tool: StructuredToolInterface,
  options: GuardToolOptions,
): DynamicStructuredTool {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new ConfigError(`[langgraph] unknown guardTool option "${key}"`);
  }
  if (typeof options.actor !== 'string' && typeof options.actor !== 'function') {
    throw new ConfigError('[langgraph] guardTool needs an actor');
  }
  const reasonArgument = options.reasonArgument ?? 'reason';
  const actionName = options.action ?? actionFromToolName(tool.name);

  return makeTool(
    async (input: Args, config: RunnableConfig): Promise<unknown> => {
      let given: unknown;
      let params = input;
      if (reasonArgument !== false) {
        const { [reasonArgument]: reason, ...rest } = input;
        given = reason;
        params = rest;
      }
      const toolCallId = toolCallIdOf(config);
      const sessionId = options.sessionId?.(config) ?? threadIdOf(config);
      if (toolCallId === null || sessionId === null) {
        throw new ConfigError(
          '[langgraph] a guarded tool needs a tool call id and a thread id: run it from a ToolNode in a graph compiled with a checkpointer, invoked with configurable.thread_id',
        );
      }
      const actor = resolve(options.actor, config);
      if (actor === null) throw new ConfigError('[langgraph] guardTool could not resolve the actor');
      const resource = options.resource;
      const action = {
        name: actionName,
        resource: typeof resource === 'function' ? resource(params) : (resource ?? null),
        params,
        risk: options.risk,
        // With the tool call in its config, the wrapped tool answers with its own ToolMessage.
        run: () => tool.invoke(params, config),
      };
      const context = {
        actor,
        onBehalfOf: resolve(options.onBehalfOf, config),
        reason:
          typeof given === 'string' && given.trim() !== ''
            ? given
            : (options.defaultReason ?? `LangGraph tool call "${tool.name}"`),
        sessionId,
        idempotencyKey: `langgraph:${toolCallId}`,
        wait: false,
        signal: config.signal,
      };
      // Each pass either runs, refuses, or interrupts; a resume value only starts the next pass.
      for (;;) {
        let pending: ApprovalPendingError;
        try {
          return await cs.guard(action, context);
        } catch (error) {
          if (!isCountersignError(error)) throw error;
          if (!isCountersignError(error, 'approval_pending')) {
            return refusalMessage(describeOutcome(error), tool.name, toolCallId);
          }
          pending = error as ApprovalPendingError;
        }
        const value: ApprovalInterrupt = {
          type: 'countersign.approval_pending',
          requestId: pending.requestId,
          expiresAt: pending.expiresAt,
          action: actionName,
          tool: tool.name,
          toolCallId,
          message: describeOutcome(pending).message,
        };
        interrupt(value);
      }
    },
    {
      name: tool.name,
      description: tool.description,
      schema: schemaWithReason(tool, reasonArgument),
    },
  ) as DynamicStructuredTool;
}

function schemaWithReason(tool: StructuredToolInterface, reasonArgument: string | false): JSONSchema {
  const schema = toJsonSchema(tool.schema) as JSONSchema & {
    type?: unknown;
    properties?: Record<string, unknown>;
  };
  if (schema.type !== 'object') {
    throw new ConfigError(`[langgraph] tool "${tool.name}" must take an object of arguments to be guarded`);
  }
  if (reasonArgument === false) return schema;
  if (schema.properties && reasonArgument in schema.properties) {
    throw new ConfigError(
      `[langgraph] tool "${tool.name}" already has an argument "${reasonArgument}"; pass another reasonArgument, or false`,
    );
  }
  return {
    ...schema,
    properties: {
      ...schema.properties,
      [reasonArgument]: {
        type: 'string',
        maxLength: REASON_MAX,
        description: 'Why this call is needed, in one sentence. Shown to the person who approves it.',
      },
    },
  } as JSONSchema;
}

function resolve(source: string | FromConfig | undefined, config: RunnableConfig): string | null {
  if (source === undefined) return null;
  return (typeof source === 'string' ? source : source(config)) ?? null;
}

function toolCallIdOf(config: RunnableConfig): string | null {
  const { toolCall, toolCallId } = config as RunnableConfig & {
    toolCall?: { id?: unknown };
    toolCallId?: unknown;
  };
  const id = toolCall?.id ?? toolCallId;
  return typeof id === 'string' && id !== '' ? id : null;
}

function threadIdOf(config: RunnableConfig): string | null {
  const id = config.configurable?.thread_id;
  return typeof id === 'string' && id !== '' ? id : null;
}
