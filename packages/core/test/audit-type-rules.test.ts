import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  AUDIT_TYPES,
  type AuditDraft,
  type AuditType,
  createCountersign,
  sealAuditEntries,
  verifyAuditLog,
} from '../src/index.js';
import { toJsonLines } from '../src/model/audit.js';
import { SAMPLE_TIME } from '../src/testing/fixtures.js';
import { createRecordingTransport, sampleDraft } from '../src/testing/index.js';

// The README's table, written out here rather than read from the verifier, so a wrong table fails.
const ENDS_A_GRANT: readonly AuditType[] = ['executed', 'failed', 'revoked'];
const VOTES: Partial<Record<AuditType, 'approve' | 'deny'>> = {
  decided: 'approve',
  approved: 'approve',
  denied: 'deny',
};
const ABOUT_A_GRANT: readonly AuditType[] = [
  'allowed',
  'granted',
  'consumed',
  'executed',
  'failed',
  'revoked',
];

/** Verifies a log of one good entry followed by `draft`, both as an export and through a store. */
async function verdicts(draft: AuditDraft) {
  const drafts = [sampleDraft('requested'), draft];
  const exported = verifyAuditLog(toJsonLines(sealAuditEntries(null, drafts)));
  const store = createMemoryStore();
  await store.appendAudit(drafts);
  const cs = createCountersign({ store, policy: [], transports: [createRecordingTransport()] });
  try {
    return { exported, stored: await cs.audit.verify() };
  } finally {
    await cs.close();
  }
}

async function expectTypeRule(draft: AuditDraft, member: string) {
  const { exported, stored } = await verdicts(draft);
  const failure = { ok: false, code: 'type_rule', brokenAt: 2, problem: expect.stringContaining(member) };
  expect(exported).toMatchObject({ ...failure, line: 2 });
  expect(stored).toMatchObject(failure);
  expect(stored).not.toHaveProperty('line');
}

async function expectValid(draft: AuditDraft) {
  const { exported, stored } = await verdicts(draft);
  expect(exported).toMatchObject({ ok: true, entries: 2 });
  expect(stored).toMatchObject({ ok: true, entries: 2 });
}

describe('the members an entry type allows', () => {
  test.each(AUDIT_TYPES)('%s: an entry as core writes it verifies', async (type) => {
    await expectValid(sampleDraft(type));
  });

  test.each(AUDIT_TYPES)('%s: consumedAt', async (type) => {
    const later = { ...sampleDraft(type), consumedAt: SAMPLE_TIME + 5 };
    if (ENDS_A_GRANT.includes(type)) {
      await expectValid(later);
      await expectValid({ ...sampleDraft(type), consumedAt: null });
    } else if (type === 'consumed') {
      await expectTypeRule(later, '"consumedAt" must equal "at" on a "consumed" entry');
      await expectTypeRule({ ...sampleDraft(type), consumedAt: null }, '"consumedAt" must equal "at"');
    } else {
      await expectTypeRule(later, `"consumedAt" must be null on a "${type}" entry`);
    }
  });

  test.each(AUDIT_TYPES)('%s: outcome, approver and via', async (type) => {
    const vote = VOTES[type];
    if (vote === undefined) {
      for (const outcome of ['approve', 'deny'] as const) {
        await expectTypeRule(
          { ...sampleDraft(type), outcome },
          `"outcome" must be null on a "${type}" entry`,
        );
      }
      return;
    }
    const other = vote === 'approve' ? 'deny' : 'approve';
    await expectTypeRule({ ...sampleDraft(type), outcome: other }, `"outcome" must be "${vote}"`);
    await expectTypeRule({ ...sampleDraft(type), outcome: null }, `"outcome" must be "${vote}"`);
    await expectTypeRule({ ...sampleDraft(type), approver: null }, '"approver" must name who voted');
    await expectTypeRule({ ...sampleDraft(type), via: null }, '"via" must name the channel');
  });

  test.each(AUDIT_TYPES)('%s: grantId', async (type) => {
    const none = { ...sampleDraft(type), grantId: null };
    if (ABOUT_A_GRANT.includes(type)) await expectTypeRule(none, `"grantId" must name the grant`);
    else await expectValid(none);
  });

  test('hashes must be 64 lowercase hex digits, even where the chain cannot check them', () => {
    const [first] = sealAuditEntries({ seq: 41, hash: 'F'.repeat(64) }, [sampleDraft('requested')]);
    expect(verifyAuditLog(toJsonLines([first!]), { allowPruned: true })).toMatchObject({
      ok: false,
      code: 'malformed',
      line: 1,
      problem: 'line 1 is malformed: "prevHash" must be 64 lowercase hex digits',
    });
  });
});
