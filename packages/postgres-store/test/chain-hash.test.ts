// The database chains and hashes audit entries (sha256() in SQL): its hashes must be core's, byte for byte, for any content.
import { type AuditDraft, createCountersign } from '@countersign/core';
import { afterEach, expect, test } from 'vitest';
import { dropSchema, freshStore } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

// Text that could confuse cutting the canonical JSON around seq and prevHash, or its encoding.
const AWKWARD = [
  'é ü 日本 🎉',
  '\u0001\u001f"\\/\n',
  `"prevHash":"${'0'.repeat(64)}"`,
  ',"seq":0,',
  '\u2028\u2029',
  'a\ud800b',
];

/** Even: a vote; odd: the end of a grant, which alone may carry a (fractional) consumption time. */
function awkward(i: number, text: string): AuditDraft {
  const vote = i % 2 === 0;
  return {
    type: vote ? 'decided' : 'executed',
    at: 1_767_225_600_000 + i + 0.5,
    requestId: `req_${i}`,
    grantId: vote ? null : `grt_${i}`,
    actor: text,
    onBehalfOf: null,
    sessionId: null,
    fingerprint: 'b'.repeat(64),
    ruleId: 'exports-need-one',
    reason: text,
    approver: 'user:bob',
    outcome: vote ? 'approve' : null,
    comment: text,
    via: 'slack',
    detail: text,
    consumedAt: vote ? null : 1_767_225_600_000 + i + 0.25,
    action: {
      name: 'db.export',
      resource: text,
      params: { prevHash: text, seq: 0, [text]: [text, 1.5e300, -0.000001, 123_456_789_012, null, true] },
      paramsHash: 'a'.repeat(64),
      redactedPaths: [],
    },
  };
}

test('entries chained by the database carry the hash core computes, for awkward content too', async () => {
  const store = await freshStore();
  cleanups.push(async () => {
    await store.close();
    await dropSchema(store.schema);
  });
  await store.appendAudit(AWKWARD.map((text, i) => awkward(i, text)));
  await store.appendAudit([awkward(99, AWKWARD[0]!)]);
  const entries = await store.readAudit(0, 10);
  const single = entries[6];
  expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(entries.map((entry) => entry.requestId)).toEqual([...AWKWARD.map((_, i) => `req_${i}`), 'req_99']);
  expect(single!.prevHash).toBe(entries[5]!.hash);
  // verify() recomputes every entry's hash from what the store returns, as core hashes it.
  const cs = createCountersign({ store, policy: [] });
  expect(await cs.audit.verify()).toMatchObject({ ok: true, entries: 7 });
  expect(await store.auditHead()).toEqual({ seq: 7, hash: single!.hash });
});
