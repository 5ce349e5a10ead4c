// Remembers signed message ids for as long as their timestamps are acceptable: each is accepted once.

/**
 * Where message ids are remembered. The in-memory default protects one process; put several
 * server processes behind one shared implementation (e.g. a table with a unique key).
 */
export interface ReplayGuard {
  /**
   * Claims `id` until `until` (ms since the epoch). MUST be atomic: of concurrent claims of one
   * id exactly one resolves true, and every later claim before `until` resolves false.
   */
  claim(id: string, until: number): Promise<boolean>;
}

/** Default bound on remembered ids; beyond it new claims are refused, never old ones forgotten early. */
const DEFAULT_CAPACITY = 100_000;

export function createMemoryReplayGuard(
  options: { now?: (() => number) | undefined; capacity?: number | undefined } = {},
): ReplayGuard {
  const now = options.now ?? Date.now;
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  const seen = new Map<string, number>();
  return {
    async claim(id, until) {
      const at = now();
      const known = seen.get(id);
      if (known !== undefined && known > at) return false;
      if (seen.size >= capacity) {
        for (const [key, expiry] of seen) if (expiry <= at) seen.delete(key);
        // Fail closed: a flood of ids must not make the guard forget live ones.
        if (seen.size >= capacity) return false;
      }
      seen.set(id, until);
      return true;
    },
  };
}
