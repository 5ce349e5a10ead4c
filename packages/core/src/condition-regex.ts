// CEL `matches()` with RE2 syntax and semantics, in linear time (re2js), instead of JavaScript's backtracking RegExp.
import { RE2JS, RE2JSException } from 're2js';
import { allNodes, type CelNode, evaluateChild, hookEvaluation } from './cel-nodes.js';
import type { CostMeter } from './condition-cost.js';
import { ConditionFault } from './condition-errors.js';

/** The cost of one match: the text's length / 10 times the pattern's compiled size / 10 (RE2 is O(text × program)). */
function matchCost(text: string, pattern: RE2JS): number {
  return (1 + Math.floor(text.length / 10)) * (1 + Math.floor(pattern.programSize() / 10));
}

/**
 * Makes every `s.matches(pattern)` in a checked tree run on RE2. A literal pattern is compiled
 * now, once: one that is not valid RE2 (a backreference, lookaround) is returned as the problem.
 * A pattern read from the call is compiled when evaluated; invalid, it fails the evaluation.
 */
export function useRe2(root: CelNode, meter: CostMeter): string | null {
  for (const node of allNodes(root)) {
    if (node.op !== 'rcall' || node.args[0] !== 'matches' || node.args[2].length !== 1) continue;
    const receiver = node.args[1] as CelNode;
    const patternNode = node.args[2][0] as CelNode;
    let literal: RE2JS | null = null;
    if (patternNode.op === 'value' && typeof patternNode.args === 'string') {
      try {
        literal = RE2JS.compile(patternNode.args);
      } catch (error) {
        return `matches() pattern ${JSON.stringify(patternNode.args)} is not valid RE2 (no backreferences or lookaround): ${re2Problem(error)}`;
      }
    }
    hookEvaluation(node, () => (ev, _self, ctx) => {
      const text = evaluateChild(receiver, ev, ctx);
      const pattern = literal ?? compileAtRuntime(evaluateChild(patternNode, ev, ctx), meter);
      if (typeof text !== 'string') throw wrongType();
      meter.charge(matchCost(text, pattern));
      return pattern.test(text);
    });
  }
  return null;
}

function compileAtRuntime(pattern: unknown, meter: CostMeter): RE2JS {
  if (typeof pattern !== 'string') throw wrongType();
  meter.charge(1 + Math.floor(pattern.length / 10));
  try {
    return RE2JS.compile(pattern);
  } catch {
    throw new ConditionFault('the pattern read from the call is not valid RE2');
  }
}

function wrongType(): ConditionFault {
  return new ConditionFault("no matching overload for 'matches': an operand has another type");
}

function re2Problem(error: unknown): string {
  if (error instanceof RE2JSException) return error.message;
  return error instanceof Error ? error.message : String(error);
}
