// MemoryStore: the Store contract in this process's memory, with bounded retention.
import {
  type ApprovalRequest,
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
  type ConsumeGrantMatch,
  type CreateRequestResult,
  type GrantRecord,
  isTerminal,
  type ListGrantsQuery,
  type ListRequestsQuery,
  type ReuseWindow,
  type ReuseWindowQuery,
  type Store,
  sealAuditEntries,
} from '@countersign/core';
import { FinishedQueue } from './finished-queue.js';

/**
 * How much the store keeps. Pending requests and live grants are always kept. A long-running
 * process should set `maxAuditEntries`: with it, memory is bounded by the three limits (about
 * 1 KB per audit entry plus a few KB per kept request; see `bench/RESULTS.md`), and the heap
 * stays flat over a million guarded calls. Without it the audit chain grows with every call.
 */
export interface MemoryStoreRetention {
  /** Settled requests kept, oldest dropped first. Default 10,000. */
  maxSettledRequests?: number | undefined;
  /** Revoked grants kept, oldest dropped first. Default 10,000. */
  maxFinishedGrants?: number | undefined;
  /**
   * Audit entries kept, oldest dropped first. Default: all. Once entries are dropped, verify with
   * `{ allowPruned: true }`; export first if you need the whole chain.
   */
  maxAuditEntries?: number | undefined;
}

export interface MemoryStoreOptions {
  retention?: MemoryStoreRetention | undefined;
}

