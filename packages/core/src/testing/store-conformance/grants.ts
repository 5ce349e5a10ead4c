// Store cases for grants: round trips, single consumption bound to the call, revocation, listing unrevoked.
import { type GrantRecord, grantRecordSchema } from '../../model/grants.js';
import { SAMPLE_TIME, sampleDraft, sampleGrant } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** What a resource presents to consume `grant`, without the time. */
function matchOf(grant: GrantRecord) {
  return { tokenHash: grant.tokenHash, fingerprint: grant.fingerprint, sessionId: grant.sessionId };
}

/** Creating, consuming, revoking and listing grants, and their races. */
export function grantCases(cases: StoreCases): void {
  const { test, expect, racers } = cases;
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
}
