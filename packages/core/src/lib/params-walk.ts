// Params read in one walk: checked, copied, written as canonical JSON, and what redaction must look at flagged.
import type { JsonObject } from './canonical-json.js';
import { ValidationError } from './errors.js';
import { mayBeSecretKey, mayHoldSecret } from './redact.js';

/** Deepest nesting accepted in params; deeper input is refused before anything walks it. */
export const MAX_PARAMS_DEPTH = 64;
/** Most values (objects, arrays and scalars) accepted in one params object. */
export const MAX_PARAMS_VALUES = 100_000;

/** A surrogate not paired with its other half: `\p{Cs}` matches only those under the `u` flag. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Printable ASCII but `"` and `\\`: well-formed, and its own JSON body. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

export interface ReadParams {
  /** The copy: every object a fresh plain object, in the caller's member order. */
  params: JsonObject;
  /** RFC 8785 canonical JSON of `params`: what the fingerprint, `paramsHash` and the size check take. */
  json: string;
  /** Some string or key may hold a secret (or a key names one): redaction must walk the params. */
  flagged: boolean;
}

/** A problem found in the walk, with the path of the value it is about. */
class Refusal {
  constructor(
    readonly path: string,
    readonly text: string,
  ) {}
}

/** What the walk keeps between values: where it reads (for a getter that throws) and what it found. */
class Walk {
  values = 0;
  flagged = false;
  /** The object being read, and the member of it, when a getter or trap throws. */
  at = '';
  member: string | number | null = null;
  readonly ancestors: object[] = [];
  constructor(readonly root: string) {}
}

/**
 * Params as plain JSON, copied, in one walk that also writes their canonical JSON and flags what
 * may hold a secret: at most {@link MAX_PARAMS_DEPTH} deep (so the recursion is bounded) and
 * {@link MAX_PARAMS_VALUES} values, every string well-formed, no `__proto__` member (a copy made by
 * assignment would drop it while the fingerprint bound it). `root` names the value in messages
 * (`params.rows[2]`); a getter or proxy trap that throws is named by its path, its error the cause.
 */
export function readJsonParams(params: unknown, what: string, root = 'params'): ReadParams {
  const walk = new Walk(root);
  try {
    if (params === undefined) return { params: {}, json: '{}', flagged: false };
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new Refusal(root, `must be a plain object, not ${describeType(params)}`);
    }
    if (!isPlainPrototype(params))
      throw new Refusal(root, `must be a plain object, not a ${constructorName(params)}`);
    const copy: JsonObject = {};
    const json = readObject(params, copy, root, 1, walk);
    return { params: copy, json, flagged: walk.flagged };
  } catch (error) {
    if (error instanceof Refusal) throw new ValidationError(what, [`${error.path} ${error.text}`]);
    if (error instanceof ValidationError) throw error;
    const path = walk.member === null ? walk.at : memberPath(walk.at, walk.member);
    throw new ValidationError(what, [`${path}: reading it threw (the thrown error is this error's cause)`], {
      cause: error,
    });
  }
}

function readObject(source: object, target: JsonObject, path: string, depth: number, walk: Walk): string {
  walk.at = path;
  walk.member = null;
  if (Object.getOwnPropertySymbols(source).length > 0)
    throw new Refusal(path, 'has a symbol key, which JSON cannot carry');
  const keys = Object.keys(source);
  const members: string[] = new Array(keys.length);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '__proto__') {
      throw new Refusal(
        `${path}.__proto__`,
        'is not allowed: rename the member (it cannot be shown and bound alike)',
      );
    }
    let quoted = PLAIN_KEYS.get(key);
    if (quoted === undefined) quoted = readKey(key, path, walk);
    if (++walk.values > MAX_PARAMS_VALUES)
      throw new Refusal(walk.root, `holds more than ${MAX_PARAMS_VALUES} values`);
    walk.member = key;
    const value = (source as Record<string, unknown>)[key];
    if (value === undefined)
      throw new Refusal(memberPath(path, key), 'is undefined; leave the member out instead');
    let json: string;
    if (typeof value === 'object' && value !== null) {
      const fresh = Array.isArray(value) ? [] : {};
      target[key] = fresh;
      json = readNested(value, fresh, memberPath(path, key), depth, walk);
      walk.at = path;
    } else {
      target[key] = value as string | number | boolean;
      json = scalar(value, path, key, walk);
    }
    members[i] = `${quoted}:${json}`;
    if (i > 0 && sorted && keys[i - 1]! > key) sorted = false;
  }
  if (!sorted) sortMembers(keys, members);
  return `{${members.join(',')}}`;
}

/**
 * Keys read before that are printable ASCII and can neither name nor hold a secret, with their
 * JSON: what {@link readKey} would find again for them, found without its three patterns. A tool's
 * calls repeat the same keys. Bounded, and emptied when full, so no input can grow it.
 */
