// Durations: '500ms', '60s', '15m', '2h', '1d' or milliseconds, bounded from 1 ms to 366 days.
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration as milliseconds or a string such as `'500ms'`, `'60s'`, `'15m'`, `'2h'`, `'1d'`. */
export type Duration = number | `${number}${keyof typeof UNIT_MS}`;

/**
 * The longest duration accepted anywhere: 366 days. Bounded so that a deadline computed from it
 * is always a valid date, and a duration that passes option checks never makes a record invalid.
 */
export const MAX_DURATION_MS = 366 * 86_400_000;

/** Returns whole milliseconds, or null unless the value is a duration from 1 ms to 366 days. */
export function parseDuration(value: Duration | string): number | null {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim());
    if (!match) return null;
    ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  } else return null;
  if (!Number.isFinite(ms)) return null;
  const rounded = Math.round(ms);
  return rounded >= 1 && rounded <= MAX_DURATION_MS ? rounded : null;
}
