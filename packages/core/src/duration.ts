const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration as milliseconds or a string such as `'500ms'`, `'60s'`, `'15m'`, `'2h'`, `'1d'`. */
export type Duration = number | `${number}${keyof typeof UNIT_MS}`;

/** Returns milliseconds, or null when the value is not a positive finite duration. */
export function parseDuration(value: Duration | string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : null;
  const match = PATTERN.exec(value.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? Math.round(ms) : null;
}
