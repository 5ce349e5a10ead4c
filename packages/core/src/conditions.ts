// Policy conditions: CEL `when` expressions, type-checked at creation and evaluated with bounded cost.
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import type { JsonObject, JsonValue } from './canonical-json.js';
import { ConfigError } from './errors.js';
import { scrubText } from './redact.js';

/** Longest `when` expression accepted, in characters. */
export const MAX_CONDITION_LENGTH = 2_000;

/**
 * Structural limits checked when a condition is parsed. With at most one comprehension
 * (`exists`, `all`, `map`, ...) on any path, evaluation is linear in the size of the call's params,
 * which `maxParamsBytes` bounds: a condition cannot loop or take quadratic time.
 */
const LIMITS = {
  maxAstNodes: 256,
  maxDepth: 24,
  maxListElements: 64,
  maxMapEntries: 64,
  maxCallArguments: 8,
};
const MAX_COMPREHENSION_NESTING = 1;
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** The call a condition sees. Params are the originals (before redaction), passed as data. */
export interface ConditionCall {
  params: JsonObject;
  onBehalfOf: string | null;
  /** The risk the action declared, else `'medium'`. */
  risk: string;
  sessionId: string;
  /** The instant of the decision, milliseconds since the epoch. */
  now: number;
}

/** The subject members a condition reads besides the call. */
export interface ConditionSubject {
  resource: string | null;
  actor: string;
}

const environment = new Environment({ limits: LIMITS })
  .registerVariable('params', 'map')
  .registerVariable('resource', 'dyn')
  .registerVariable('actor', 'string')
  .registerVariable('onBehalfOf', 'dyn')
  .registerVariable('risk', 'string')
  .registerVariable('sessionId', 'string')
  .registerVariable('now', 'google.protobuf.Timestamp');

/** A parsed, type-checked `when` condition. */
export class Condition {
  private constructor(
    readonly expression: string,
    private readonly evaluate: ParseResult,
  ) {}

  /**
   * Parses and type-checks `expression`; a syntax error, an unknown variable, a non-boolean result
   * or an expression past the limits is a ConfigError naming `where` and the expression.
   */
  static compile(where: string, expression: string): Condition {
    const fail = (problem: string): never => {
      throw new ConfigError(`${where}: invalid condition ${JSON.stringify(expression)}: ${problem}`);
    };
    if (expression.trim().length === 0) fail('it is empty');
    if (expression.length > MAX_CONDITION_LENGTH)
      fail(`it is longer than ${MAX_CONDITION_LENGTH} characters`);
    let parsed: ParseResult | undefined;
    try {
      parsed = environment.parse(expression);
    } catch (error) {
      fail(firstLine(error));
    }
    const checked = parsed!.check();
    if (!checked.valid) fail(firstLine(checked.error));
    if (checked.type !== 'bool') fail(`it must yield a bool, not ${checked.type}`);
    if (comprehensionNesting(parsed!.ast) > MAX_COMPREHENSION_NESTING) {
      fail('comprehensions (all, exists, map, filter) must not be nested');
    }
    return new Condition(expression, parsed!);
  }

  /** Whether the condition holds for the call. Throws when evaluation fails (a missing key, a bad type). */
  holds(subject: ConditionSubject, call: ConditionCall, params: Record<string, unknown>): boolean {
    const result: unknown = this.evaluate({
      params,
      resource: subject.resource,
      actor: subject.actor,
      onBehalfOf: call.onBehalfOf,
      risk: call.risk,
      sessionId: call.sessionId,
      now: new Date(call.now),
    });
    if (typeof result !== 'boolean') throw new Error(`the condition yielded ${typeof result}, not a bool`);
    return result;
  }
}

/**
 * JSON params as CEL values. CEL integers are bigint in this library, so a JSON number that is a
 * safe integer becomes an `int` (`params.rows > 10000` compares ints); any other number a `double`.
 * Only data is passed: nothing from params is ever part of an expression.
 */
export function celParams(params: JsonObject): Record<string, unknown> {
  return celValue(params) as Record<string, unknown>;
}

function celValue(value: JsonValue): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(celValue);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = celValue(value[key] as JsonValue);
  return copy;
}

/** What the audit says about the condition that decided a call, if one did. */
export function conditionDetail(decision: {
  when?: string | undefined;
  conditionError?: string | undefined;
}) {
  if (decision.when === undefined) return null;
  const when = JSON.stringify(decision.when).slice(0, 300);
  if (decision.conditionError === undefined) return `condition held: ${when}`;
  return scrubText(`condition failed, fails closed: ${when}: ${decision.conditionError}`).slice(0, 1000);
}

function comprehensionNesting(node: unknown): number {
  if (Array.isArray(node)) return Math.max(0, ...node.map(comprehensionNesting));
  if (typeof node !== 'object' || node === null || !('op' in node) || !('args' in node)) return 0;
  const { op, args } = node as { op: unknown; args: unknown };
  const inner = comprehensionNesting(args);
  const isComprehension =
    (op === 'rcall' || op === 'call') && Array.isArray(args) && COMPREHENSIONS.has(args[0] as string);
  return isComprehension ? inner + 1 : inner;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