/**
 * A store in this process's memory: the default for tests, demos and single-process agents.
 * It does not survive a restart and cannot be shared between processes; use
 * `@countersign/postgres-store` for that. Records are frozen so no plugin can edit them in place.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  return new MemoryStore(options.retention ?? {});
}

class MemoryStore implements Store {
  readonly name = 'memory';
  private readonly requests = new Map<string, ApprovalRequest>();
  private readonly byIdempotencyKey = new Map<string, string>();
  private readonly settled = new FinishedQueue();
  private readonly grants = new Map<string, GrantRecord>();
  /** Reuse windows; those past their end are dropped as new ones arrive. */
  private readonly windows = new Map<string, ReuseWindow>();
  private nextWindowPrune = 1_000;
  private readonly grantByTokenHash = new Map<string, string>();
  private readonly finishedGrants = new FinishedQueue();
  private audit: AuditEntry[] = [];
  private auditStart = 0;
  private head: AuditHead | null = null;
  private readonly listeners = new Set<(requestId: string) => void>();
  private readonly maxSettled: number;
  private readonly maxFinishedGrants: number;
  private readonly maxAudit: number;

  constructor(retention: MemoryStoreRetention) {
    this.maxSettled = retention.maxSettledRequests ?? 10_000;
    this.maxFinishedGrants = retention.maxFinishedGrants ?? 10_000;
    this.maxAudit = retention.maxAuditEntries ?? Number.POSITIVE_INFINITY;
  }

  async createRequest(request: ApprovalRequest, audit: readonly AuditDraft[]): Promise<CreateRequestResult> {
    if (request.idempotencyKey !== null) {
      const existingId = this.byIdempotencyKey.get(idempotencyIndex(request.actor, request.idempotencyKey));
      const existing = existingId === undefined ? undefined : this.requests.get(existingId);
      if (existing) return { created: false, request: existing };
    }
    if (this.requests.has(request.id))
      throw new Error(`[countersign] [memory] request ${request.id} already exists`);
    const stored = frozenRequest(request, null);
    this.requests.set(stored.id, stored);
    if (stored.idempotencyKey !== null) {
      this.byIdempotencyKey.set(idempotencyIndex(stored.actor, stored.idempotencyKey), stored.id);
    }
    this.appendNow(audit);
    this.notify(stored.id);
    return { created: true, request: stored };
  }

  async getRequest(id: string): Promise<ApprovalRequest | null> {
    return this.requests.get(id) ?? null;
  }

  async findRequestByIdempotencyKey(actor: string, idempotencyKey: string): Promise<ApprovalRequest | null> {
    const id = this.byIdempotencyKey.get(idempotencyIndex(actor, idempotencyKey));
    return id === undefined ? null : (this.requests.get(id) ?? null);
  }

  async updateRequest(next: ApprovalRequest, audit: readonly AuditDraft[]): Promise<ApprovalRequest | null> {
    const current = this.requests.get(next.id);
    if (!current || current.version !== next.version - 1) return null;
    const stored = this.replaceNow(next, current);
    this.appendNow(audit);
    this.notify(stored.id);
    return stored;
  }

  async updateRequests(
    updates: readonly { next: ApprovalRequest; audit: readonly AuditDraft[] }[],
  ): Promise<ApprovalRequest[] | null> {
    const ids = new Set(updates.map((update) => update.next.id));
    if (ids.size !== updates.length) return null;
    const currents: ApprovalRequest[] = [];
    for (const { next } of updates) {
      const current = this.requests.get(next.id);
      if (!current || current.version !== next.version - 1) return null;
      currents.push(current);
    }
    // Every copy first: copying is what can throw, and then nothing has been written.
    const copies = updates.map(({ next }, i) => frozenRequest(next, currents[i]!));
    const stored = copies.map((copy) => this.storeNow(copy));
    this.appendNow(updates.flatMap((update) => update.audit));
    for (const request of stored) this.notify(request.id);
    return stored;
  }

  async createReuseWindow(window: ReuseWindow, audit: readonly AuditDraft[]): Promise<boolean> {
    if (this.windows.has(window.id)) return false;
    if (this.windows.size >= this.nextWindowPrune) this.pruneWindows(window.createdAt);
    this.windows.set(window.id, Object.freeze({ ...window }));
    this.appendNow(audit);
    return true;
  }

  async findReuseWindows(query: ReuseWindowQuery): Promise<ReuseWindow[]> {
    const live: ReuseWindow[] = [];
    for (const window of this.windows.values()) {
      if (window.scope !== query.scope || window.match !== query.match || window.ruleId !== query.ruleId)
        continue;
      if (isLiveWindow(window, query.now)) live.push(window);
    }
    return live.sort((a, b) => a.createdAt - b.createdAt).slice(0, 10);
  }

  async useReuseWindow(
    id: string,
    uses: number,
    now: number,
    audit: readonly AuditDraft[],
  ): Promise<ReuseWindow | null> {
    const window = this.windows.get(id);
    if (!window || window.uses !== uses || !isLiveWindow(window, now)) return null;
    const used = Object.freeze({ ...window, uses: uses + 1 });
    this.windows.set(id, used);
    this.appendNow(audit);
    return used;
  }

  async revokeReuseWindow(
    id: string,
    now: number,
    audit: readonly AuditDraft[],
  ): Promise<ReuseWindow | null> {
    const window = this.windows.get(id);
    if (!window || window.revokedAt !== null) return null;
    const revoked = Object.freeze({ ...window, revokedAt: now });
    this.windows.set(id, revoked);
    this.appendNow(audit);
    return revoked;
  }

  async getReuseWindow(id: string): Promise<ReuseWindow | null> {
    return this.windows.get(id) ?? null;
  }

  /** Drops windows that ended before `now`; amortised, so memory tracks the live windows. */
  private pruneWindows(now: number): void {
    for (const [id, window] of this.windows) if (window.expiresAt <= now) this.windows.delete(id);
    this.nextWindowPrune = Math.max(1_000, this.windows.size * 2);
  }

  async updateRequestAndCreateGrant(
    next: ApprovalRequest,
    audit: readonly AuditDraft[],
    grant: GrantRecord,
  ): Promise<ApprovalRequest | null> {
    const current = this.requests.get(next.id);
    if (!current || current.version !== next.version - 1) return null;
    this.refuseDuplicateGrant(grant);
    const stored = this.replaceNow(next, current);
    this.insertGrantNow(grant);
    this.appendNow(audit);
    this.notify(stored.id);
    return stored;
  }

  async revokeGrantAndUpdateRequest(
    revoke: { id: string; now: number; audit: readonly AuditDraft[] },
    update: { next: ApprovalRequest; audit: readonly AuditDraft[] },
  ): Promise<{ grant: GrantRecord | null; request: ApprovalRequest | null }> {
    const current = this.requests.get(update.next.id);
    const matches = current !== undefined && current.version === update.next.version - 1;
    // The copy first: it is what can throw, and then nothing has been written.
    const copy = matches ? frozenRequest(update.next, current) : null;
    const grant = this.revokeNow(revoke.id, revoke.now);
    const request = copy === null ? null : this.storeNow(copy);
    this.appendNow([...(grant ? revoke.audit : []), ...(request ? update.audit : [])]);
    if (request) this.notify(request.id);
    return { grant, request };
  }

  async listRequests(query: ListRequestsQuery): Promise<ApprovalRequest[]> {
    const matches: ApprovalRequest[] = [];
    for (const request of this.requests.values()) {
      if (request.status !== query.status) continue;
      if (query.expiresAtOrBefore !== undefined && request.expiresAt > query.expiresAtOrBefore) continue;
      matches.push(request);
    }
    return matches.sort((a, b) => a.expiresAt - b.expiresAt).slice(0, query.limit);
  }

  async createGrant(grant: GrantRecord, audit: readonly AuditDraft[]): Promise<void> {
    this.refuseDuplicateGrant(grant);
    this.insertGrantNow(grant);
    this.appendNow(audit);
  }

  async listUnrevokedGrants(query: ListGrantsQuery): Promise<GrantRecord[]> {
    const due: GrantRecord[] = [];
    for (const grant of this.grants.values()) {
      if (grant.revokedAt === null && grant.expiresAt <= query.expiresAtOrBefore) due.push(grant);
    }
    return due.sort((a, b) => a.expiresAt - b.expiresAt).slice(0, query.limit);
  }

  async getGrantByTokenHash(tokenHash: string): Promise<GrantRecord | null> {
    const id = this.grantByTokenHash.get(tokenHash);
    return id === undefined ? null : (this.grants.get(id) ?? null);
  }

  async consumeGrant(match: ConsumeGrantMatch, audit: readonly AuditDraft[]): Promise<GrantRecord | null> {
    const id = this.grantByTokenHash.get(match.tokenHash);
    const grant = id === undefined ? undefined : this.grants.get(id);
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
    this.grants.set(grant.id, consumed);
    this.appendNow(audit);
    return consumed;
  }

  async revokeGrant(id: string, now: number, audit: readonly AuditDraft[]): Promise<GrantRecord | null> {
    const revoked = this.revokeNow(id, now);
    if (revoked !== null) this.appendNow(audit);
    return revoked;
  }

  async appendAudit(audit: readonly AuditDraft[]): Promise<void> {
    this.appendNow(audit);
  }

  async readAudit(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const firstSeq = this.audit[this.auditStart]?.seq ?? (this.head?.seq ?? 0) + 1;
    const from = this.auditStart + Math.max(0, afterSeq - firstSeq + 1);
    return this.audit.slice(from, from + limit);
  }

  async auditHead(): Promise<AuditHead | null> {
    return this.head;
  }

  async subscribe(listener: (requestId: string) => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Stores the next version of `current`; the caller checked the version. */
  private replaceNow(next: ApprovalRequest, current: ApprovalRequest): ApprovalRequest {
    return this.storeNow(frozenRequest(next, current));
  }

  private storeNow(stored: ApprovalRequest): ApprovalRequest {
    this.requests.set(stored.id, stored);
    if (isTerminal(stored.status)) this.retireRequest(stored.id);
    return stored;
  }

  private refuseDuplicateGrant(grant: GrantRecord): void {
    if (this.grants.has(grant.id) || this.grantByTokenHash.has(grant.tokenHash)) {
      throw new Error(`[countersign] [memory] grant ${grant.id} already exists`);
    }
  }

  private insertGrantNow(grant: GrantRecord): void {
    this.grants.set(grant.id, Object.freeze(Object.assign({}, grant)));
    this.grantByTokenHash.set(grant.tokenHash, grant.id);
  }

  /** The revoked grant, or null when it is unknown or already revoked. */
  private revokeNow(id: string, now: number): GrantRecord | null {
    const grant = this.grants.get(id);
    if (!grant || grant.revokedAt !== null) return null;
    const revoked = Object.freeze(Object.assign({}, grant, { revokedAt: now }));
    this.grants.set(id, revoked);
    this.retireGrant(id);
    return revoked;
  }

  /** Synchronous, so nothing interleaves between reading the head and appending after it. */
  private appendNow(drafts: readonly AuditDraft[]): AuditEntry[] {
    if (drafts.length === 0) return [];
    const sealed = sealAuditEntries(this.head, drafts).map(freezeEntry);
    for (const entry of sealed) this.audit.push(entry);
    const last = sealed[sealed.length - 1]!;
    this.head = { seq: last.seq, hash: last.hash };
    this.pruneAudit();
    return sealed;
  }

  private pruneAudit(): void {
    const kept = this.audit.length - this.auditStart;
    if (kept <= this.maxAudit) return;
    this.auditStart += kept - this.maxAudit;
    // Compact once the dropped prefix is as large as what is kept, so pruning stays O(1) amortised.
    if (this.auditStart >= this.audit.length - this.auditStart) {
      this.audit = this.audit.slice(this.auditStart);
      this.auditStart = 0;
    }
  }

  private retireRequest(id: string): void {
    this.settled.add(id, this.maxSettled, (oldest) => {
      const request = this.requests.get(oldest);
      this.requests.delete(oldest);
      if (request?.idempotencyKey != null) {
        this.byIdempotencyKey.delete(idempotencyIndex(request.actor, request.idempotencyKey));
      }
    });
  }

  private retireGrant(id: string): void {
    this.finishedGrants.add(id, this.maxFinishedGrants, (oldest) => {
      const grant = this.grants.get(oldest);
      this.grants.delete(oldest);
      if (grant) this.grantByTokenHash.delete(grant.tokenHash);
    });
  }

  private notify(requestId: string): void {
    for (const listener of this.listeners) listener(requestId);
  }
}

