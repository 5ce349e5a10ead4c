// RFC 8785 canonical JSON, the encoding every hash in countersign is taken over.
/** A JSON value as RFC 8785 defines it: no undefined, functions, symbols, bigints or non-finite numbers. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export class NotJsonError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || 'value'} ${problem}`);
  }
}

/** Thrown by the fast path; the checked path then finds the problem again and names it. */
const NOT_JSON = Symbol('not JSON');
/** Printable ASCII but `"` and `\\`: such a string is its own JSON body. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** Deeper than this, the fast path gives up and the checked path looks for a cycle. */
const FAST_DEPTH = 256;

/**
 * RFC 8785 (JCS) canonical JSON. ECMAScript's number and string serialisation is the one
 * JCS specifies, so only key order and the refusal of non-JSON values need doing here.
 */
export function canonicalJson(value: unknown): string {
  try {
    return fast(value, 0);
  } catch (error) {
    if (error !== NOT_JSON) throw error;
  }
  return checked(value, '', new Set());
}

/**
 * Deep-freezes plain JSON data core built itself, so a store that keeps it can share it rather
 * than copy it (a pending request's action), and nothing can change it under a record.
 */
export function deepFreeze<T extends object>(value: T): T {
  if (Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null) deepFreeze(child);
  }
  return value;
}

/** `JSON.stringify(text)`, about twice as fast for the identifiers and hashes audit entries hold. */
export function quote(text: string): string {
  return PLAIN_TEXT.test(text) ? `"${text}"` : JSON.stringify(text);
}

// The fast path builds no paths and keeps no set of ancestors (a cycle only runs it past
// FAST_DEPTH): hashing runs on every guarded call and every audit entry.
function fast(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw NOT_JSON;
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      throw NOT_JSON;
  }
  if (depth > FAST_DEPTH) throw NOT_JSON;
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw NOT_JSON;
      if (i > 0) out += ',';
      out += fast(value[i], depth + 1);
    }
    out += ']';
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw NOT_JSON;
    const record = value as Record<string, unknown>;
    const keys = sortKeys(Object.keys(record));
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const member = record[key];
      if (member === undefined) throw NOT_JSON;
      if (i > 0) out += ',';
      out += `${quote(key)}:${fast(member, depth + 1)}`;
    }
    out += '}';
  }
  return out;
}

/** Past this many keys, `Array.prototype.sort`; below it, an insertion sort in place. */
const INSERTION_SORT_MAX = 16;

/**
 * `keys.sort()`: UTF-16 code unit order, the order RFC 8785 requires (keys are distinct strings, so
 * `<` gives the same order as the default comparison). The few keys most objects have are sorted
 * in place: the default sort allocated a work copy per object, on every guarded call and entry.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function checked(value: unknown, path: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(path, 'is not a finite number');
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      throw new NotJsonError(path, `is a ${typeof value}, which JSON cannot carry`);
  }
  if (seen.has(value)) throw new NotJsonError(path, 'is circular');
  seen.add(value);
  let out: string;
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new NotJsonError(`${path}[${i}]`, 'is a hole in a sparse array');
      items.push(checked(value[i], `${path}[${i}]`, seen));
    }
    out = `[${items.join(',')}]`;
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotJsonError(
        path,
        `is a ${proto?.constructor?.name ?? 'non-plain object'}, not a plain object`,
      );
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    const members: string[] = [];
    for (const key of keys) {
      const member = record[key];
      if (member === undefined) throw new NotJsonError(`${path}.${key}`, 'is undefined');
      members.push(`${JSON.stringify(key)}:${checked(member, `${path}.${key}`, seen)}`);
    }
    out = `{${members.join(',')}}`;
  }
  seen.delete(value);
  return out;
}
