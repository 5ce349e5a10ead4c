// Policy conditions: CEL `when` expressions, type-checked at creation and evaluated with bounded cost.
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import type { JsonObject, JsonValue } from '../lib/canonical-json.js';
import { ConfigError } from '../lib/errors.js';
import { scrubText } from '../lib/redact.js';
import { MAX_CONDITION_LENGTH } from '../model/rule.js';
import type { CelNode } from './cel-nodes.js';
import { CostMeter, DEFAULT_MAX_CONDITION_COST, meterEvaluation, quadraticShape } from './condition-cost.js';
import { ConditionFault, describeFailure } from './condition-errors.js';
import { useRe2 } from './condition-regex.js';

/**
 * Structural limits checked when a condition is parsed. With at most one comprehension
 * (`exists`, `all`, `map`, ...) on any path and no comprehension over the call's data that scans
 * other data of the call per element (`quadraticShape`), evaluation is linear in the size of the
 * call's params, which `maxParamsBytes` bounds; the cost budget (`maxConditionCost`) stops any
 * evaluation that still runs long.
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

const VARIABLES = {
  params: 'map',
  resource: 'dyn',
  actor: 'string',
  onBehalfOf: 'dyn',
  risk: 'string',
  sessionId: 'string',
  now: 'google.protobuf.Timestamp',
} as const;
const VARIABLE_NAMES: ReadonlySet<string> = new Set(Object.keys(VARIABLES));

const environment = new Environment({ limits: LIMITS });
for (const [name, type] of Object.entries(VARIABLES)) environment.registerVariable(name, type);

/** A parsed, type-checked `when` condition. */
export class Condition {
  private constructor(
    readonly expression: string,
    private readonly evaluate: ParseResult,
    private readonly meter: CostMeter,
  ) {}

  /**
   * Parses and type-checks `expression`; a syntax error, an unknown variable, a non-boolean result,
   * an expression past the limits, a `matches()` pattern that is not RE2 or a comprehension whose
   * cost is quadratic in the params is a ConfigError naming `where` and the expression.
   * Each evaluation may spend `maxCost` units (see `CostMeter`).
   */
  static compile(where: string, expression: string, maxCost = DEFAULT_MAX_CONDITION_COST): Condition {
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
    const root = parsed!.ast as CelNode;
    const quadratic = quadraticShape(root, VARIABLE_NAMES);
    if (quadratic !== null) fail(quadratic);
    const meter = new CostMeter(maxCost);
    const pattern = useRe2(root, meter);
    if (pattern !== null) fail(pattern);
    meterEvaluation(root, meter);
    return new Condition(expression, parsed!, meter);
  }

  /** The cost of the last evaluation, in the units of `maxConditionCost`. */
  get lastCost(): number {
    return this.meter.spent;
  }

  /**
   * Whether the condition holds for the call. Throws a ConditionFault when evaluation fails (a
   * missing key, a bad type, the cost budget spent), whose message holds no value of the call.
   */
  holds(subject: ConditionSubject, call: ConditionCall, params: Record<string, unknown>): boolean {
    this.meter.reset();
    let result: unknown;
    try {
      result = this.evaluate({
        params,
        resource: subject.resource,
        actor: subject.actor,
        onBehalfOf: call.onBehalfOf,
        risk: call.risk,
        sessionId: call.sessionId,
        now: new Date(call.now),
      });
    } catch (error) {
      // A spent budget wins over whatever error it surfaced as (a quantifier may keep an earlier one).
      if (this.meter.remaining < 0) throw this.meter.exceeded();
      throw new ConditionFault(describeFailure(error));
    }
    // `||` and `&&` absorb an operand's error when the other decides: never past a spent budget.
    if (this.meter.remaining < 0) throw this.meter.exceeded();
    if (typeof result !== 'boolean')
      throw new ConditionFault(`the condition yielded ${typeof result}, not a bool`);
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
