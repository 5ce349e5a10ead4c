// A condition's cost: a budget counted during evaluation, and the quadratic shapes refused at load.
import { allNodes, type CelNode, type Comprehension, childrenOf, hookEvaluation } from './cel-nodes.js';
import { ConditionFault } from './condition-errors.js';

/**
 * Default budget of one evaluation, in cost units: a node evaluated is 1 (each element a
 * comprehension visits evaluates its body's nodes), a value an operator or function traverses adds
 * its size (see `sizeCost`), `matches()` adds its text times its pattern. 15–120 ns a unit on the
 * bench machine, so an evaluation stops within about 0.1 s; any linear condition over 64 KiB of
 * params fits.
 */
export const DEFAULT_MAX_CONDITION_COST = 1_000_000;

/** Characters of a string (or bytes) that count as one unit when traversed, as cel-go's 0.1 factor. */
const CHARS_PER_UNIT = 10;

/** Counts one evaluation's cost; throws once it passes the limit, and on every charge after. */
export class CostMeter {
  spent = 0;
  /** Thrown again on every charge past the limit: a quantifier keeps going after an error, and a new error's stack costs microseconds. */
  private failure: ConditionFault | null = null;
  constructor(readonly limit: number) {}

  /** Starts an evaluation: a condition's evaluations are synchronous, so one meter serves them all. */
  reset(): void {
    this.spent = 0;
    this.failure = null;
  }

  charge(units: number): void {
    this.spent += units;
    if (this.spent > this.limit) throw this.exceeded();
  }

  /** What is left before the limit, for costs counted piece by piece. */
  get remaining(): number {
    return this.limit - this.spent;
  }

  exceeded(): ConditionFault {
    this.failure ??= new ConditionFault(
      `cost limit exceeded: evaluation passed ${this.limit} units (maxConditionCost); stopped, fails closed`,
    );
    return this.failure;
  }
}

/** How an operand's value is charged when its parent traverses it. */
type Traversal = 'deep' | 'member' | 'text';

/**
 * The cost of traversing `value`, counted no further than `cap`: a string's length / 10, a
 * list's or map's elements and everything inside them, 1 for a scalar. `'member'` charges 1 for a
 * map (`in` looks a key up) and `'text'` only strings (`size()` of a list is immediate).
 */
export function sizeCost(value: unknown, how: Traversal, cap: number): number {
  if (typeof value !== 'object' || value === null) return scalarCost(value);
  if (how === 'text' || (how === 'member' && !Array.isArray(value))) return 1;
  let total = 0;
  const containers: object[] = [value];
  const add = (item: unknown): void => {
    if (typeof item === 'object' && item !== null) containers.push(item);
    else total += scalarCost(item);
  };
  while (containers.length > 0 && total <= cap) {
    const item = containers.pop()!;
    total += 1;
    if (Array.isArray(item)) for (let i = 0; i < item.length && total <= cap; i++) add(item[i]);
    else if (item instanceof Uint8Array) total += Math.floor(item.length / CHARS_PER_UNIT);
    else if (item instanceof Map) {
      for (const [key, element] of item) {
        add(key);
        add(element);
      }
    } else if (Object.getPrototypeOf(item) === Object.prototype) {
      for (const key of Object.keys(item)) {
        add(key);
        add((item as Record<string, unknown>)[key]);
      }
    }
  }
  return total;
}

function scalarCost(value: unknown): number {
  return typeof value === 'string' ? 1 + Math.floor(value.length / CHARS_PER_UNIT) : 1;
}

const TRAVERSING_OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=', '+']);
const IMMEDIATE = new Set(['has', 'dyn', 'type']);

/** How `parent` traverses its operand `child`, or null when it only passes it on (fields, `&&`, `?:`). */
function traversal(parent: CelNode, child: CelNode): Traversal | null {
  const { op, args } = parent as { op: string; args: unknown };
  if (op === 'in') return (args as CelNode[])[1] === child ? 'member' : 'deep';
  if (TRAVERSING_OPERATORS.has(op)) return 'deep';
  if (
    (op === 'call' || op === 'rcall') &&
    parent.meta.alternate === undefined &&
    parent.meta.macro === undefined
  ) {
    const name = (args as [string])[0];
    if (IMMEDIATE.has(name)) return null;
    return name === 'size' ? 'text' : 'deep';
  }
  return null;
}

/**
 * Charges every node of a checked tree to `meter` as it is evaluated: 1 before it runs (so a
 * comprehension stops within one element once the budget is spent), and its value's size when
 * its parent traverses it, before the parent runs.
 */
export function meterEvaluation(root: CelNode, meter: CostMeter): void {
  const how = new Map<CelNode, Traversal>();
  for (const node of allNodes(root)) {
    for (const child of childrenOf(node)) {
      const kind = traversal(node, child);
      if (kind !== null) how.set(child, kind);
    }
  }
  for (const node of allNodes(root)) {
    const kind = how.get(node);
    hookEvaluation(node, (original) =>
      kind === undefined
        ? (ev, self, ctx) => {
            meter.charge(1);
            return original.call(self, ev, self, ctx);
          }
        : (ev, self, ctx) => {
            meter.charge(1);
            const value = original.call(self, ev, self, ctx);
            meter.charge(sizeCost(value, kind, meter.remaining));
            return value;
          },
    );
  }
}

/** Methods whose cost is at least their receiver's size, whatever their arguments. */
const SCANNING_METHODS = new Set([
  'contains',
  'indexOf',
  'lastIndexOf',
  'matches',
  'split',
  'lowerAscii',
  'upperAscii',
  'trim',
  'join',
  'json',
  'hex',
  'base64',
]);

/**
 * The estimate at load: a comprehension over the call's data whose body traverses, for every
 * element, a value of the call that is not that element (`params.a.exists(x, x in params.b)`)
 * costs the product of two sizes of the call's params. Returns the problem, or null.
 */
export function quadraticShape(root: CelNode, variables: ReadonlySet<string>): string | null {
  for (const node of allNodes(root)) {
    if ((node.op as string) !== 'comprehension') continue;
    const loop = node.args as unknown as Comprehension;
    if (isLiteral(loop.iterable)) continue;
    for (const inner of allNodes(loop.step)) {
      const scanned = scannedOperand(inner);
      if (scanned !== null && fromCallNotElement(scanned, loop.iterVarName, variables)) {
        return (
          'its comprehension scans a value of the call for every element, so its cost grows with the ' +
          'square of the params (e.g. `x in params.list` inside `exists`); compare against a literal list instead'
        );
      }
    }
  }
  return null;
}

/** The operand `node` traverses in full whatever else it is given, if any. */
function scannedOperand(node: CelNode): CelNode | null {
  const { op, args } = node as { op: string; args: unknown };
  if (op === 'in') return (args as CelNode[])[1] ?? null;
  if (op === 'rcall' && SCANNING_METHODS.has((args as [string])[0])) return (args as [string, CelNode])[1];
  return null;
}

function isLiteral(node: CelNode): boolean {
  return node.op === 'list' || node.op === 'map' || node.op === 'value';
}

/** Whether `node` reads the call's variables other than through the comprehension's element. */
function fromCallNotElement(node: CelNode, element: string, variables: ReadonlySet<string>): boolean {
  let base = node;
  while (base.op === '.' || base.op === '.?' || base.op === '[]' || base.op === '[?]') {
    base = (base.args as [CelNode, unknown])[0];
  }
  if (base.op === 'id') return base.args !== element && variables.has(base.args as string);
  return allNodes(base).some((n) => n.op === 'id' && n.args !== element && variables.has(n.args as string));
}