function idempotencyIndex(actor: string, key: string): string {
  return `${actor}\u0000${key}`;
}

/**
 * A deep-frozen copy, as `deepFreeze(structuredClone(value))` gives, in one walk. Plain objects
 * and arrays are copied and strings shared (they are immutable), which keeps a stored request
 * from duplicating every string core already holds; anything else is left to structuredClone.
 */
function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  // Nothing in it can change, so sharing is as good as copying, and the versions of a request
  // keep one copy of the parts they have in common. (Freezing is this store's own integrity:
  // core checks what it reads back the same way whether a store freezes or not.)
  if (isDeepFrozen(value)) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return deepFreeze(structuredClone(value));
  // Object.assign, then replace nested members: frozen copies made by spreading measured about
  // 1 KB more per request in the heap (bench case 4), and key by key gives a dictionary object.
  const copy: Record<string, unknown> = Object.assign({}, value as Record<string, unknown>);
  for (const key of Object.keys(copy)) {
    const member = copy[key];
    if (typeof member === 'object' && member !== null) copy[key] = frozenCopy(member);
  }
  return Object.freeze(copy) as T;
}

/**
 * A deep-frozen copy of a request, written as one literal so that every stored request shares one
 * hidden class. (Copies made key by key went to V8 dictionary mode, 1.4 KB more per request,
 * depending on which other shapes the process had seen.) Members taken over unchanged from
 * `previous`, a stored version and so deep-frozen already, are shared without walking them again.
 */
