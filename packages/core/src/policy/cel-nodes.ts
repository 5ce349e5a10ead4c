// The checked CEL syntax tree as @marcbachmann/cel-js 8.0.0 evaluates it, and the one hook conditions use.
import type { ASTNode } from '@marcbachmann/cel-js';

/**
 * How a node is evaluated: `evaluate(evaluator, node, context)`. The library evaluates every child
 * through its `evaluate` member, so replacing it on each node of a checked tree sees every step.
 * Neither this member nor `meta` is in the library's types: the version is pinned (package.json)
 * and the condition tests fail if the hook stops seeing evaluation.
 */
export type Evaluate = (evaluator: unknown, node: CelNode, context: unknown) => unknown;

export type CelNode = ASTNode & {
  evaluate: Evaluate;
  readonly meta: {
    evaluate: Evaluate;
    /** The expansion of a macro such as `exists()`, which is what runs. */
    alternate?: CelNode | undefined;
    /** A macro evaluated by a function of its own, such as `has()` or `cel.bind()`. */
    macro?:
      | ({ evaluate: (evaluator: unknown, macro: object, context: unknown) => unknown } & object)
      | undefined;
  };
};

/** A comprehension node's arguments: `step` runs once per element of `iterable`. */
export interface Comprehension {
  iterable: CelNode;
  init: CelNode;
  step: CelNode;
  iterVarName: string;
}

export function isNode(value: unknown): value is CelNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'meta' in value;
}

/** The nodes evaluated under `node`: operands, macro expansions and comprehension parts. */
export function childrenOf(node: CelNode): CelNode[] {
  const out: CelNode[] = [];
  const add = (value: unknown): void => {
    if (isNode(value)) out.push(value);
    else if (Array.isArray(value)) for (const item of value) add(item);
  };
  const { alternate, macro } = node.meta;
  if (alternate !== undefined) add(alternate);
  if (macro !== undefined) for (const value of Object.values(macro)) add(value);
  if (node.op === ('comprehension' as string)) {
    const { iterable, init, step } = node.args as unknown as Comprehension;
    add([iterable, init, step]);
  } else add(node.args);
  return out;
}

/** Every node reachable from `root`, each once, parents before children. */
export function allNodes(root: CelNode): CelNode[] {
  const seen = new Set<CelNode>([root]);
  const out: CelNode[] = [];
  for (let i = 0, queue = [root]; i < queue.length; i++) {
    const node = queue[i]!;
    out.push(node);
    for (const child of childrenOf(node)) {
      if (seen.has(child)) continue;
      seen.add(child);
      queue.push(child);
    }
  }
  return out;
}

/** The hooks already placed, by node: a second hook wraps the first. */
const hooked = new WeakMap<CelNode, Evaluate>();

/** The function the library would run for `node`, resolved once (it resolves lazily, replacing `evaluate`). */
function resolved(node: CelNode): Evaluate {
  const placed = hooked.get(node);
  if (placed !== undefined) return placed;
  const { alternate, macro, evaluate } = node.meta;
  if (alternate !== undefined) return (ev, _node, ctx) => alternate.evaluate(ev, alternate, ctx);
  if (macro !== undefined) return (ev, _node, ctx) => macro.evaluate(ev, macro, ctx);
  return evaluate;
}

/**
 * Replaces how `node` is evaluated with `wrap(original)`, on a checked tree; call `original` with
 * the node as `this`, as the library does. `evaluateChild` evaluates another node in the same
 * evaluation.
 */
export function hookEvaluation(node: CelNode, wrap: (original: Evaluate) => Evaluate): void {
  const evaluate = wrap(resolved(node));
  hooked.set(node, evaluate);
  node.evaluate = evaluate;
}

export function evaluateChild(child: CelNode, evaluator: unknown, context: unknown): unknown {
  return child.evaluate(evaluator, child, context);
}
