// Requests in memory: one per idempotency key, replaced only by their next version, settled ones retired oldest first.
import { type ApprovalRequest, isTerminal, type Store } from '@countersign/core';
import type { AuditChain } from './audit-chain.js';
import { FinishedQueue } from './finished-queue.js';
import { frozenRequest } from './frozen-copies.js';
import type { RequestListeners } from './listeners.js';

/** The stored requests and their idempotency index; settled ones past the limit are forgotten. */
export class RequestRecords {
  readonly byId = new Map<string, ApprovalRequest>();
  readonly byIdempotencyKey = new Map<string, string>();
  readonly #settled = new FinishedQueue();
  readonly #maxSettled: number;

  constructor(maxSettled: number) {
    this.#maxSettled = maxSettled;
  }

  /** Stores the next version of `current`; the caller checked the version. */
  replace(next: ApprovalRequest, current: ApprovalRequest): ApprovalRequest {
    return this.store(frozenRequest(next, current));
  }

  /** Stores a frozen request; once settled it joins the queue of those forgotten oldest first. */
  store(stored: ApprovalRequest): ApprovalRequest {
    this.byId.set(stored.id, stored);
    if (isTerminal(stored.status)) this.#retire(stored.id);
    return stored;
  }

  #retire(id: string): void {
    this.#settled.add(id, this.#maxSettled, (oldest) => {
      const request = this.byId.get(oldest);
      this.byId.delete(oldest);
      if (request?.idempotencyKey != null) {
        this.byIdempotencyKey.delete(idempotencyIndex(request.actor, request.idempotencyKey));
      }
    });
  }
}

function idempotencyIndex(actor: string, key: string): string {
  return `${actor}\u0000${key}`;
}

export type RequestMethods = Required<
  Pick<
    Store,
    | 'createRequest'
    | 'getRequest'
    | 'findRequestByIdempotencyKey'
    | 'updateRequest'
    | 'updateRequests'
    | 'listRequests'
  >
>;

export function requestMethods(
  records: RequestRecords,
  chain: AuditChain,
  listeners: RequestListeners,
): RequestMethods {
  const { byId, byIdempotencyKey } = records;
  return {
    async createRequest(request, audit) {
      if (request.idempotencyKey !== null) {
        const existingId = byIdempotencyKey.get(idempotencyIndex(request.actor, request.idempotencyKey));
        const existing = existingId === undefined ? undefined : byId.get(existingId);
        if (existing) return { created: false, request: existing };
      }
      if (byId.has(request.id))
        throw new Error(`[countersign] [memory] request ${request.id} already exists`);
      const stored = frozenRequest(request, null);
      byId.set(stored.id, stored);
      if (stored.idempotencyKey !== null) {
        byIdempotencyKey.set(idempotencyIndex(stored.actor, stored.idempotencyKey), stored.id);
      }
      chain.append(audit);
      listeners.notify(stored.id);
      return { created: true, request: stored };
    },

    async getRequest(id) {
      return byId.get(id) ?? null;
    },

    async findRequestByIdempotencyKey(actor, idempotencyKey) {
      const id = byIdempotencyKey.get(idempotencyIndex(actor, idempotencyKey));
      return id === undefined ? null : (byId.get(id) ?? null);
    },

    async updateRequest(next, audit) {
      const current = byId.get(next.id);
      if (!current || current.version !== next.version - 1) return null;
      const stored = records.replace(next, current);
      chain.append(audit);
      listeners.notify(stored.id);
      return stored;
    },

    async updateRequests(updates) {
      const ids = new Set(updates.map((update) => update.next.id));
      if (ids.size !== updates.length) return null;
      const currents: ApprovalRequest[] = [];
      for (const { next } of updates) {
        const current = byId.get(next.id);
        if (!current || current.version !== next.version - 1) return null;
        currents.push(current);
      }
      // Every copy first: copying is what can throw, and then nothing has been written.
      const copies = updates.map(({ next }, i) => frozenRequest(next, currents[i]!));
      const stored = copies.map((copy) => records.store(copy));
      chain.append(updates.flatMap((update) => update.audit));
      for (const request of stored) listeners.notify(request.id);
      return stored;
    },

    async listRequests(query) {
      const matches: ApprovalRequest[] = [];
      for (const request of byId.values()) {
        if (request.status !== query.status) continue;
        if (query.expiresAtOrBefore !== undefined && request.expiresAt > query.expiresAtOrBefore) continue;
        matches.push(request);
      }
      return matches.sort((a, b) => a.expiresAt - b.expiresAt).slice(0, query.limit);
    },
  };
}
