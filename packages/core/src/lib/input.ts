// Reading untrusted arguments: one read per member, unknown keys refused, hostile values contained.
import type { JsonObject } from './canonical-json.js';
import { ConfigError, isCountersignError, ValidationError } from './errors.js';

/** Deepest nesting accepted in params; deeper input is refused before anything walks it. */
export const MAX_PARAMS_DEPTH = 64;
/** Most values (objects, arrays and scalars) accepted in one params object. */
export const MAX_PARAMS_VALUES = 100_000;

type Kind = 'input' | 'config';

/** A surrogate not paired with its other half: `\p{Cs}` matches only those under the `u` flag. */
const LONE_SURROGATE = /\p{Cs}/u;

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
  return readInput(what, () => readMembersOf(value, known, what, kind), kind);
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
 * Params as plain JSON, copied: every object a fresh plain object, every string well-formed, at
 * most {@link MAX_PARAMS_DEPTH} deep and {@link MAX_PARAMS_VALUES} values. Walks with its own
 * stack, never recursion, so no input can overflow the call stack. A member named `__proto__` is
 * refused: copies made by ordinary assignment would silently drop it while the fingerprint bound it.
 * `root` names the value in messages (`params.rows[2]`).
 */
export function copyJsonParams(params: unknown, what: string, root = 'params'): JsonObject {
  // Where the walk is reading: a getter or proxy trap that throws is named by its path.
  let at = root;
  const problem = (path: string, text: string): never => {
    throw new ValidationError(what, [`${path} ${text}`]);
  };
  const reading = (path: string): void => {
    at = path;
  };
  try {
    return copyJson(params, root, problem, reading);
  } catch (error) {
    if (isCountersignError(error)) throw error;
    threw('input', what, at, error);
  }
}

type Problem = (path: string, text: string) => never;

function copyJson(
  params: unknown,
  rootPath: string,
  problem: Problem,
  reading: (path: string) => void,
): JsonObject {
  if (params === undefined) return {};
  if (!isObjectLike(params) || Array.isArray(params)) {
    problem(rootPath, `must be a plain object, not ${describeType(params)}`);
  }
  if (!isPlainPrototype(params))
    problem(rootPath, `must be a plain object, not a ${constructorName(params)}`);
  const root: JsonObject = {};
  let values = 0;
  type Frame = {
    source: object;
    target: JsonObject | unknown[];
    path: string;
    depth: number;
    parent: Frame | null;
  };
  const stack: Frame[] = [{ source: params, target: root, path: rootPath, depth: 1, parent: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { source, target, path, depth } = frame;
    if (depth > MAX_PARAMS_DEPTH) problem(path, `is nested deeper than ${MAX_PARAMS_DEPTH} levels`);
    const children: Frame[] = [];
    for (const [key, child] of ownEntries(source, path, problem, reading)) {
      if (++values > MAX_PARAMS_VALUES) problem(rootPath, `holds more than ${MAX_PARAMS_VALUES} values`);
      const childPath = Array.isArray(target) ? `${path}[${key}]` : `${path}.${key}`;
      reading(childPath);
      const copied = copyScalar(child, childPath, problem);
      if (copied !== NESTED) {
        assign(target, key, copied);
        continue;
      }
      const nested = child as object;
      // Shared objects (a DAG) are copied each time; only an object inside itself is refused.
      for (let up: Frame | null = frame; up !== null; up = up.parent) {
        if (up.source === nested) problem(childPath, 'is circular');
      }
      const fresh: JsonObject | unknown[] = Array.isArray(nested) ? [] : {};
      assign(target, key, fresh);
      children.push({ source: nested, target: fresh, path: childPath, depth: depth + 1, parent: frame });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return root;
}

const NESTED = Symbol('nested');

function copyScalar(value: unknown, path: string, problem: Problem): unknown {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) problem(path, 'contains a lone surrogate, which is not valid Unicode');
      return value;
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) problem(path, 'is not a finite number');
      return value;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return NESTED;
      if (isPlainPrototype(value)) return NESTED;
      return problem(path, `is a ${constructorName(value)}, not plain JSON`);
    default:
      return problem(path, `is a ${typeof value}, which JSON cannot carry`);
  }
}

function ownEntries(
  source: object,
  path: string,
  problem: Problem,
  reading: (path: string) => void,
): [string, unknown][] {
  const entries: [string, unknown][] = [];
  reading(path);
  if (Array.isArray(source)) {
    const length = source.length;
    for (let i = 0; i < length; i++) {
      reading(`${path}[${i}]`);
      if (!Object.hasOwn(source, i)) problem(`${path}[${i}]`, 'is a hole in a sparse array');
      entries.push([String(i), source[i]]);
    }
    return entries;
  }
  if (Object.getOwnPropertySymbols(source).length > 0)
    problem(path, 'has a symbol key, which JSON cannot carry');
  // Own enumerable string keys, each value read once (what JSON.stringify would see).
  for (const name of Object.keys(source)) {
    if (name === '__proto__') {
      problem(`${path}.__proto__`, 'is not allowed: rename the member (it cannot be shown and bound alike)');
    }
    if (LONE_SURROGATE.test(name))
      problem(path, 'has a key with a lone surrogate, which is not valid Unicode');
    reading(`${path}.${name}`);
    const value = (source as Record<string, unknown>)[name];
    if (value === undefined) problem(`${path}.${name}`, 'is undefined; leave the member out instead');
    entries.push([name, value]);
  }
  reading(path);
  return entries;
}

function assign(target: JsonObject | unknown[], key: string, value: unknown): void {
  if (Array.isArray(target)) target[Number(key)] = value;
  else target[key] = value as JsonObject[string];
}

function isObjectLike(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isPlainPrototype(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function constructorName(value: object): string {
  try {
    const proto = Object.getPrototypeOf(value);
    const name = proto?.constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'non-plain object';
  } catch {
    return 'non-plain object';
  }
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
