import { describe, expect, test } from 'vitest';
import { type AuditEntry, canonicalJson, sealAuditEntries, verifyAuditLog } from '../src/index.js';
import { sampleDraft } from '../src/testing/index.js';
import { CONTEXT, EXPORT, setup } from './helpers.js';

function chain(n: number): AuditEntry[] {
  return sealAuditEntries(
    null,
    Array.from({ length: n }, (_, i) => sampleDraft('decided', `step ${i + 1}`)),
  );
}

/** An export as `audit.export()` writes it: each entry's RFC 8785 canonical JSON on its own line. */
const jsonl = (entries: readonly unknown[]) => entries.map((e) => canonicalJson(e)).join('\n');

describe('audit chain', () => {
  test('an intact chain verifies and reports its head', () => {
    const entries = chain(5);
    expect(verifyAuditLog(jsonl(entries))).toEqual({
      ok: true,
      entries: 5,
      head: { seq: 5, hash: entries[4]!.hash },
    });
  });

  test('detects an edited entry', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, approver: 'user:mallory' };
    expect(verifyAuditLog(jsonl(entries))).toMatchObject({
      ok: false,
      brokenAt: 3,
      problem: expect.stringMatching(/altered/),
    });
  });

  test('detects an edited entry whose hash was recomputed, at the next link', () => {
    const entries = chain(5);
    const { hash: _, ...body } = { ...entries[2]!, approver: 'user:mallory' };
    const forged = sealAuditEntries({ seq: 2, hash: entries[1]!.hash }, [body])[0]!;
    entries[2] = forged;
    expect(verifyAuditLog(jsonl(entries))).toMatchObject({
      ok: false,
      brokenAt: 4,
      problem: expect.stringMatching(/does not link/),
    });
  });

  test('detects a deleted entry', () => {
    const entries = chain(5);
    entries.splice(1, 1);
    expect(verifyAuditLog(jsonl(entries))).toMatchObject({ ok: false, brokenAt: 2 });
    expect(verifyAuditLog(jsonl(chain(5).slice(1)))).toMatchObject({
      ok: false,
      brokenAt: 1,
      problem: expect.stringMatching(/starts at seq 2/),
    });
  });

  test('detects reordered entries', () => {
    const entries = chain(5);
    [entries[1], entries[2]] = [entries[2]!, entries[1]!];
    expect(verifyAuditLog(jsonl(entries))).toMatchObject({ ok: false, brokenAt: 2 });
  });

  test('detects an appended or inserted entry that was not chained by the store', () => {
    const entries = chain(5);
    const appended = { ...entries[4]!, seq: 6, detail: 'forged' };
    expect(verifyAuditLog(jsonl([...entries, appended]))).toMatchObject({ ok: false, brokenAt: 6 });
    const inserted = [...entries.slice(0, 2), { ...entries[2]!, detail: 'inserted' }, ...entries.slice(2)];
    expect(verifyAuditLog(jsonl(inserted)).ok).toBe(false);
  });

  test('detects truncation given the last known head', () => {
    const entries = chain(5);
    const head = { seq: 5, hash: entries[4]!.hash };
    expect(verifyAuditLog(jsonl(entries), { head }).ok).toBe(true);
    expect(verifyAuditLog(jsonl(entries.slice(0, 3)), { head })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/truncated/),
    });
    const rewritten = sealAuditEntries(null, [
      ...chain(4).map(({ seq: _s, prevHash: _p, hash: _h, ...d }) => d),
      sampleDraft('decided', 'other'),
    ]);
    expect(verifyAuditLog(jsonl(rewritten), { head })).toMatchObject({
      ok: false,
      brokenAt: 5,
      problem: expect.stringMatching(/rewritten/),
    });
  });

  test('rejects malformed lines', () => {
    expect(verifyAuditLog('{not json')).toMatchObject({ ok: false, brokenAt: 1 });
    expect(verifyAuditLog(JSON.stringify({ seq: 1 }))).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/malformed/),
    });
  });

  test('every step of an approval is recorded with who, what, why, when and the rule', async () => {
    const { cs, transport, clock } = setup();
    const run = cs.guard({ ...EXPORT, run: () => 'ok' }, CONTEXT);
    const request = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', comment: 'ok', via: 'api' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve', via: 'slack' });
    await run;
    const entries = await cs.audit.entries();
    expect(entries.map((e) => e.type)).toEqual([
      'requested',
      'delivered',
      'decided',
      'approved',
      'granted',
      'executed',
    ]);
    for (const entry of entries) {
      expect(entry.requestId).toBe(request.id);
      expect(entry.ruleId).toBe('exports-need-two');
      expect(entry.actor).toBe('agent:report-bot');
      expect(entry.sessionId).toBe('sess_42');
      expect(entry.at).toBeTypeOf('number');
    }
    const firstVote = entries[2]!;
    expect([firstVote.approver, firstVote.outcome, firstVote.comment, firstVote.via]).toEqual([
      'user:bob',
      'approve',
      'ok',
      'api',
    ]);
    // The vote that reaches the quorum is the `approved` entry itself, with the approver's decision.
    expect(entries[3]).toMatchObject({
      approver: 'user:carol',
      outcome: 'approve',
      via: 'slack',
      detail: '2 of 2 approvals',
    });
    // The outcome entry also records the revocation (its `at`) and whether the grant was consumed.
    expect(entries[5]).toMatchObject({ grantId: entries[4]!.grantId, consumedAt: null });
    expect(entries[0]!.action).toMatchObject({
      name: 'db.export',
      resource: 'prod/customers',
      params: EXPORT.params,
    });
    expect(entries[0]!.reason).toBe(CONTEXT.reason);
    expect(await cs.audit.verify()).toMatchObject({ ok: true, entries: 6 });
    const exported = await cs.audit.export();
    expect(verifyAuditLog(exported, { head: (await cs.audit.head())! }).ok).toBe(true);
  });

  test('a policy denial is recorded with the rule that explains it', async () => {
    const { cs } = setup();
    await expect(cs.guard({ name: 'iam.grantRole', run: () => 1 }, CONTEXT)).rejects.toMatchObject({
      code: 'policy_denied',
      ruleId: 'no-escalation',
    });
    await expect(cs.guard({ name: 'unknown.action', run: () => 1 }, CONTEXT)).rejects.toMatchObject({
      ruleId: 'default',
    });
    expect((await cs.audit.entries()).map((e) => [e.type, e.ruleId])).toEqual([
      ['policy_denied', 'no-escalation'],
      ['policy_denied', 'default'],
    ]);
  });
});
