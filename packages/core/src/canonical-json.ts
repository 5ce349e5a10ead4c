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

/**
 * RFC 8785 (JCS) canonical JSON. ECMAScript's number and string serialisation is the one
 * JCS specifies, so only key order and the refusal of non-JSON values need doing here.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '', new Set());
}

function serialise(value: unknown, path: string, seen: Set<object>): string {
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
    out = `[${value.map((item, i) => serialise(item, `${path}[${i}]`, seen)).join(',')}]`;
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotJsonError(
        path,
        `is a ${proto?.constructor?.name ?? 'non-plain object'}, not a plain object`,
      );
    }
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is the order RFC 8785 requires.
    const keys = Object.keys(record).sort();
    const members: string[] = [];
    for (const key of keys) {
      const member = record[key];
      if (member === undefined) throw new NotJsonError(`${path}.${key}`, 'is undefined');
      members.push(`${JSON.stringify(key)}:${serialise(member, `${path}.${key}`, seen)}`);
    }
    out = `{${members.join(',')}}`;
  }
  seen.delete(value);
  return out;
}
