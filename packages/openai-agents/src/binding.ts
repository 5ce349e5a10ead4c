// What one set of guarded agent tools shares: the countersign instance, the options, and how a call becomes a guarded action.
import type { Countersign, GuardAction, GuardContext, Risk } from '@countersign/core';
import { toolCallKey } from '@countersign/core';
import type { RunContext } from '@openai/agents';
import type { ResolvedOptions } from './options.js';
import { splitReason } from './reason-schema.js';

/** A guarded tool's action, as `cs.open` takes it. */
export type ActionSpec = Omit<GuardAction<unknown>, 'run'>;

export interface ToolSpec {
  action: string;
  resource: string | null | ((args: Record<string, unknown>) => string | null) | undefined;
  params: ((args: Record<string, unknown>) => Record<string, unknown>) | undefined;
  risk: Risk | undefined;
  reasonArgument: boolean;
}

/** One tool call as countersign sees it: the exact action and the context it runs in. */
export interface PreparedCall {
  args: Record<string, unknown>;
  action: ActionSpec;
  context: GuardContext;
}

export class Binding<TContext> {
  /** The tools guarded here, so an interruption is never matched by name alone. */
  readonly specs = new WeakMap<object, ToolSpec>();

  constructor(
    readonly cs: Countersign,
    readonly options: ResolvedOptions<TContext>,
  ) {}

  specOf(tool: unknown): ToolSpec | null {
    return typeof tool === 'object' && tool !== null ? (this.specs.get(tool) ?? null) : null;
  }

  /** The call's resource, without opening anything (for `needsApproval`). */
  resourceOf(spec: ToolSpec, input: unknown): string | null {
    const split = this.split(spec, input);
    if (split === null) return null;
    const resource = typeof spec.resource === 'function' ? spec.resource(split.args) : spec.resource;
    return resource ?? null;
  }

  /**
   * The action and context for a call, or null when the input is not an object. Throws when
   * the session cannot be read from the run context: without it nothing can be bound.
   */
  prepare(
    spec: ToolSpec,
    input: unknown,
    callId: string | undefined,
    runContext: RunContext<TContext> | undefined,
    signal?: AbortSignal,
  ): PreparedCall | null {
    const split = this.split(spec, input);
    if (split === null) return null;
    const { args } = split;
    const resource = typeof spec.resource === 'function' ? spec.resource(args) : spec.resource;
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
        sessionId: this.sessionOf(runContext),
        reason: split.reason?.trim() ? split.reason : this.options.defaultReason,
        idempotencyKey: callId === undefined ? null : toolCallKey(callId),
        wait: this.options.wait,
        signal,
      },
    };
  }

  private sessionOf(runContext: RunContext<TContext> | undefined): string {
    const { sessionId } = this.options;
    if (typeof sessionId === 'string') return sessionId;
    if (runContext === undefined) {
      throw new TypeError(
        '[countersign] [openai-agents] the session comes from the run context, and there is none',
      );
    }
    return sessionId(runContext);
  }

  private split(spec: ToolSpec, input: unknown) {
    if (spec.reasonArgument) return splitReason(input);
    return typeof input === 'object' && input !== null && !Array.isArray(input)
      ? { reason: undefined, args: input as Record<string, unknown> }
      : null;
  }
}
