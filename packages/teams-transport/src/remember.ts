// This process's memory of requests and activities: maps that keep only their newest entries.

/** Requests and activity ids remembered per process. */
const MEMORY_LIMIT = 10_000;

/** Sets a key, dropping the oldest entries beyond {@link MEMORY_LIMIT}. */
export function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MEMORY_LIMIT) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}
