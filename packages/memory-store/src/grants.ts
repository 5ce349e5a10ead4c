// Grants in memory: issued with their approval, consumed once by the matching call, revoked once, finished ones retired.
import {
  type ApprovalRequest,
  type ClaimExpectation,
  type ConsumeGrantMatch,
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

/**
 * One grant's place in the store, which both indexes share: consuming or revoking a grant replaces
 * `record` and touches neither map, and forgetting it needs no lookup to find its token hash.
 */
interface GrantSlot {
  record: GrantRecord;
}

/** The stored grants and their token-hash index; revoked ones past the limit are forgotten. */
export class GrantRecords {
  readonly #byId = new Map<string, GrantSlot>();
  readonly #byTokenHash = new Map<string, GrantSlot>();
  readonly #finished = new FinishedQueue<GrantSlot>();
  readonly #maxFinished: number;
  /** Forgets a finished grant: one closure for the store, not one per revocation. */
  readonly #forget = (oldest: GrantSlot): void => {
    this.#byId.delete(oldest.record.id);
    this.#byTokenHash.delete(oldest.record.tokenHash);
  };

  constructor(maxFinished: number) {
    this.#maxFinished = maxFinished;
  }

  refuseDuplicate(grant: GrantRecord): void {
    if (this.#byId.has(grant.id) || this.#byTokenHash.has(grant.tokenHash)) {
      throw new Error(`[countersign] [memory] grant ${grant.id} already exists`);
    }
  }

  insert(grant: GrantRecord): void {
    const slot = { record: frozenGrant(grant, grant.consumedAt, grant.revokedAt) };
    this.#byId.set(slot.record.id, slot);
    this.#byTokenHash.set(slot.record.tokenHash, slot);
  }

  byTokenHash(tokenHash: string): GrantRecord | null {
    return this.#byTokenHash.get(tokenHash)?.record ?? null;
  }

  *values(): IterableIterator<GrantRecord> {
    for (const slot of this.#byId.values()) yield slot.record;
  }

  /** The consumed grant, or null when `match` does not find one it may consume. */
  consume(match: ConsumeGrantMatch): GrantRecord | null {
    const slot = this.#byTokenHash.get(match.tokenHash);
    if (slot === undefined) return null;
    const grant = slot.record;
    if (
      grant.fingerprint !== match.fingerprint ||
      grant.sessionId !== match.sessionId ||
      grant.consumedAt !== null ||
      grant.revokedAt !== null ||
      grant.expiresAt <= match.now
    ) {
      return null;
    }
    slot.record = frozenGrant(grant, match.now, grant.revokedAt);
    return slot.record;
  }

  /** The revoked grant, or null when it is unknown or already revoked. */
  revoke(id: string, now: number): GrantRecord | null {
    const slot = this.#byId.get(id);
    if (slot === undefined || slot.record.revokedAt !== null) return null;
    slot.record = frozenGrant(slot.record, slot.record.consumedAt, now);
    this.#finished.add(slot, this.#maxFinished, this.#forget);
    return slot.record;
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
      for (const grant of grants.values()) {
        if (grant.revokedAt === null && grant.expiresAt <= query.expiresAtOrBefore) due.push(grant);
      }
      return due.sort((a, b) => a.expiresAt - b.expiresAt).slice(0, query.limit);
    },

    async getGrantByTokenHash(tokenHash) {
      return grants.byTokenHash(tokenHash);
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
  return {
    createGrant(grant, audit) {
      grants.refuseDuplicate(grant);
      grants.insert(grant);
      chain.append(audit);
    },

    consumeGrant(match, audit) {
      const consumed = grants.consume(match);
      // Core's consumption through a grant it is running writes no entry (the grant's end records it).
      if (consumed !== null && audit.length > 0) chain.append(audit);
      return consumed;
    },

    revokeGrant(id, now, audit) {
      const revoked = grants.revoke(id, now);
      if (revoked !== null) chain.append(audit);
      return revoked;
    },
  };
}

/**
 * A frozen copy of a grant's eleven members, with its consumption and revocation as given: one
 * literal, so every stored grant shares one hidden class (Object.assign with a change costs a
 * second object and a slower copy), and each member read exactly once.
 */
function frozenGrant(grant: GrantRecord, consumedAt: number | null, revokedAt: number | null): GrantRecord {
  return Object.freeze({
    id: grant.id,
    tokenHash: grant.tokenHash,
    fingerprint: grant.fingerprint,
    sessionId: grant.sessionId,
    requestId: grant.requestId,
    actor: grant.actor,
    ruleId: grant.ruleId,
    issuedAt: grant.issuedAt,
    expiresAt: grant.expiresAt,
    consumedAt,
    revokedAt,
  });
}
