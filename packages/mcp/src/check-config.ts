// Validation of options and config files: every problem named, unknown keys included.
import { ConfigError } from '@countersign/core';
import type { z } from 'zod';

/** Parses `value` with a strict schema or throws a `ConfigError` listing each problem by path. */
export function checkConfig<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return issue.code === 'unrecognized_keys'
      ? `${at}unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`
      : `${at}${issue.message}`;
  });
  throw new ConfigError(`[mcp] invalid ${what}: ${issues.join('; ')}`);
}
