// Store cases for the audit log: one linear hash chain, paged in order, under concurrent appends.
import { toJsonLines } from '../../model/audit.js';
import { verifyAuditLog } from '../../model/audit-verify.js';
import { sampleDraft } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** Appending, paging and verifying the audit chain. */
export function auditChainCases(cases: StoreCases): void {
  const { test, expect, racers } = cases;
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
}