function isLiveWindow(window: ReuseWindow, now: number): boolean {
  return window.revokedAt === null && window.expiresAt > now && window.uses < window.maxUses;
}

function frozenRequest(request: ApprovalRequest, previous: ApprovalRequest | null): ApprovalRequest {
  const kept = <K extends 'action' | 'approvers' | 'decisions' | 'deliveries'>(key: K) =>
    request[key] === previous?.[key] ? request[key] : frozenCopy(request[key]);
  return Object.freeze({
    id: request.id,
    version: request.version,
    status: request.status,
    fingerprint: request.fingerprint,
    action: kept('action'),
    actor: request.actor,
    onBehalfOf: request.onBehalfOf,
    reason: request.reason,
    sessionId: request.sessionId,
    idempotencyKey: request.idempotencyKey,
    risk: request.risk,
    ruleId: request.ruleId,
    approvers: kept('approvers'),
    quorum: request.quorum,
    grantTtlMs: request.grantTtlMs,
    decisions: kept('decisions'),
    deliveries: kept('deliveries'),
    createdAt: request.createdAt,
    expiresAt: request.expiresAt,
    decidedAt: request.decidedAt,
    grantId: request.grantId,
    closedReason: request.closedReason,
  });
}

/** Only `action` can hold objects; every other member of a sealed entry is a string, number or null. */
function freezeEntry(entry: AuditEntry): AuditEntry {
  if (entry.action !== null) deepFreeze(entry.action);
  return Object.freeze(entry);
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || isDeepFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const child of Object.values(value)) if (!isDeepFrozen(child)) return false;
  return true;
}
