// A thrown value as text for a log line.

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