const PLAIN_KEYS = new Map<string, string>();
const PLAIN_KEYS_MAX = 1_024;
/** Longer keys are not kept: the map stays within ~1,024 × 64 characters whatever arrives. */
const PLAIN_KEY_LENGTH_MAX = 64;

/** A key's JSON; flags the walk when redaction must look at the key. */
function readKey(key: string, path: string, walk: Walk): string {
  let quoted: string;
  if (PLAIN_TEXT.test(key)) quoted = `"${key}"`;
  else if (LONE_SURROGATE.test(key))
    throw new Refusal(path, 'has a key with a lone surrogate, which is not valid Unicode');
  else quoted = JSON.stringify(key);
  if (mayBeSecretKey(key)) walk.flagged = true;
  else if (quoted.length === key.length + 2 && key.length <= PLAIN_KEY_LENGTH_MAX) {
    if (PLAIN_KEYS.size >= PLAIN_KEYS_MAX) PLAIN_KEYS.clear();
    PLAIN_KEYS.set(key, quoted);
  }
  return quoted;
}

/** Past this many keys, {@link sortMembers} leaves the ordering to `Array.prototype.sort`. */
const INSERTION_SORT_MAX = 16;

/**
 * Puts `members` (and `keys`, alongside) in UTF-16 code unit order of their keys, as RFC 8785
 * requires; keys are unique, so no two compare equal. A handful of keys, the usual params, are
 * sorted in place: `sort` with a comparator allocates more than the members it orders.
 */
function sortMembers(keys: string[], members: string[]): void {
  if (keys.length > INSERTION_SORT_MAX) {
    const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
    const sorted = order.map((i) => members[i]!);
    for (let i = 0; i < sorted.length; i++) members[i] = sorted[i]!;
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    const member = members[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      members[j + 1] = members[j]!;
      j--;
    }
    keys[j + 1] = key;
    members[j + 1] = member;
  }
}

function readArray(source: unknown[], target: unknown[], path: string, depth: number, walk: Walk): string {
  walk.at = path;
  walk.member = null;
  const length = source.length;
  let out = '[';
  for (let i = 0; i < length; i++) {
    walk.member = i;
    if (!Object.hasOwn(source, i)) throw new Refusal(`${path}[${i}]`, 'is a hole in a sparse array');
    if (++walk.values > MAX_PARAMS_VALUES)
      throw new Refusal(walk.root, `holds more than ${MAX_PARAMS_VALUES} values`);
    const value = source[i];
    if (i > 0) out += ',';
    if (typeof value === 'object' && value !== null) {
      const fresh = Array.isArray(value) ? [] : {};
      target[i] = fresh;
      out += readNested(value, fresh, `${path}[${i}]`, depth, walk);
      walk.at = path;
    } else {
      target[i] = value;
      out += scalar(value, path, i, walk);
    }
  }
  return `${out}]`;
}

function readNested(
  value: object,
  target: JsonObject | unknown[],
  path: string,
  depth: number,
  walk: Walk,
): string {
  walk.at = path;
  walk.member = null;
  if (depth + 1 > MAX_PARAMS_DEPTH)
    throw new Refusal(path, `is nested deeper than ${MAX_PARAMS_DEPTH} levels`);
  // Shared objects (a DAG) are copied each time; only an object inside itself is refused.
  if (walk.ancestors.includes(value)) throw new Refusal(path, 'is circular');
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainPrototype(value))
    throw new Refusal(path, `is a ${constructorName(value)}, not plain JSON`);
  walk.ancestors.push(value);
  const json = isArray
    ? readArray(value as unknown[], target as unknown[], path, depth + 1, walk)
    : readObject(value, target as JsonObject, path, depth + 1, walk);
  walk.ancestors.pop();
  return json;
}

function scalar(value: unknown, path: string, member: string | number, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      if (PLAIN_TEXT.test(value)) {
        if (!walk.flagged && mayHoldSecret(value)) walk.flagged = true;
        return `"${value}"`;
      }
      if (LONE_SURROGATE.test(value))
        throw new Refusal(memberPath(path, member), 'contains a lone surrogate, which is not valid Unicode');
      if (!walk.flagged && mayHoldSecret(value)) walk.flagged = true;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal(memberPath(path, member), 'is not a finite number');
      // For a finite number, String() is ECMAScript's Number::toString, which RFC 8785 uses.
      return String(value);
    case 'object':
      return 'null';
    default:
      throw new Refusal(memberPath(path, member), `is a ${typeof value}, which JSON cannot carry`);
  }
}

/** `params.rows[2]` for an index, `params.rows` for a key. */
function memberPath(path: string, member: string | number): string {
  return typeof member === 'number' ? `${path}[${member}]` : `${path}.${member}`;
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
