// A small validator for OCSF events against the schema source files in fixtures/ocsf-1.8.0.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('./fixtures/ocsf-1.8.0/', import.meta.url));

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
  constraints: { at_least_one?: string[]; just_one?: string[] };
}

function load(path: string): Json {
  return JSON.parse(readFileSync(`${ROOT}${path}`, 'utf8')) as Json;
}

const dictionary = load('dictionary.json') as {
  attributes: Record<string, Json>;
  types: { attributes: Record<string, { type?: string }> };
};
const types = dictionary.types.attributes;

/** Attributes of one schema file, with those it includes from profiles marked by profile name. */
function merge(into: Attributes, file: Json): void {
  const attributes = (file.attributes ?? {}) as Record<string, unknown>;
  for (const include of (attributes.$include ?? []) as string[]) {
    const profile = load(include);
    for (const [name, def] of Object.entries(profile.attributes as Attributes)) {
      into[name] = { ...into[name], ...def, profile: profile.name as string };
    }
  }
  for (const [name, raw] of Object.entries(attributes)) {
    if (name === '$include') continue;
    const def = raw as AttributeDef;
    const previous = into[name];
    into[name] = { ...previous, ...def };
    if (previous?.enum && def.enum) into[name]!.enum = { ...previous.enum, ...def.enum };
  }
}

const objectFiles: Record<string, string> = {};
for (const name of [
  'object',
  '_entity',
  '_resource',
  'actor',
  'user',
  'session',
  'api',
  'request',
  'service',
  'metadata',
  'product',
  'policy',
  'authorization',
  'resource_details',
  'network_endpoint',
  'endpoint',
]) {
  objectFiles[name] = `objects/${name}.json`;
}

function shapeOf(chain: Json[]): Shape {
  const attributes: Attributes = {};
  let constraints: Shape['constraints'] = {};
  for (const file of chain) {
    merge(attributes, file);
    if (file.constraints) constraints = file.constraints as Shape['constraints'];
  }
  return { attributes, constraints };
}

function objectChain(name: string): Json[] {
  const path = objectFiles[name];
  if (path === undefined) throw new Error(`object "${name}" is not among the fixture files`);
  const file = load(path);
  return typeof file.extends === 'string' ? [...objectChain(file.extends), file] : [file];
}

/** The API Activity class: base_event, then application, then api_activity. */
export function apiActivityClass(): { shape: Shape; uid: number; categoryUid: number } {
  const application = load('events/application/application.json');
  const api = load('events/application/api_activity.json');
  const categories = load('categories.json') as { attributes: Record<string, { uid: number }> };
  const categoryUid = categories.attributes[application.category as string]!.uid;
  return {
    shape: shapeOf([load('events/base_event.json'), application, api]),
    uid: categoryUid * 1000 + (api.uid as number),
    categoryUid,
  };
}

/** Every way `event` departs from the API Activity class of OCSF 1.8.0; empty when it conforms. */
export function validateApiActivity(event: Json): string[] {
  const { shape, uid, categoryUid } = apiActivityClass();
  const problems: string[] = [];
  const metadata = event.metadata as { profiles?: string[]; version?: string } | undefined;
  const profiles = new Set(metadata?.profiles ?? []);
  if (metadata?.version !== (load('version.json').version as string))
    problems.push('metadata.version is not 1.8.0');
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
  const entry = dictionary.attributes[name] as
    | { type: string; is_array?: boolean; enum?: AttributeDef['enum']; sibling?: string }
    | undefined;
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
  while (types[current]?.type) current = types[current]!.type!;
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
  if (type in types) {
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
  checkObject(value as Json, shapeOf(objectChain(type)), profiles, `${path}.`, problems);
}
