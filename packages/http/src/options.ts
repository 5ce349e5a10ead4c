// Checks option objects: unknown keys are errors that name the key, never silently ignored.
import { ConfigError } from '@countersign/core';

export const PREFIX = '[http]';

export function checkKeys(value: unknown, allowed: readonly string[], where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${PREFIX} ${where} must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(
        `${PREFIX} unknown option "${key}" in ${where}; expected one of ${allowed.join(', ')}`,
      );
    }
  }
}

export function positiveInteger(value: number | undefined, fallback: number, where: string): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result <= 0) {
    throw new ConfigError(`${PREFIX} ${where} must be a positive integer, got ${String(value)}`);
  }
  return result;
}
