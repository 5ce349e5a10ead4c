// The Store contract as runnable tests, which every store runs: atomicity, races, the audit chain, sweeping.
import { type ApprovalRequest, approvalRequestSchema } from '../approval.js';
import { toJsonLines } from '../audit.js';
import { verifyAuditLog } from '../audit-verify.js';
import { createCountersign } from '../countersign.js';
import { type GrantRecord, grantRecordSchema } from '../grants.js';
import { STRANDED_REASON, UNENDED_GRANT_REASON, UNUSED_APPROVAL_REASON } from '../lapse.js';
import type { ReuseWindow, Store } from '../store.js';
import { SAMPLE_TIME, sampleDraft, sampleGrant, sampleRequest } from './fixtures.js';
import { createRecordingTransport } from './recording-transport.js';
import type { ConformanceRunner } from './runner.js';
import { createTestClock } from './test-clock.js';

export interface StoreConformanceOptions {
  /** A fresh, empty store for each test. */
  create(): Promise<Store> | Store;
  /** Called after each test; the suite closes the store itself. */
  destroy?(store: Store): Promise<void> | void;
  /** Concurrent callers in the race cases. Default 20. */
  racers?: number;
  /** Test names to skip, each with the reason, e.g. `{ 'notifies subscribers': 'no push support' }`. */
  skip?: Record<string, string>;
  /**
   * The store's own sweeper, if it has one (the PostgreSQL store's `sweepExpired`): the sweep cases
   * run it as well as core's `sweep()`. It may keep its own clock: those cases date their records
   * hours before or after `Date.now()`.
   */
  sweep?: ((store: Store) => Promise<unknown>) | undefined;
}

const HOUR = 3_600_000;

/**
 * An approval decided `decidedAgo` before `now`, with a one-hour grant lifetime, and when `claimedAgo`
 * is given, claimed then: the grant it was given, consumed at once.
 */
function sampleApproval(now: number, decidedAgo: number, claimedAgo?: number) {
  const grant =
    claimedAgo === undefined
      ? null
      : sampleGrant({
          issuedAt: now - claimedAgo,
          expiresAt: now - claimedAgo + HOUR,
          consumedAt: now - claimedAgo,
        });
  const request = sampleRequest({
    status: 'approved',
    createdAt: now - decidedAgo - 60_000,
    expiresAt: now - decidedAgo + HOUR,
    decidedAt: now - decidedAgo,
    decisions: [
      { approver: 'user:bob', outcome: 'approve', comment: null, via: 'api', at: now - decidedAgo - 1000 },
      { approver: 'user:carol', outcome: 'approve', comment: null, via: 'api', at: now - decidedAgo },
    ],
    grantTtlMs: HOUR,
    grantId: grant?.id ?? null,
  });
  return { request, grant: grant === null ? null : { ...grant, requestId: request.id } };
}

/** A live reuse window opened at `now` for an hour, one use of three left unused. */
function sampleWindow(now: number, overrides: Partial<ReuseWindow> = {}): ReuseWindow {
  const requestId = sampleRequest().id;
  return {
    id: `reuse_${requestId}`,
    requestId,
    ruleId: 'exports',
    scope: '["session","agent:report-bot",null,"sess_1"]',
    match: 'a'.repeat(64),
    risk: 'medium',
    createdAt: now,
    expiresAt: now + HOUR,
    maxUses: 3,
    uses: 0,
    revokedAt: null,
    ...overrides,
  };
}

/** Writes approvals as a guard would have left them, grants included. */
async function storeApprovals(store: Store, approvals: ReturnType<typeof sampleApproval>[]): Promise<void> {
  for (const { request, grant } of approvals) {
    await store.createRequest(request, []);
    if (grant !== null) await store.createGrant(grant, []);
  }
}

/** What a resource presents to consume `grant`, without the time. */
function matchOf(grant: GrantRecord) {
  return { tokenHash: grant.tokenHash, fingerprint: grant.fingerprint, sessionId: grant.sessionId };
}

/**
 * The contract every Store must meet, as runnable tests. Call it inside a test file:
 * `runStoreConformance({ describe, test, expect }, { create: () => createMyStore() })`.
 */
