// A small validator for OCSF events against OCSF 1.8.0's API Activity class, from ocsf-1.8-api-activity.ts.
import { OCSF_1_8 } from './ocsf-1.8-api-activity.js';

type Json = Record<string, unknown>;
interface AttributeDef {
  requirement?: string;
  profile?: string | null;
  type?: string;
  enum?: Record<string, { caption: string }>;
}
type Attributes = Record<string, AttributeDef>;
interface Shape {
  attributes: Attributes;
  constraints: { at_least_one?: readonly string[]; just_one?: readonly string[] };
}
interface DictionaryEntry {
  type: string;
  is_array?: boolean;
  enum?: AttributeDef['enum'];
  sibling?: string;
}

const schema = OCSF_1_8 as unknown as {
  version: string;
  categoryUid: number;
  classUid: number;
  class: Shape;
  objects: Record<string, Shape>;
  dictionary: Record<string, DictionaryEntry>;
  types: Record<string, string | null>;
};

/** The API Activity class: base_event, then application, then api_activity, merged. */
export function apiActivityClass(): { shape: Shape; uid: number; categoryUid: number } {
  return { shape: schema.class, uid: schema.classUid, categoryUid: schema.categoryUid };
}

function objectShape(name: string): Shape {
  const shape = schema.objects[name];
  if (shape === undefined) throw new Error(`object "${name}" is not among the objects the table describes`);
  return shape;
}

/** Every way `event` departs from the API Activity class of OCSF 1.8.0; empty when it conforms. */
export function validateApiActivity(event: Json): string[] {
  const { shape, uid, categoryUid } = apiActivityClass();
  const problems: string[] = [];
  const metadata = event.metadata as { profiles?: string[]; version?: string } | undefined;
  const profiles = new Set(metadata?.profiles ?? []);
  if (metadata?.version !== schema.version) problems.push('metadata.version is not 1.8.0');
  if (event.class_uid !== uid) problems.push(`class_uid must be ${uid}`);
  if (event.category_uid !== categoryUid) problems.push(`category_uid must be ${categoryUid}`);
  if (event.type_uid !== uid * 100 + (event.activity_id as number))
    problems.push('type_uid ≠ class_uid × 100 + activity_id');
  checkObject(event, shape, profiles, '', problems);
  return problems;
}

function checkObject(
  value: Json,
  shape: Shape,
  profiles: Set<string>,
  path: string,
  problems: string[],
): void {
  for (const [name, def] of Object.entries(shape.attributes)) {
    const gated = typeof def.profile === 'string' && !profiles.has(def.profile);
    if (def.requirement === 'required' && !gated && value[name] === undefined) {
      problems.push(`${path}${name} is required`);
    }
  }
  for (const group of ['at_least_one', 'just_one'] as const) {
    const names = shape.constraints[group];
    if (!names) continue;
    const present = names.filter((name) => value[name] !== undefined).length;
    if (group === 'at_least_one' ? present < 1 : present !== 1) {
      problems.push(`${path || 'event'} needs ${group.replace(/_/g, ' ')} of ${names.join(', ')}`);
    }
  }
  for (const [name, member] of Object.entries(value)) {
    const def = shape.attributes[name];
    if (def === undefined) {
      problems.push(`${path}${name} is not an attribute here`);
      continue;
    }
    if (typeof def.profile === 'string' && !profiles.has(def.profile)) {
      problems.push(
        `${path}${name} belongs to profile ${def.profile}, which metadata.profiles does not list`,
      );
    }
    checkValue(name, member, def, value, profiles, `${path}${name}`, problems);
  }
}

function checkValue(
  name: string,
  value: unknown,
  def: AttributeDef,
  parent: Json,
  profiles: Set<string>,
  path: string,
  problems: string[],
): void {
  const entry = schema.dictionary[name];
  if (entry === undefined) {
    problems.push(`${path} is not in the dictionary`);
    return;
  }
  const type = def.type ?? entry.type;
  if (entry.is_array) {
    if (!Array.isArray(value)) {
      problems.push(`${path} must be an array`);
      return;
    }
    value.forEach((item, i) => {
      checkScalar(type, item, profiles, `${path}[${i}]`, problems);
    });
    return;
  }
  checkScalar(type, value, profiles, path, problems);
  // A class's own uid and category replace base_event's enum of 0; they are checked by value above.
  const values = name === 'class_uid' || name === 'category_uid' ? undefined : (def.enum ?? entry.enum);
  if (values) {
    const caption = values[String(value)]?.caption;
    if (caption === undefined)
      problems.push(`${path} ${String(value)} is not one of ${Object.keys(values).join(', ')}`);
    const sibling = entry.sibling;
    if (
      caption !== undefined &&
      sibling &&
      value !== 99 &&
      parent[sibling] !== undefined &&
      parent[sibling] !== caption
    ) {
      problems.push(`${sibling} must be "${caption}" for ${name} ${String(value)}`);
    }
  }
}

function baseType(type: string): string {
  let current = type;
  while (schema.types[current]) current = schema.types[current]!;
  return current;
}

function checkScalar(
  type: string,
  value: unknown,
  profiles: Set<string>,
  path: string,
  problems: string[],
): void {
  if (type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      problems.push(`${path} must be an object`);
    return;
  }
  if (type in schema.types) {
    const base = baseType(type);
    const ok =
      base === 'string_t'
        ? typeof value === 'string'
        : base === 'integer_t' || base === 'long_t' || base === 'timestamp_t' || base === 'port_t'
          ? Number.isSafeInteger(value)
          : base === 'float_t'
            ? typeof value === 'number'
            : base === 'boolean_t'
              ? typeof value === 'boolean'
              : base === 'json_t';
    if (!ok) problems.push(`${path} is not a ${type}`);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path} must be a ${type} object`);
    return;
  }
  checkObject(value as Json, objectShape(type), profiles, `${path}.`, problems);
}
