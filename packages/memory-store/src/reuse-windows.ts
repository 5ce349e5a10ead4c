// Reuse windows in memory: opened once, each use a compare-and-set on the count, revoked once, ended ones pruned.
import type { ReuseWindow, Store } from '@countersign/core';
import type { AuditChain } from './audit-chain.js';

export type ReuseWindowMethods = Required<
  Pick<
    Store,
    'createReuseWindow' | 'findReuseWindows' | 'useReuseWindow' | 'revokeReuseWindow' | 'getReuseWindow'
  >
>;

export function reuseWindowMethods(chain: AuditChain): ReuseWindowMethods {
  /** Reuse windows; those past their end are dropped as new ones arrive. */
  const windows = new Map<string, ReuseWindow>();
  let nextPrune = 1_000;

  /** Drops windows that ended before `now`; amortised, so memory tracks the live windows. */
  const prune = (now: number): void => {
    for (const [id, window] of windows) if (window.expiresAt <= now) windows.delete(id);
    nextPrune = Math.max(1_000, windows.size * 2);
  };

  return {
    async createReuseWindow(window, audit) {
      if (windows.has(window.id)) return false;
      if (windows.size >= nextPrune) prune(window.createdAt);
      windows.set(window.id, Object.freeze({ ...window }));
      chain.append(audit);
      return true;
    },

    async findReuseWindows(query) {
      const live: ReuseWindow[] = [];
      for (const window of windows.values()) {
        if (window.scope !== query.scope || window.match !== query.match || window.ruleId !== query.ruleId)
          continue;
        if (isLiveWindow(window, query.now)) live.push(window);
      }
      return live.sort((a, b) => a.createdAt - b.createdAt).slice(0, 10);
    },

    async useReuseWindow(id, uses, now, audit) {
      const window = windows.get(id);
      if (!window || window.uses !== uses || !isLiveWindow(window, now)) return null;
      const used = Object.freeze({ ...window, uses: uses + 1 });
      windows.set(id, used);
      chain.append(audit);
      return used;
    },

    async revokeReuseWindow(id, now, audit) {
      const window = windows.get(id);
      if (!window || window.revokedAt !== null) return null;
      const revoked = Object.freeze({ ...window, revokedAt: now });
      windows.set(id, revoked);
      chain.append(audit);
      return revoked;
    },

    async getReuseWindow(id) {
      return windows.get(id) ?? null;
    },
  };
}

function isLiveWindow(window: ReuseWindow, now: number): boolean {
  return window.revokedAt === null && window.expiresAt > now && window.uses < window.maxUses;
}
