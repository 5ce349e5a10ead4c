// Reading untrusted arguments: one read per member, unknown keys refused, hostile values contained.
import type { JsonObject } from './canonical-json.js';
import { ConfigError, isCountersignError, ValidationError } from './errors.js';
import { describeType, readJsonParams } from './params-walk.js';

export { describeType, MAX_PARAMS_DEPTH, MAX_PARAMS_VALUES } from './params-walk.js';

type Kind = 'input' | 'config';

function fail(kind: Kind, what: string, issues: string[]): never {
  if (kind === 'config') throw new ConfigError(`invalid ${what}: ${issues.join('; ')}`);
  throw new ValidationError(what, issues);
}

/** A getter or proxy trap threw while `path` (or the whole of `what`) was read. */
function threw(kind: Kind, what: string, path: string | null, cause: unknown): never {
  // The thrown text is the caller's and may hold anything: it rides along as the cause, unrepeated.
  const issue = `${path === null ? '' : `${path}: `}reading it threw (the thrown error is this error's cause)`;
  if (kind === 'config') throw new ConfigError(`invalid ${what}: ${issue}`, { cause });
  throw new ValidationError(what, [issue], { cause });
}

/**
 * Runs `read` over caller-supplied values: whatever a getter, a proxy trap or a revoked proxy
 * throws becomes a typed error naming `what`, never the caller's own error or a TypeError.
 */
export function readInput<T>(what: string, read: () => T, kind: Kind = 'input'): T {
  try {
    return read();
  } catch (error) {
    if (isCountersignError(error)) throw error;
    threw(kind, what, null, error);
  }
}

/** The closest known key within two edits (or differing only in case), for "did you mean". */
export function closestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of known) {
    if (candidate.toLowerCase() === key.toLowerCase()) return candidate;
    const distance = editDistance(key, candidate, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A prefix such as `onBehalf` for `onBehalfOf` is a likely typo too.
  if (best === null && key.length >= 4) best = known.find((candidate) => candidate.startsWith(key)) ?? null;
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}

/** `unknown key "onBehalf" (did you mean "onBehalfOf"?)` */
export function unknownKeyIssue(path: string, key: string, known: readonly string[]): string {
  const near = closestKey(key, known);
  const at = path ? `${path}: ` : '';
  return `${at}unknown key ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`;
}

/**
 * A copy of an object argument's own members, each read exactly once, refusing members not in
 * `known`. Getters, proxies and odd prototypes that throw become a typed error, never a TypeError.
 */
export function readMembers(
  value: unknown,
  known: readonly string[],
  what: string,
  kind: Kind = 'input',
): Record<string, unknown> {
  // A revoked proxy throws even from Array.isArray: whatever escaped is still the caller's input.
  // (readInput's handling, inline: a guarded call reads two objects, and pays no closure for either.)
  try {
    return readMembersOf(value, known, what, kind);
  } catch (error) {
    if (isCountersignError(error)) throw error;
    threw(kind, what, null, error);
  }
}

function readMembersOf(
  value: unknown,
  known: readonly string[],
  what: string,
  kind: Kind,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(kind, what, [`must be an object, not ${describeType(value)}`]);
  }
  const keys = Object.keys(value);
  const issues: string[] = [];
  if (Object.getOwnPropertySymbols(value).length > 0) issues.push('symbol keys are not allowed');
  const copy: Record<string, unknown> = {};
  // Own enumerable string keys only; each value read exactly once, getters included, so an
  // accessor cannot answer one thing to validation and another to the code that uses it.
  for (const key of keys) {
    if (!known.includes(key)) {
      issues.push(unknownKeyIssue('', key, known));
      continue;
    }
    try {
      copy[key] = (value as Record<string, unknown>)[key];
    } catch (error) {
      threw(kind, what, key, error);
    }
  }
  if (issues.length > 0) fail(kind, what, issues);
  return copy;
}

/**
 * Params as plain JSON, copied (see {@link readJsonParams}, which also writes their canonical JSON).
 * `root` names the value in messages (`params.rows[2]`).
 */
export function copyJsonParams(params: unknown, what: string, root = 'params'): JsonObject {
  return readJsonParams(params, what, root).params;
}
