// Store cases for reuse windows: created once, found while live, each use a compare-and-set on the count.
import type { ReuseWindow } from '../../contracts/store.js';
import { SAMPLE_TIME, sampleDraft, sampleRequest } from '../fixtures.js';
import { HOUR, type StoreCases } from './store-cases.js';

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

/** Reuse windows, if the store supports them: lookup, uses, revocation, racing uses. */
export function reuseWindowCases(cases: StoreCases): void {
  const { test, expect, racers } = cases;
  test('reuse windows, if supported: inserted once per id, found only while live and matching', async (store) => {
    if (!store.createReuseWindow) return;
    const now = SAMPLE_TIME;
    const window = sampleWindow(now);
    expect(await store.createReuseWindow(window, [sampleDraft('approved')])).toBe(true);
    expect(await store.createReuseWindow({ ...window, maxUses: 99 }, [sampleDraft('approved')])).toBe(false);
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
    expect(await store.useReuseWindow!(window.id, 0, window.expiresAt, [sampleDraft('allowed')])).toBeNull();
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
}
