// A record's members, defined once: each member's zod schema beside a check that accepts the same values.
import { z } from 'zod';
import type { JsonObject } from './canonical-json.js';
import { jsonObjectSchema } from './json-schema.js';

/** A predicate over untrusted data; never throws, never copies. */
export type Check = (value: unknown) => boolean;

/**
 * One member of a record: its schema, and a check that accepts exactly the values the schema
 * accepts unchanged (what parsing would give back equal). The schema names what is wrong; the
 * check answers the common case without parsing, which copies. `test/fast-checks.test.ts` holds
 * each record's check to its schema.
 */
export interface Member<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  readonly check: Check;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(value).length === 0;
}

export const isText: Check = (value) => typeof value === 'string';
export function isTextOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}
const isFiniteNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isPositiveInt: Check = (value) => Number.isSafeInteger(value) && (value as number) > 0;
export const isOneOf = (options: readonly string[]): Check => {
  const set: ReadonlySet<unknown> = new Set(options);
  return (value) => set.has(value);
};
export const nullOr =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);

function isDenseArrayOf(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) if (!(i in value) || !check(value[i])) return false;
    return true;
  };
}

/** Plain data with exactly the members of `checks`, each passing its check. */
function hasShape(checks: Readonly<Record<string, Check>>): Check {
  const keys = Object.keys(checks);
  const values = Object.values(checks);
  return (value) => {
    if (!isPlainObject(value) || Object.keys(value).length !== keys.length) return false;
    for (let i = 0; i < keys.length; i++) if (!values[i]!(value[keys[i]!])) return false;
    return true;
  };
}

const isJsonValue: Check = (value) => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      if (value === null) return true;
      if (Array.isArray(value)) return isDenseArrayOf(isJsonValue)(value);
      return isPlainObject(value) && Object.values(value).every(isJsonValue);
    default:
      return false;
  }
};

export const text: Member<z.ZodString> = { schema: z.string(), check: isText };
export const finite: Member<z.ZodNumber> = { schema: z.number(), check: isFiniteNumber };
export const positiveInt: Member<z.ZodNumber> = {
  schema: z.number().int().positive(),
  check: isPositiveInt,
};
export const jsonObject: Member<z.ZodType<JsonObject>> = {
  schema: jsonObjectSchema,
  check: (value) => isPlainObject(value) && Object.values(value).every(isJsonValue),
};
export const stringRecord: Member<z.ZodRecord<z.ZodString, z.ZodString>> = {
  schema: z.record(z.string(), z.string()),
  check: (value) => isPlainObject(value) && Object.values(value).every(isText),
};

export function oneOf<const T extends readonly [string, ...string[]]>(options: T) {
  return { schema: z.enum(options), check: isOneOf(options) };
}

export function nullable<S extends z.ZodType>(member: Member<S>): Member<z.ZodNullable<S>> {
  return { schema: member.schema.nullable(), check: nullOr(member.check) };
}

export function arrayOf<S extends z.ZodType>(member: Member<S>): Member<z.ZodArray<S>> {
  return { schema: z.array(member.schema), check: isDenseArrayOf(member.check) };
}

export const textOrNull = nullable(text);
export const finiteOrNull = nullable(finite);

type Members = Readonly<Record<string, Member>>;
type ShapeOf<M extends Members> = { -readonly [K in keyof M]: M[K]['schema'] };

/** A record: its members as given (one table), and the object schema and exact-shape check built from them. */
export interface RecordShape<M extends Members> extends Member<z.ZodObject<ShapeOf<M>>> {
  readonly members: M;
}

export function record<const M extends Members>(members: M): RecordShape<M> {
  const shape: Record<string, z.ZodType> = {};
  const checks: Record<string, Check> = {};
  for (const [key, member] of Object.entries(members)) {
    shape[key] = member.schema;
    checks[key] = member.check;
  }
  return { members, schema: z.object(shape as ShapeOf<M>), check: hasShape(checks) };
}

/** The check of `shape`, with some members' checks replaced (by memoised ones, say). */
export function checkWith<M extends Members>(
  shape: RecordShape<M>,
  replaced: { [K in keyof M]?: Check },
): Check {
  const checks: Record<string, Check> = {};
  for (const [key, member] of Object.entries(shape.members)) checks[key] = replaced[key] ?? member.check;
  return hasShape(checks);
}
