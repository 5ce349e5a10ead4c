// Actor templates: `agent:github:{repository}` filled from a verified token's claims.
import { ConfigError } from '@countersign/core';
import { PREFIX } from '../options.js';

/** One placeholder's value: printable, no spaces or braces, as directory identities are written. */
const VALUE = /^[^\p{Cc}\p{Cf}\p{Z}{}]{1,200}$/u;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** A compiled template: fills itself from claims, or says which claim it lacks. */
export interface ActorTemplate {
  readonly source: string;
  fill(claims: Readonly<Record<string, unknown>>): { actor: string } | { missing: string };
}

/**
 * Compiles `template`; it must begin with `agent:` (only agent identities open calls) and name at
 * least one claim. A dotted placeholder (`{kubernetes.io.namespace}`) walks nested claims, taking
 * the longest key that matches at each level, since claim names may contain dots themselves.
 */
export function compileActorTemplate(template: string, where: string): ActorTemplate {
  if (typeof template !== 'string' || !template.startsWith('agent:')) {
    throw new ConfigError(
      `${PREFIX} ${where} must be a string beginning with "agent:", got ${JSON.stringify(template)}`,
    );
  }
  const paths: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const path = match[1] as string;
    if (path.length === 0) throw new ConfigError(`${PREFIX} ${where} has an empty placeholder {}`);
    paths.push(path);
  }
  const literal = template.replace(PLACEHOLDER, '');
  if (literal.includes('{') || literal.includes('}')) {
    throw new ConfigError(`${PREFIX} ${where} has an unbalanced brace`);
  }
  if (paths.length === 0) {
    throw new ConfigError(`${PREFIX} ${where} names no claim ({claim}): every workload would be one actor`);
  }
  return {
    source: template,
    fill(claims) {
      const values = new Map<string, string>();
      for (const path of paths) {
        const value = claimAt(claims, path);
        if (typeof value !== 'string' || !VALUE.test(value)) return { missing: path };
        values.set(path, value);
      }
      return { actor: template.replace(PLACEHOLDER, (_, path: string) => values.get(path) as string) };
    },
  };
}

/** The value at a dotted path, trying the longest key first at each level. */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  const parts = path.split('.');
  let current: unknown = claims;
  let index = 0;
  while (index < parts.length) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    let found = false;
    for (let end = parts.length; end > index; end--) {
      const key = parts.slice(index, end).join('.');
      if (Object.hasOwn(current, key)) {
        current = (current as Record<string, unknown>)[key];
        index = end;
        found = true;
        break;
      }
    }
    if (!found) return undefined;
  }
  return current;
}
