// Grants in memory: issued with their approval, consumed once by the matching call, revoked once, finished ones retired.
import {
  type ApprovalRequest,
  type ClaimExpectation,
  canonicalJson,
  claimDeadline,
  type GrantRecord,
  type Store,
  type SyncStoreMethods,
} from '@countersign/core';
import type { AuditChain } from './audit-chain.js';
import { FinishedQueue } from './finished-queue.js';
import { frozenRequest } from './frozen-copies.js';
import type { RequestListeners } from './listeners.js';
import type { RequestRecords } from './requests.js';

/** The stored grants and their token-hash index; revoked ones past the limit are forgotten. */
export class GrantRecords {
  readonly byId = new Map<string, GrantRecord>();
  readonly byTokenHash = new Map<string, string>();
  readonly #finished = new FinishedQueue();
  readonly #maxFinished: number;

  constructor(maxFinished: number) {
    this.#maxFinished = maxFinished;
  }

  refuseDuplicate(grant: GrantRecord): void {
    if (this.byId.has(grant.id) || this.byTokenHash.has(grant.tokenHash)) {
      throw new Error(`[countersign] [memory] grant ${grant.id} already exists`);
    }
  }

  insert(grant: GrantRecord): void {
    this.byId.set(grant.id, Object.freeze(Object.assign({}, grant)));
    this.byTokenHash.set(grant.tokenHash, grant.id);
  }

  /** The revoked grant, or null when it is unknown or already revoked. */
  revoke(id: string, now: number): GrantRecord | null {
    const grant = this.byId.get(id);
    if (!grant || grant.revokedAt !== null) return null;
    const revoked = Object.freeze(Object.assign({}, grant, { revokedAt: now }));
    this.byId.set(id, revoked);
    this.#retire(id);
    return revoked;
  }

  #retire(id: string): void {
    this.#finished.add(id, this.#maxFinished, (oldest) => {
      const grant = this.byId.get(oldest);
      this.byId.delete(oldest);
      if (grant) this.byTokenHash.delete(grant.tokenHash);
    });
  }
}

export type GrantMethods = Required<
  Pick<
    Store,
    | 'createGrant'
    | 'updateRequestAndCreateGrant'
    | 'claimApproved'
    | 'revokeGrantAndUpdateRequest'
    | 'getGrantByTokenHash'
    | 'consumeGrant'
    | 'revokeGrant'
    | 'listUnrevokedGrants'
  >
>;

export function grantMethods(
  grants: GrantRecords,
  requests: RequestRecords,
  chain: AuditChain,
  listeners: RequestListeners,
  sync: Omit<SyncStoreMethods, 'owner'>,
): GrantMethods {
  const { byId, byTokenHash } = grants;
  return {
    async updateRequestAndCreateGrant(next, audit, grant) {
      const current = requests.byId.get(next.id);
      if (!current || current.version !== next.version - 1) return null;
      grants.refuseDuplicate(grant);
      const stored = requests.replace(next, current);
      grants.insert(grant);
      chain.append(audit);
      listeners.notify(stored.id);
      return stored;
    },

    async claimApproved(id, expected, grant, audit) {
      const current = requests.byId.get(id);
      if (!current || !claimable(current, expected)) return null;
      grants.refuseDuplicate(grant);
      const stored = requests.replace(
        { ...current, version: current.version + 1, grantId: grant.id },
        current,
      );
      grants.insert(grant);
      chain.append(audit);
      listeners.notify(stored.id);
      return stored;
    },

    async revokeGrantAndUpdateRequest(revoke, update) {
      const current = requests.byId.get(update.next.id);
      const matches = current !== undefined && current.version === update.next.version - 1;
      // The copy first: it is what can throw, and then nothing has been written.
      const copy = matches ? frozenRequest(update.next, current) : null;
      const grant = grants.revoke(revoke.id, revoke.now);
      const request = copy === null ? null : requests.store(copy);
      chain.append([...(grant ? revoke.audit : []), ...(request ? update.audit : [])]);
      if (request) listeners.notify(request.id);
      return { grant, request };
    },

    async createGrant(grant, audit) {
      sync.createGrant(grant, audit);
    },

    async listUnrevokedGrants(query) {
      const due: GrantRecord[] = [];
      for (const grant of byId.values()) {
        if (grant.revokedAt === null && grant.expiresAt <= query.expiresAtOrBefore) due.push(grant);
      }
      return due.sort((a, b) => a.expiresAt - b.expiresAt).slice(0, query.limit);
    },

    async getGrantByTokenHash(tokenHash) {
      const id = byTokenHash.get(tokenHash);
      return id === undefined ? null : (byId.get(id) ?? null);
    },

    async consumeGrant(match, audit) {
      return sync.consumeGrant(match, audit);
    },

    async revokeGrant(id, now, audit) {
      return sync.revokeGrant(id, now, audit);
    },
  };
}

/** Whether `claimApproved` may claim `request`: an unclaimed approval of exactly the expected call, in time. */
function claimable(request: ApprovalRequest, expected: ClaimExpectation): boolean {
  return (
    request.status === 'approved' &&
    request.grantId === null &&
    request.fingerprint === expected.fingerprint &&
    request.sessionId === expected.sessionId &&
    request.actor === expected.actor &&
    request.onBehalfOf === expected.onBehalfOf &&
    request.reason === expected.reason &&
    request.ruleId === expected.ruleId &&
    claimDeadline(request) > expected.now &&
    // The stored action is a frozen copy, often of this very object.
    (request.action === expected.action || canonicalJson(request.action) === canonicalJson(expected.action))
  );
}

/**
 * The grant writes, completing in place: core calls these directly (under `SYNC_STORE`) on the
 * allow path, and the Store methods above are these behind a promise.
 */
export function syncGrantMethods(grants: GrantRecords, chain: AuditChain): Omit<SyncStoreMethods, 'owner'> {
  const { byId, byTokenHash } = grants;
  return {
    createGrant(grant, audit) {
      grants.refuseDuplicate(grant);
      grants.insert(grant);
      chain.append(audit);
    },

    consumeGrant(match, audit) {
      const id = byTokenHash.get(match.tokenHash);
      const grant = id === undefined ? undefined : byId.get(id);
      if (
        !grant ||
        grant.fingerprint !== match.fingerprint ||
        grant.sessionId !== match.sessionId ||
        grant.consumedAt !== null ||
        grant.revokedAt !== null ||
        grant.expiresAt <= match.now
      ) {
        return null;
      }
      const consumed = Object.freeze(Object.assign({}, grant, { consumedAt: match.now }));
      byId.set(grant.id, consumed);
      chain.append(audit);
      return consumed;
    },

    revokeGrant(id, now, audit) {
      const revoked = grants.revoke(id, now);
      if (revoked !== null) chain.append(audit);
      return revoked;
    },
  };
}
