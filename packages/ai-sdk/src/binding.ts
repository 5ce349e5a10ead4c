// What one set of guarded tools shares: the countersign instance, the options, and how a tool call becomes a guarded action.
import type { Countersign, GuardAction, GuardContext, Risk } from '@countersign/core';
import { toolCallKey } from '@countersign/core';
import type { GuardToolOptions, ResolvedOptions } from './options.js';
import { splitReason } from './reason-schema.js';

/** A guarded tool's action, as `cs.open` and `cs.check` take it. */
export type ActionSpec = Omit<GuardAction<unknown>, 'run'>;

export interface ToolSpec {
  action: string;
  resource: GuardToolOptions<Record<string, unknown>>['resource'];
  params: GuardToolOptions<Record<string, unknown>>['params'];
  risk: Risk | undefined;
  reasonArgument: boolean;
}

/** One tool call as countersign sees it: the exact action and the context it runs in. */
export interface PreparedCall {
  args: Record<string, unknown>;
  action: ActionSpec;
  context: GuardContext;
}

export class Binding {
  /** The tools these options guarded, so `toolApproval` never trusts a name alone. */
  readonly specs = new WeakMap<object, ToolSpec>();

  constructor(
    readonly cs: Countersign,
    readonly options: ResolvedOptions,
  ) {}

  /** The spec of a tool guarded here, or null. */
  specOf(tool: unknown): ToolSpec | null {
    return typeof tool === 'object' && tool !== null ? (this.specs.get(tool) ?? null) : null;
  }

  /**
   * The action and context for a call with this input, or null when the input is not an object
   * (the schema rejects such input before any of this runs).
   */
  prepare(spec: ToolSpec, input: unknown, toolCallId: string, signal?: AbortSignal): PreparedCall | null {
    const split = spec.reasonArgument
      ? splitReason(input, 'reason')
      : isRecord(input)
        ? { reason: undefined, args: input }
        : null;
    if (split === null) return null;
    const { args } = split;
    const resource = typeof spec.resource === 'function' ? spec.resource(args) : spec.resource;
    const reason = split.reason?.trim() ? split.reason : this.options.defaultReason;
    return {
      args,
      action: {
        name: spec.action,
        resource: resource ?? null,
        params: spec.params ? spec.params(args) : args,
        risk: spec.risk,
      },
      context: {
        actor: this.options.actor,
        onBehalfOf: this.options.onBehalfOf,
        sessionId: this.options.sessionId,
        reason,
        idempotencyKey: toolCallKey(toolCallId),
        wait: this.options.wait,
        signal,
      },
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
