// CEL `matches()` with RE2 syntax and semantics, in linear time (re2js), instead of JavaScript's backtracking RegExp.
import { RE2JS, RE2JSException } from 're2js';
import { allNodes, type CelNode, evaluateChild, hookEvaluation } from './cel-nodes.js';
import type { CostMeter } from './condition-cost.js';
import { ConditionFault } from './condition-errors.js';

/**
 * The cost of one match: the text's length times the pattern's compiled size, / 2. RE2 is linear
 * in the text but runs every instruction per character at worst (about 80 ns a step for Unicode
 * classes on the bench machine), so a large program on a long text is refused before it runs.
 */
function matchCost(text: string, pattern: RE2JS): number {
  return Math.ceil(((text.length + 1) * pattern.programSize()) / 2);
}

/** Longest pattern read from the call: compiling costs up to 0.2 ms a character (Unicode classes). */
const MAX_RUNTIME_PATTERN_LENGTH = 256;
/** What compiling a pattern read from the call costs, per character. */
const COMPILE_COST_PER_CHARACTER = 1_000;

/**
 * Makes every `s.matches(pattern)` in a checked tree run on RE2. A literal pattern is compiled
 * now, once: one that is not valid RE2 (a backreference, lookaround) is returned as the problem.
 * A pattern read from the call is compiled when evaluated, if at most 256 characters without a
 * counted repetition; otherwise, or invalid, it fails the evaluation.
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
  if (pattern.length > MAX_RUNTIME_PATTERN_LENGTH) {
    throw new ConditionFault(
      `the pattern read from the call is longer than ${MAX_RUNTIME_PATTERN_LENGTH} characters`,
    );
  }
  // A counted repetition expands up to 1,000 times when compiled: only a literal pattern may have one.
  if (/\{\d/.test(pattern)) {
    throw new ConditionFault('the pattern read from the call has a counted repetition ({n})');
  }
  meter.charge(1 + pattern.length * COMPILE_COST_PER_CHARACTER);
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
