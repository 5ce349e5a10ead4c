import { hash } from 'node:crypto';
import { type AuditDraft, createCountersign } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { type CaseResult, formatNs, formatRate } from '../harness.js';

const APPENDS = 200_000;
const VERIFIED = 100_000;

/** A typical decision entry; each call builds a new one, as a store receives them. */
export function draft(i: number): AuditDraft {
  return {
    type: 'decided',
    at: 1_767_225_600_000 + i,
    requestId: `req_${i.toString(36).padStart(20, '0')}`,
    grantId: null,
    actor: 'agent:report-bot',
    onBehalfOf: 'user:alice',
    sessionId: 'sess_42',
    action: {
      name: 'db.export',
      resource: 'prod/customers',
      params: { table: 'customers', format: 'csv' },
      paramsHash: 'a'.repeat(64),
      redactedPaths: [],
    },
    fingerprint: 'b'.repeat(64),
    ruleId: 'exports-need-one',
    reason: 'Alice asked for the Q3 churn report',
    approver: 'user:bob',
    outcome: 'approve',
    comment: null,
    via: 'slack',
    detail: null,
  };
}

/** Appending to the hash chain (memory store, one entry per call) and verifying it. */
export async function auditLog(): Promise<CaseResult> {
  const drafts = Array.from({ length: APPENDS }, (_, i) => draft(i));
  // Baseline: the least any hash chain does per entry, SHA-256 over JSON.stringify, nothing kept.
  let t0 = process.hrtime.bigint();
  for (const d of drafts) hash('sha256', JSON.stringify(d), 'hex');
  const hashNs = Number(process.hrtime.bigint() - t0);

  const store = createMemoryStore();
  for (let i = 0; i < 1_000; i++) await store.appendAudit([drafts[i]!]);
  t0 = process.hrtime.bigint();
  for (const d of drafts) await store.appendAudit([d]);
  const appendNs = Number(process.hrtime.bigint() - t0);
  await store.close();

  const verifyStore = createMemoryStore();
  for (let i = 0; i < VERIFIED; i += 100) await verifyStore.appendAudit(drafts.slice(i, i + 100));
  const cs = createCountersign({ store: verifyStore, policy: [] });
  t0 = process.hrtime.bigint();
  const result = await cs.audit.verify();
  const verifyNs = Number(process.hrtime.bigint() - t0);
  await cs.close();
  if (!result.ok || result.entries !== VERIFIED) throw new Error('verify() failed on a good chain');

  const appendRate = APPENDS / (appendNs / 1e9);
  return {
    id: '5',
    title: 'Audit log',
    rows: [
      {
        name: 'JSON.stringify + SHA-256 per entry, nothing stored',
        avg: hashNs / APPENDS,
        value: formatRate(APPENDS / (hashNs / 1e9)),
        baseline: true,
      },
      {
        name: 'store.appendAudit(), one entry per call',
        avg: appendNs / APPENDS,
        value: formatRate(appendRate),
      },
      { name: `cs.audit.verify() of ${VERIFIED.toLocaleString('en-US')} entries`, value: formatNs(verifyNs) },
    ],
    targets: [
      { what: 'append ≥ 200,000 entries/s', measured: formatRate(appendRate), ok: appendRate >= 200_000 },
      { what: 'verify 100,000 entries ≤ 0.5 s', measured: formatNs(verifyNs), ok: verifyNs <= 5e8 },
    ],
    notes: [`appending costs ${(appendNs / hashNs).toFixed(2)} × the bare hashing of the same entries`],
  };
}
