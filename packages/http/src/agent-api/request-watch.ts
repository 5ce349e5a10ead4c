// Wakes long polls by request id: one subscription to the change feed, however many agents wait.
import type { ChangeFeed } from '../change-feed.js';

export interface RequestWatch {
  /** Calls `wake` whenever request `id` changes, until the returned function is called. */
  watch(id: string, wake: () => void): () => void;
}

export function createRequestWatch(feed: ChangeFeed): RequestWatch {
  const byId = new Map<string, Set<() => void>>();
  // Subscribed on the first watch, for the feed's life: it closes with the API.
  let subscribed = false;
  return {
    watch(id, wake) {
      if (!subscribed) {
        subscribed = true;
        feed.subscribe((request) => {
          const watchers = byId.get(request.id);
          if (watchers !== undefined) for (const each of [...watchers]) each();
        });
      }
      let watchers = byId.get(id);
      if (watchers === undefined) {
        watchers = new Set();
        byId.set(id, watchers);
      }
      watchers.add(wake);
      return () => {
        watchers.delete(wake);
        if (watchers.size === 0) byId.delete(id);
      };
    },
  };
}
