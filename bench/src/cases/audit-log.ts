import { hash } from 'node:crypto';
import { type AuditDraft, type AuditEntry, createCountersign } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { type CaseResult, formatNs, formatRate } from '../harness.js';
import { ratioTarget } from '../interleave.js';

const APPENDS = 200_000;
const VERIFIED = 1_000_000;
const ROUNDS = 3;

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
    consumedAt: null,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Appending to the hash chain (memory store, one entry per call) and verifying 1M entries. */
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
  for (let i = 0; i < VERIFIED; i += 100) {
    await verifyStore.appendAudit(Array.from({ length: 100 }, (_, k) => draft(i + k)));
  }
  const sealed: AuditEntry[] = [];
  for (let page = await verifyStore.readAudit(0, 10_000); page.length > 0; ) {
    sealed.push(...page);
    page = await verifyStore.readAudit(page[page.length - 1]!.seq, 10_000);
  }
  const cs = createCountersign({ store: verifyStore, policy: [] });
  // The same entries, already in an array, two ways. `bare`: what #26 names, each stringified
  // without its `hash` (JSON.stringify's fast path, in stored member order), hashed, the digest
  // compared with `hash` and the next `prevHash`: a lower bound, since stored order is not RFC
  // 8785's and so its digests do not match. `canonical`: the same with each object's members
  // copied in sorted order first, the least a verifier whose digests match does.
  const canonicalCopy = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(canonicalCopy);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = canonicalCopy((value as Record<string, unknown>)[key]);
    return out;
  };
  const matched = { bare: 0, canonical: 0 };
  // Process CPU time (every thread, GC helpers included) beside wall time: on a shared host whose
  // load exceeds its CPUs, wall time also counts time descheduled, which falls unevenly.
  const cpuMs = { bare: [] as number[], verify: [] as number[] };
  const cpuSince = (start: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  const chainCheck = (which: 'bare' | 'canonical') => {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    let prev = '0'.repeat(64);
    let ok = 0;
    for (const entry of sealed) {
      const { hash: stored, ...body } = entry;
      const text = which === 'bare' ? JSON.stringify(body) : JSON.stringify(canonicalCopy(body));
      if (hash('sha256', text, 'hex') === stored && entry.prevHash === prev) ok += 1;
      prev = stored;
    }
    const ns = Number(process.hrtime.bigint() - t);
    if (which === 'bare') cpuMs.bare.push(cpuSince(c));
    matched[which] = ok;
    return ns;
  };
  const bare = () => chainCheck('bare');
  const canonicalNs: number[] = [];
  const verify = async () => {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    const result = await cs.audit.verify();
    const ns = Number(process.hrtime.bigint() - t);
    cpuMs.verify.push(cpuSince(c));
    if (!result.ok || result.entries !== VERIFIED) throw new Error('verify() failed on a good chain');
    return ns;
  };
  const bareNs: number[] = [];
  const verifyNs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      bareNs.push(bare());
      canonicalNs.push(chainCheck('canonical'));
      verifyNs.push(await verify());
    } else {
      verifyNs.push(await verify());
      canonicalNs.push(chainCheck('canonical'));
      bareNs.push(bare());
    }
  }
  await cs.close();

  const appendRate = APPENDS / (appendNs / 1e9);
  const million = VERIFIED.toLocaleString('en-US');
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
      {
        name: `the same ${million} sealed entries from an array: each stringified without \`hash\`, hashed, compared with \`hash\` and the next \`prevHash\` (median of ${ROUNDS})`,
        value: formatNs(median(bareNs)),
        baseline: true,
      },
      {
        name: `the same, each entry's members first copied in canonical (sorted) order, so the digests match (median of ${ROUNDS})`,
        value: formatNs(median(canonicalNs)),
        baseline: true,
      },
      {
        name: `cs.audit.verify() of ${million} entries (median of ${ROUNDS})`,
        value: formatNs(median(verifyNs)),
      },
    ],
    targets: [
      ratioTarget(
        `verify ${million} entries ≤ 1.3 × stringify without hash, hash, compare, for the same entries`,
        median(verifyNs),
        median(bareNs),
        1.3,
      ),
    ],
    notes: [
      `appending costs ${(appendNs / hashNs).toFixed(2)} × the bare hashing of the same entries (no target)`,
      `digests matched: ${matched.bare.toLocaleString('en-US')} of ${million} for the stringify-without-hash baseline (stored member order: a lower bound, the target's), ${matched.canonical.toLocaleString('en-US')} for the canonical-order one; verify is ${(median(verifyNs) / median(canonicalNs)).toFixed(2)} × the latter`,
      `verify and its baseline alternate, ${ROUNDS} rounds: verify ${verifyNs.map(formatNs).join(', ')}; bare ${bareNs.map(formatNs).join(', ')}`,
      `process CPU time, all threads (not the target's measure): verify ${median(cpuMs.verify).toFixed(0)} ms, bare ${median(cpuMs.bare).toFixed(0)} ms (medians), ${(median(cpuMs.verify) / median(cpuMs.bare)).toFixed(2)} ×`,
    ],
  };
}
