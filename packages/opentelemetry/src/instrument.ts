// instrument(): a Countersign whose guards are traced and whose events feed OpenTelemetry metrics.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AUDIT_TYPES,
  type Countersign,
  type CountersignEvent,
  type CountersignEventMap,
  type CountersignEventName,
  type DecisionInput,
  type DecisionResult,
  type Grant,
  type GuardAction,
  type GuardContext,
  isCountersignError,
  type WrapSpec,
} from '@countersign/core';
import type { MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import { Instruments } from './metrics.js';
import { Attr, GUARD_SPAN } from './names.js';
import { otelApi } from './otel-api.js';

export interface InstrumentOptions {
  /** Default: the globally registered provider (a no-op until the application registers an SDK). */
  tracerProvider?: TracerProvider | undefined;
  /** Default: the globally registered provider (a no-op until the application registers an SDK). */
  meterProvider?: MeterProvider | undefined;
}

const SCOPE = '@countersign/opentelemetry';
const VERSION = '0.1.0';
/** `SpanKind.INTERNAL` and `SpanStatusCode.ERROR`, as numbers: the API is an optional peer, loaded lazily. */
const INTERNAL = 0;
const ERROR = 2;
/** Refusals `decide()` throws without an audit entry; self-approval and ineligibility arrive as `refused` events. */
const REFUSED_DECISIONS = new Set(['already_voted', 'already_decided']);
const DECISION_OUTCOMES = new Set(['allowed', 'policy_denied', 'approved', 'denied', 'expired', 'cancelled']);

/** What one traced guard call knows while it runs. */
interface GuardTrace {
  span: Span;
  requestId: string | null;
  decided: boolean;
}

/**
 * Returns `cs` with telemetry: a `countersign.guard` span per `guard` (and `wrap`) call with an event
 * per audited step, and five metrics fed by `cs` events. Use the returned object in place of `cs`;
 * `close()` detaches and closes `cs`. Without `@opentelemetry/api` installed, returns `cs` itself.
 */
export function instrument(cs: Countersign, options: InstrumentOptions = {}): Countersign {
  const api = otelApi();
  if (api === null) return cs;
  const tracer = (options.tracerProvider ?? api.trace.getTracerProvider()).getTracer(SCOPE, VERSION);
  const instruments = new Instruments(
    (options.meterProvider ?? api.metrics.getMeterProvider()).getMeter(SCOPE, VERSION),
  );
  const current = new AsyncLocalStorage<GuardTrace>();
  const byRequest = new Map<string, GuardTrace>();

  const onEvent = (event: CountersignEvent) => {
    instruments.record(event);
    const requestId = event.entry.requestId;
    const traced = (requestId === null ? undefined : byRequest.get(requestId)) ?? current.getStore();
    if (traced === undefined) return;
    annotate(traced, event);
    if (event.type === 'requested' && requestId !== null) {
      traced.requestId = requestId;
      byRequest.set(requestId, traced);
    }
  };
  for (const type of AUDIT_TYPES) cs.on(type, onEvent);

  const guard = <T>(action: GuardAction<T>, context: GuardContext): Promise<T> => {
    // Input core will reject goes to core untouched, so it fails exactly as it would uninstrumented.
    if (!isPlainCall(action, context)) return cs.guard(action, context);
    const span = tracer.startSpan(GUARD_SPAN, {
      kind: INTERNAL,
      attributes: {
        [Attr.ToolName]: action.name,
        ...(typeof action.resource === 'string' ? { [Attr.Resource]: action.resource } : {}),
        [Attr.Actor]: context.actor,
      },
    });
    if (!span.isRecording()) return cs.guard(action, context);
    const traced: GuardTrace = { span, requestId: null, decided: false };
    const run = (grant: Grant) =>
      api.context.with(api.trace.setSpan(api.context.active(), span), () => action.run(grant));
    return current
      .run(traced, () => cs.guard({ ...action, run }, context))
      .then(
        (value) => {
          finish(traced, null);
          return value;
        },
        (error: unknown) => {
          finish(traced, error);
          throw error;
        },
      );
  };

  const finish = (traced: GuardTrace, error: unknown) => {
    if (traced.requestId !== null) byRequest.delete(traced.requestId);
    if (error !== null) {
      const type = isCountersignError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
      traced.span.setAttribute(Attr.ErrorType, type);
      traced.span.setStatus({ code: ERROR, message: type });
    }
    traced.span.end();
  };

  const overrides: Partial<Countersign> = {
    guard,
    wrap<I, T>(spec: WrapSpec<I>, fn: (input: I, grant: Grant) => T | Promise<T>) {
      return (input: I, context: GuardContext) =>
        guard(
          {
            name: spec.name,
            resource: typeof spec.resource === 'function' ? spec.resource(input) : spec.resource,
            params: spec.params ? spec.params(input) : (input as Record<string, unknown>),
            risk: spec.risk,
            run: (grant) => fn(input, grant),
          },
          context,
        );
    },
    async decide(requestId: string, decision: DecisionInput): Promise<DecisionResult> {
      try {
        return await cs.decide(requestId, decision);
      } catch (error) {
        if (isCountersignError(error) && REFUSED_DECISIONS.has(error.code))
          instruments.refusedDecision(error.code);
        throw error;
      }
    },
    on<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void) {
      cs.on(event, listener);
      return instrumented;
    },
    once<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void) {
      cs.once(event, listener);
      return instrumented;
    },
    off<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void) {
      cs.off(event, listener);
      return instrumented;
    },
    async close() {
      for (const type of AUDIT_TYPES) cs.off(type, onEvent);
      await cs.close();
    },
  };
  // Everything not traced passes straight to `cs`, bound to it, so methods core adds later keep working.
  const instrumented: Countersign = new Proxy(cs, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Countersign];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return instrumented;
}

function isPlainCall(action: unknown, context: unknown): action is GuardAction<unknown> {
  if (typeof action !== 'object' || action === null || typeof context !== 'object' || context === null)
    return false;
  const { name, run } = action as Partial<GuardAction<unknown>>;
  return (
    typeof name === 'string' &&
    typeof run === 'function' &&
    typeof (context as GuardContext).actor === 'string'
  );
}

/** Adds the step as a span event, and what it tells about the call as span attributes. */
function annotate(traced: GuardTrace, { type, entry, request }: CountersignEvent): void {
  const { span } = traced;
  span.addEvent(type, {
    ...(entry.approver === null ? {} : { [Attr.Approver]: entry.approver }),
    ...(entry.via === null ? {} : { [Attr.Via]: entry.via }),
    ...(entry.grantId === null ? {} : { [Attr.GrantId]: entry.grantId }),
    // No `consumed` event for a consumption through this process: the entry that ends the grant records it.
    ...(entry.consumedAt === null ? {} : { [Attr.ConsumedAt]: entry.consumedAt }),
  });
  if (entry.ruleId !== null) span.setAttribute(Attr.Rule, entry.ruleId);
  if (type === 'requested' && request !== null) {
    span.setAttribute(Attr.RequestId, request.id);
    span.setAttribute(Attr.Quorum, request.quorum);
  }
  if (!traced.decided && DECISION_OUTCOMES.has(type)) {
    traced.decided = true;
    span.setAttribute(Attr.Outcome, type);
    if (request !== null && type !== 'allowed' && type !== 'policy_denied') {
      span.setAttribute(Attr.WaitMs, Math.max(0, entry.at - request.createdAt));
    }
  }
}