export function runStoreConformance(runner: ConformanceRunner, options: StoreConformanceOptions): void {
  const { describe, expect } = runner;
  const racers = options.racers ?? 20;
  const test = (name: string, body: (store: Store) => Promise<void>) => {
    if (options.skip?.[name]) return;
    runner.test(name, async () => {
      const store = await options.create();
      try {
        await body(store);
      } finally {
        await options.destroy?.(store);
        await store.close();
      }
    });
  };

  describe('store conformance', () => {
    test('round-trips a request exactly', async (store) => {
      const request = sampleRequest();
      const result = await store.createRequest(request, [sampleDraft()]);
      expect(result.created).toBe(true);
      const read = await store.getRequest(request.id);
      expect(approvalRequestSchema.parse(read)).toEqual(request);
    });

    test('returns null for an unknown request', async (store) => {
      expect(await store.getRequest('req_missing')).toBeNull();
      expect(await store.findRequestByIdempotencyKey('agent:x', 'missing')).toBeNull();
      expect(await store.updateRequest(sampleRequest({ id: 'req_missing', version: 2 }), [])).toBeNull();
    });

    test('a repeated idempotency key returns the existing request and writes nothing', async (store) => {
      const first = sampleRequest({ idempotencyKey: 'call_7' });
      await store.createRequest(first, [sampleDraft()]);
      const again = await store.createRequest(sampleRequest({ idempotencyKey: 'call_7' }), [sampleDraft()]);
      expect(again.created).toBe(false);
      expect(again.request.id).toBe(first.id);
      expect(await store.readAudit(0, 100)).toHaveLength(1);
      const found = await store.findRequestByIdempotencyKey(first.actor, 'call_7');
      expect(found?.id).toBe(first.id);
      const otherActor = await store.createRequest(
        sampleRequest({ idempotencyKey: 'call_7', actor: 'agent:other' }),
        [],
      );
      expect(otherActor.created).toBe(true);
    });

    test('concurrent creates with one idempotency key create exactly one request', async (store) => {
      const results = await Promise.all(
        Array.from({ length: racers }, () =>
          store.createRequest(sampleRequest({ idempotencyKey: 'race' }), [sampleDraft()]),
        ),
      );
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      expect(new Set(results.map((r) => r.request.id)).size).toBe(1);
      expect(await store.readAudit(0, 1000)).toHaveLength(1);
    });

    test('update is a compare-and-set on version', async (store) => {
      const request = sampleRequest();
      await store.createRequest(request, []);
      const next = { ...request, version: 2, status: 'denied' as const, closedReason: 'no' };
      expect(await store.updateRequest(next, [sampleDraft('denied')])).toEqual(next);
      const stale = { ...request, version: 2, status: 'approved' as const };
      expect(await store.updateRequest(stale, [sampleDraft('approved')])).toBeNull();
      const skipped = { ...request, version: 4 };
      expect(await store.updateRequest(skipped, [sampleDraft('approved')])).toBeNull();
      expect((await store.getRequest(request.id))?.status).toBe('denied');
      const types = (await store.readAudit(0, 100)).map((entry) => entry.type);
      expect(types).toEqual(['denied']);
    });

    test('concurrent updates of one version: exactly one wins, losers write nothing', async (store) => {
      const request = sampleRequest();
      await store.createRequest(request, []);
      const results = await Promise.all(
        Array.from({ length: racers }, (_, i) =>
          store.updateRequest({ ...request, version: 2, closedReason: `racer ${i}` }, [
            sampleDraft('decided', `racer ${i}`),
          ]),
        ),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      const audit = await store.readAudit(0, 1000);
      expect(audit).toHaveLength(1);
      expect(audit[0]?.detail).toBe(winners[0]?.closedReason);
      expect((await store.getRequest(request.id))?.closedReason).toBe(winners[0]?.closedReason);
    });

    test('lists requests by status, soonest expiry first, within the limit', async (store) => {
      const late = sampleRequest({ expiresAt: SAMPLE_TIME + 3000 });
      const early = sampleRequest({ expiresAt: SAMPLE_TIME + 1000 });
      const future = sampleRequest({ expiresAt: SAMPLE_TIME + 9000 });
      const denied = sampleRequest({ status: 'denied', expiresAt: SAMPLE_TIME });
      for (const r of [late, early, future, denied]) await store.createRequest(r, []);
      const due = await store.listRequests({
        status: 'pending',
        expiresAtOrBefore: SAMPLE_TIME + 5000,
        limit: 10,
      });
      expect(due.map((r) => r.id)).toEqual([early.id, late.id]);
      expect(await store.listRequests({ status: 'pending', limit: 1 })).toHaveLength(1);
    });

    test('audit entries chain, page in order and verify', async (store) => {
      for (let i = 0; i < 25; i++) await store.appendAudit([sampleDraft('decided', `entry ${i}`)]);
      const first = await store.readAudit(0, 10);
      const rest = await store.readAudit(10, 100);
      expect(first).toHaveLength(10);
      expect(rest).toHaveLength(15);
      const all = [...first, ...rest];
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(verifyAuditLog(toJsonLines(all))).toEqual({
        ok: true,
        entries: 25,
        head: { seq: 25, hash: all[24]?.hash },
      });
      expect(await store.auditHead()).toEqual({ seq: 25, hash: all[24]?.hash });
    });

    test('concurrent appends keep one linear chain', async (store) => {
      await Promise.all(
        Array.from({ length: racers }, (_, i) =>
          store.appendAudit([sampleDraft('decided', `a${i}`), sampleDraft('decided', `b${i}`)]),
        ),
      );
      const all = await store.readAudit(0, 10_000);
      expect(all).toHaveLength(racers * 2);
      expect(verifyAuditLog(toJsonLines(all)).ok).toBe(true);
    });

    test('listUnrevokedGrants, if present: unrevoked grants expired by then, oldest expiry first, within the limit', async (store) => {
      if (!store.listUnrevokedGrants) return;
      const at = (offset: number) => SAMPLE_TIME + offset;
      const late = sampleGrant({ expiresAt: at(1000) });
      const consumed = sampleGrant({ expiresAt: at(500), consumedAt: at(100) });
      const revoked = sampleGrant({ expiresAt: at(200), revokedAt: at(150) });
      const live = sampleGrant({ expiresAt: at(9000) });
      for (const grant of [late, consumed, revoked, live]) await store.createGrant(grant, []);
      await store.revokeGrant(live.id, at(10), []);
      const again = sampleGrant({ expiresAt: at(400) });
      await store.createGrant(again, []);
      await store.revokeGrant(again.id, at(300), []);
      const listed = await store.listUnrevokedGrants({ expiresAtOrBefore: at(1000), limit: 10 });
      expect(listed.map((grant) => grantRecordSchema.parse(grant))).toEqual([consumed, late]);
      expect(await store.listUnrevokedGrants({ expiresAtOrBefore: at(1000), limit: 1 })).toEqual([consumed]);
      expect(await store.listUnrevokedGrants({ expiresAtOrBefore: at(499), limit: 10 })).toEqual([]);
      expect(await store.listUnrevokedGrants({ expiresAtOrBefore: at(99_999), limit: 10 })).toEqual([
        consumed,
        late,
      ]);
    });

    test('round-trips grants and finds them by token hash', async (store) => {
      const grant = sampleGrant();
      await store.createGrant(grant, [sampleDraft('granted')]);
      expect(grantRecordSchema.parse(await store.getGrantByTokenHash(grant.tokenHash))).toEqual(grant);
      expect(await store.getGrantByTokenHash('missing')).toBeNull();
      expect(await store.readAudit(0, 10)).toHaveLength(1);
    });

    test('a grant is consumed once, and only for its fingerprint, session and lifetime', async (store) => {
      const grant = sampleGrant();
      await store.createGrant(grant, []);
      const match = matchOf(grant);
      const now = SAMPLE_TIME + 1000;
      expect(
        await store.consumeGrant({ ...match, fingerprint: 'other', now }, [sampleDraft('consumed')]),
      ).toBeNull();
      expect(
        await store.consumeGrant({ ...match, sessionId: 'other', now }, [sampleDraft('consumed')]),
      ).toBeNull();
      expect(
        await store.consumeGrant({ ...match, now: grant.expiresAt }, [sampleDraft('consumed')]),
      ).toBeNull();
      expect(await store.readAudit(0, 10)).toHaveLength(0);
      const consumed = await store.consumeGrant({ ...match, now }, [sampleDraft('consumed')]);
      expect(consumed?.consumedAt).toBe(now);
      expect(await store.consumeGrant({ ...match, now }, [sampleDraft('consumed')])).toBeNull();
      expect(await store.readAudit(0, 10)).toHaveLength(1);
    });

    test('with no drafts, a consumption and a revocation change the grant and write no entry (core records them on the outcome entry)', async (store) => {
      const grant = sampleGrant();
      await store.createGrant(grant, []);
      const match = matchOf(grant);
      const consumed = await store.consumeGrant({ ...match, now: SAMPLE_TIME + 1 }, []);
      expect(consumed?.consumedAt).toBe(SAMPLE_TIME + 1);
      expect(await store.consumeGrant({ ...match, now: SAMPLE_TIME + 2 }, [])).toBeNull();
      expect((await store.getGrantByTokenHash(grant.tokenHash))?.consumedAt).toBe(SAMPLE_TIME + 1);
      const revoked = await store.revokeGrant(grant.id, SAMPLE_TIME + 3, []);
      expect([revoked?.consumedAt, revoked?.revokedAt]).toEqual([SAMPLE_TIME + 1, SAMPLE_TIME + 3]);
      expect(await store.readAudit(0, 10)).toEqual([]);
      expect(await store.auditHead()).toBeNull();
    });

    test('concurrent consumers of one grant: exactly one wins', async (store) => {
      const grant = sampleGrant();
      await store.createGrant(grant, []);
      const match = matchOf(grant);
      const results = await Promise.all(
        Array.from({ length: racers }, () =>
          store.consumeGrant({ ...match, now: SAMPLE_TIME + 1 }, [sampleDraft('consumed')]),
        ),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await store.readAudit(0, 1000)).toHaveLength(1);
    });

    test('a revoked grant cannot be consumed and is revoked once', async (store) => {
      const grant = sampleGrant();
      await store.createGrant(grant, []);
      const revoked = await store.revokeGrant(grant.id, SAMPLE_TIME + 5, [sampleDraft('revoked')]);
      expect(revoked?.revokedAt).toBe(SAMPLE_TIME + 5);
      expect(await store.revokeGrant(grant.id, SAMPLE_TIME + 6, [sampleDraft('revoked')])).toBeNull();
      expect(await store.revokeGrant('grt_missing', SAMPLE_TIME + 6, [])).toBeNull();
      const match = matchOf(grant);
      expect(await store.consumeGrant({ ...match, now: SAMPLE_TIME + 7 }, [])).toBeNull();
      expect(await store.readAudit(0, 10)).toHaveLength(1);
    });

    test('concurrent revocations: exactly one wins', async (store) => {
      const grant = sampleGrant();
      await store.createGrant(grant, []);
      const results = await Promise.all(
        Array.from({ length: racers }, () =>
          store.revokeGrant(grant.id, SAMPLE_TIME + 1, [sampleDraft('revoked')]),
        ),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await store.readAudit(0, 1000)).toHaveLength(1);
    });

    test('updateRequestAndCreateGrant, if present, writes both or neither', async (store) => {
      if (!store.updateRequestAndCreateGrant) return;
      const request = sampleRequest({ status: 'approved' });
      await store.createRequest(request, []);
      const grant = sampleGrant({ requestId: request.id });
      const next = { ...request, version: 2, grantId: grant.id };
      expect(await store.updateRequestAndCreateGrant(next, [sampleDraft('granted')], grant)).toEqual(next);
      expect(grantRecordSchema.parse(await store.getGrantByTokenHash(grant.tokenHash))).toEqual(grant);
      const late = sampleGrant({ requestId: request.id });
      const stale = { ...request, version: 2, grantId: late.id };
      expect(await store.updateRequestAndCreateGrant(stale, [sampleDraft('granted')], late)).toBeNull();
      expect(await store.getGrantByTokenHash(late.tokenHash)).toBeNull();
      expect((await store.getRequest(request.id))?.grantId).toBe(grant.id);
      expect((await store.readAudit(0, 10)).map((entry) => entry.type)).toEqual(['granted']);
    });

    test('updateRequestAndCreateGrant, if present: of concurrent claims one wins, with its grant only', async (store) => {
      if (!store.updateRequestAndCreateGrant) return;
      const request = sampleRequest({ status: 'approved' });
      await store.createRequest(request, []);
      const grants = Array.from({ length: racers }, () => sampleGrant({ requestId: request.id }));
      const results = await Promise.all(
        grants.map((grant) =>
          store.updateRequestAndCreateGrant!({ ...request, version: 2, grantId: grant.id }, [], grant),
        ),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      const created = await Promise.all(grants.map((grant) => store.getGrantByTokenHash(grant.tokenHash)));
      expect(created.filter((g) => g !== null).map((g) => g?.id)).toEqual([winners[0]?.grantId]);
    });

    test('updateRequests, if present, writes every update or none', async (store) => {
      if (!store.updateRequests) return;
      const [a, b, c] = [sampleRequest(), sampleRequest(), sampleRequest()];
      for (const request of [a, b, c]) await store.createRequest(request, []);
      await store.updateRequest({ ...c, version: 2 }, []);
      // c has moved on to version 2: the batch written over version 1 of each must write nothing.
      const stale = [a, b, c].map((request) => ({
        next: { ...request, version: 2, status: 'denied' as const },
        audit: [sampleDraft('denied')],
      }));
      expect(await store.updateRequests(stale)).toBeNull();
      expect((await store.getRequest(a.id))?.version).toBe(1);
      expect((await store.getRequest(b.id))?.version).toBe(1);
      expect(await store.readAudit(0, 10)).toEqual([]);
      const unknown = [
        { next: { ...a, version: 2 }, audit: [] },
        { next: sampleRequest({ version: 2 }), audit: [] },
      ];
      expect(await store.updateRequests(unknown)).toBeNull();
      expect((await store.getRequest(a.id))?.version).toBe(1);
      const fresh = [
        {
          next: { ...a, version: 2, status: 'denied' as const },
          audit: [sampleDraft('decided'), sampleDraft('denied')],
        },
        { next: { ...b, version: 2, status: 'denied' as const }, audit: [sampleDraft('decided')] },
      ];
      expect(await store.updateRequests(fresh)).toEqual(fresh.map((update) => update.next));
      expect((await store.getRequest(b.id))?.status).toBe('denied');
      expect((await store.readAudit(0, 10)).map((entry) => entry.type)).toEqual([
        'decided',
        'denied',
        'decided',
      ]);
    });

    test('updateRequests, if present: of concurrent overlapping batches exactly one wins', async (store) => {
      if (!store.updateRequests) return;
      const requests = [sampleRequest(), sampleRequest(), sampleRequest()];
      for (const request of requests) await store.createRequest(request, []);
      const results = await Promise.all(
        Array.from({ length: racers }, (_, i) => {
          // Every batch holds the three requests, in a different order each time.
          const order = i % 2 === 0 ? requests : [...requests].reverse();
          return store.updateRequests!(
            order.map((request) => ({ next: { ...request, version: 2, reason: `batch ${i}` }, audit: [] })),
          );
        }),
      );
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      const reasons = new Set(
        await Promise.all(requests.map(async (r) => (await store.getRequest(r.id))?.reason)),
      );
      expect([...reasons]).toEqual([winners[0]![0]!.reason]);
    });

    test('reuse windows, if supported: inserted once per id, found only while live and matching', async (store) => {
      if (!store.createReuseWindow) return;
      const now = SAMPLE_TIME;
      const window = sampleWindow(now);
      expect(await store.createReuseWindow(window, [sampleDraft('approved')])).toBe(true);
      expect(await store.createReuseWindow({ ...window, maxUses: 99 }, [sampleDraft('approved')])).toBe(
        false,
      );
      expect(await store.getReuseWindow!(window.id)).toEqual(window);
      expect((await store.readAudit(0, 10)).map((entry) => entry.type)).toEqual(['approved']);
      const query = { scope: window.scope, match: window.match, ruleId: window.ruleId, now };
      expect(await store.findReuseWindows!(query)).toEqual([window]);
      for (const other of [
        { ...query, scope: 'other scope' },
        { ...query, match: 'other match' },
        { ...query, ruleId: 'other-rule' },
        { ...query, now: window.expiresAt },
      ]) {
        expect(await store.findReuseWindows!(other)).toEqual([]);
      }
      const exhausted = sampleWindow(now, { uses: 2, maxUses: 2 });
      const revoked = sampleWindow(now, { revokedAt: now - 1 });
      await store.createReuseWindow(exhausted, []);
      await store.createReuseWindow(revoked, []);
      expect(await store.findReuseWindows!(query)).toEqual([window]);
    });

    test('reuse windows, if supported: a use is a compare-and-set on the count, within the limits', async (store) => {
      if (!store.createReuseWindow) return;
      const now = SAMPLE_TIME;
      const window = sampleWindow(now, { maxUses: 2 });
      await store.createReuseWindow(window, []);
      expect(await store.useReuseWindow!(window.id, 1, now, [sampleDraft('allowed')])).toBeNull();
      expect(
        await store.useReuseWindow!(window.id, 0, window.expiresAt, [sampleDraft('allowed')]),
      ).toBeNull();
      expect(await store.useReuseWindow!(window.id, 0, now, [sampleDraft('allowed')])).toEqual({
        ...window,
        uses: 1,
      });
      expect(await store.useReuseWindow!(window.id, 1, now, [sampleDraft('allowed')])).toEqual({
        ...window,
        uses: 2,
      });
      expect(await store.useReuseWindow!(window.id, 2, now, [sampleDraft('allowed')])).toBeNull();
      expect(await store.useReuseWindow!('reuse_unknown', 0, now, [])).toBeNull();
      expect((await store.readAudit(0, 10)).map((entry) => entry.type)).toEqual(['allowed', 'allowed']);
      const other = sampleWindow(now);
      await store.createReuseWindow(other, []);
      expect(await store.revokeReuseWindow!(other.id, now, [sampleDraft('revoked')])).toEqual({
        ...other,
        revokedAt: now,
      });
      expect(await store.revokeReuseWindow!(other.id, now + 1, [sampleDraft('revoked')])).toBeNull();
      expect(await store.useReuseWindow!(other.id, 0, now, [])).toBeNull();
      expect(await store.revokeReuseWindow!('reuse_unknown', now, [])).toBeNull();
    });

    test('reuse windows, if supported: of concurrent uses of one count, exactly one wins', async (store) => {
      if (!store.createReuseWindow) return;
      const window = sampleWindow(SAMPLE_TIME, { maxUses: 100 });
      await store.createReuseWindow(window, []);
      const results = await Promise.all(
        Array.from({ length: racers }, () =>
          store.useReuseWindow!(window.id, 0, SAMPLE_TIME, [sampleDraft('allowed')]),
        ),
      );
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      expect((await store.getReuseWindow!(window.id))?.uses).toBe(1);
      expect(await store.readAudit(0, 100)).toHaveLength(1);
    });

    test('revokeGrantAndUpdateRequest, if present, applies each part on its own conditions', async (store) => {
      if (!store.revokeGrantAndUpdateRequest) return;
      const types = async () => (await store.readAudit(0, 100)).map((entry) => entry.detail);
      const request = sampleRequest({ status: 'approved' });
      await store.createRequest(request, []);
      const grant = sampleGrant({ requestId: request.id });
      await store.createGrant(grant, []);
      const revoke = (id: string, detail: string) => ({
        id,
        now: SAMPLE_TIME + 5,
        audit: [sampleDraft('revoked', detail)],
      });
      const update = (version: number, detail: string) => ({
        next: { ...request, version, status: 'executed' as const, closedReason: detail },
        audit: [sampleDraft('executed', detail)],
      });
      // Both apply: the revocation's drafts first.
      const both = await store.revokeGrantAndUpdateRequest(revoke(grant.id, 'r1'), update(2, 'u1'));
      expect(both.grant?.revokedAt).toBe(SAMPLE_TIME + 5);
      expect(both.request?.closedReason).toBe('u1');
      expect(await types()).toEqual(['r1', 'u1']);
      // Neither: the grant is already revoked and the version moved on.
      const neither = await store.revokeGrantAndUpdateRequest(revoke(grant.id, 'r2'), update(2, 'u2'));
      expect(neither).toEqual({ grant: null, request: null });
      // The grant alone: revoked even though the request moved on.
      const other = sampleGrant({ requestId: request.id });
      await store.createGrant(other, []);
      const grantOnly = await store.revokeGrantAndUpdateRequest(revoke(other.id, 'r3'), update(2, 'u3'));
      expect(grantOnly.grant?.id).toBe(other.id);
      expect(grantOnly.request).toBeNull();
      // The request alone: an unknown grant does not stop the update.
      const requestOnly = await store.revokeGrantAndUpdateRequest(
        revoke('grt_missing', 'r4'),
        update(3, 'u4'),
      );
      expect(requestOnly.grant).toBeNull();
      expect(requestOnly.request?.version).toBe(3);
      expect(await types()).toEqual(['r1', 'u1', 'r3', 'u4']);
      const entries = await store.readAudit(0, 100);
      expect(verifyAuditLog(toJsonLines(entries)).ok).toBe(true);
    });

    /** Core's `sweep()` at `now`, and the store's own sweeper (on its own clock) when it has one. */
    const sweepers: [string, (store: Store, now: number) => Promise<unknown>][] = [
      [
        "core's sweep()",
        (store, now) =>
          createCountersign({
            store,
            policy: [],
            clock: createTestClock(now),
            transports: [createRecordingTransport()],
          }).sweep(),
      ],
    ];
    const ownSweep = options.sweep;
    if (ownSweep) sweepers.push(["the store's own sweeper", (store) => ownSweep(store)]);
    const summary = (
      entries: { type: string; requestId: string | null; grantId: string | null; detail: string | null }[],
    ) => entries.map(({ type, requestId, grantId, detail }) => [type, requestId, grantId, detail]);

    // A sweeper that can list grants expired unrevoked revokes them first, with lapseGrant()'s
    // entry: a stranded approval's grant is then closed with its consumption time recorded.
    const revokesGrantsFirst = (store: Store) => store.listUnrevokedGrants !== undefined;

    for (const [sweeper, sweep] of sweepers) {
      test(`${sweeper} revokes, if the store lists them, grants that expired unrevoked, once, recording their consumption`, async (store) => {
        if (!revokesGrantsFirst(store)) return;
        const now = Date.now();
        const expired = sampleGrant({
          issuedAt: now - 2 * HOUR,
          expiresAt: now - HOUR,
          consumedAt: now - 2 * HOUR + 5,
        });
        const unused = sampleGrant({ issuedAt: now - 2 * HOUR, expiresAt: now - HOUR + 1 });
        const ended = sampleGrant({
          issuedAt: now - 2 * HOUR,
          expiresAt: now - HOUR,
          revokedAt: now - HOUR - 1,
        });
        const live = sampleGrant({ issuedAt: now - 60_000, expiresAt: now + HOUR });
        for (const grant of [expired, unused, ended, live]) await store.createGrant(grant, []);

        await sweep(store, now);

        for (const closed of [expired, unused]) {
          const revokedAt = (await store.getGrantByTokenHash(closed.tokenHash))?.revokedAt ?? 0;
          expect(revokedAt).toBeGreaterThan(closed.expiresAt - 1);
        }
        expect((await store.getGrantByTokenHash(ended.tokenHash))?.revokedAt).toBe(ended.revokedAt);
        expect((await store.getGrantByTokenHash(live.tokenHash))?.revokedAt).toBeNull();
        const entries = await store.readAudit(0, 100);
        expect(summary(entries)).toEqual([
          ['revoked', null, expired.id, UNENDED_GRANT_REASON],
          ['revoked', null, unused.id, UNENDED_GRANT_REASON],
        ]);
        expect(entries.map((entry) => entry.consumedAt)).toEqual([expired.consumedAt, null]);
        expect(entries.map((entry) => entry.actor)).toEqual([expired.actor, unused.actor]);
        expect(verifyAuditLog(toJsonLines(entries)).ok).toBe(true);

        await sweep(store, now);
        expect(await store.readAudit(0, 100)).toHaveLength(2);
      });

      test(`${sweeper} closes an approval whose action started once its grant lifetime has passed: failed, grant revoked, both audited`, async (store) => {
        const now = Date.now();
        const stranded = sampleApproval(now, 3 * HOUR, 3 * HOUR - 60_000);
        // Claimed 30 minutes ago, when its decision was 60 minutes old: its grant is still live.
        const running = sampleApproval(now, 1.5 * HOUR, 0.5 * HOUR);
        const recent = sampleApproval(now, 60_000, 59_000);
        await storeApprovals(store, [stranded, running, recent]);

        await sweep(store, now);

        const closed = approvalRequestSchema.parse(await store.getRequest(stranded.request.id));
        const expected: ApprovalRequest = {
          ...stranded.request,
          version: 2,
          status: 'failed',
          closedReason: STRANDED_REASON,
        };
        expect(closed).toEqual(expected);
        const revokedAt = (await store.getGrantByTokenHash(stranded.grant!.tokenHash))?.revokedAt ?? 0;
        expect(revokedAt).toBeGreaterThan(stranded.grant!.expiresAt);
        for (const untouched of [running, recent]) {
          expect((await store.getRequest(untouched.request.id))?.status).toBe('approved');
          expect((await store.getGrantByTokenHash(untouched.grant!.tokenHash))?.revokedAt).toBeNull();
        }
        const entries = await store.readAudit(0, 100);
        const { id } = stranded.request;
        const grantId = stranded.grant!.id;
        const first = revokesGrantsFirst(store);
        expect(summary(entries)).toEqual([
          ['revoked', id, grantId, first ? UNENDED_GRANT_REASON : STRANDED_REASON],
          ['failed', id, grantId, STRANDED_REASON],
        ]);
        if (first) expect(entries[0]?.consumedAt).toBe(stranded.grant!.consumedAt);
        expect(entries[1]?.actor).toBe(stranded.request.actor);
        expect(verifyAuditLog(toJsonLines(entries)).ok).toBe(true);

        await sweep(store, now);
        expect(await store.readAudit(0, 100)).toHaveLength(2);
      });

      test(`${sweeper} expires an approval never claimed within its grant lifetime`, async (store) => {
        const now = Date.now();
        const unused = sampleApproval(now, 2 * HOUR);
        const fresh = sampleApproval(now, 60_000);
        await storeApprovals(store, [unused, fresh]);

        await sweep(store, now);

        expect(approvalRequestSchema.parse(await store.getRequest(unused.request.id))).toEqual({
          ...unused.request,
          version: 2,
          status: 'expired',
          closedReason: UNUSED_APPROVAL_REASON,
        });
        expect((await store.getRequest(fresh.request.id))?.status).toBe('approved');
        expect(summary(await store.readAudit(0, 100))).toEqual([
          ['expired', unused.request.id, null, UNUSED_APPROVAL_REASON],
        ]);
      });

      test(`${sweeper}: concurrent sweeps close a stranded approval once`, async (store) => {
        const now = Date.now();
        const stranded = sampleApproval(now, 3 * HOUR, 2.5 * HOUR);
        await storeApprovals(store, [stranded]);

        await Promise.all(Array.from({ length: 4 }, () => sweep(store, now)));

        expect((await store.getRequest(stranded.request.id))?.version).toBe(2);
        expect((await store.readAudit(0, 100)).map((entry) => entry.type)).toEqual(['revoked', 'failed']);
      });
    }

    test('notifies subscribers when a request changes', async (store) => {
      if (!store.subscribe) return;
      const request = sampleRequest();
      await store.createRequest(request, []);
      let notified: (id: string) => void = () => {};
      const seen = new Promise<string>((resolve) => {
        notified = resolve;
      });
      const unsubscribe = await store.subscribe((id) => {
        if (id === request.id) notified(id);
      });
      await store.updateRequest({ ...request, version: 2 }, []);
      expect(await seen).toBe(request.id);
      await unsubscribe();
    });

    test('close is idempotent', async (store) => {
      await store.close();
      await store.close();
    });
  });
}
