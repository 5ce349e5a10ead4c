import { hash } from 'node:crypto';
import { canonicalJson } from '@countersign/core';

const entry = {
  type: 'allowed',
  at: 1763700000000,
  requestId: null,
  grantId: 'grt_abcdefghijabcdefghij',
  actor: 'agent:report-bot',
  onBehalfOf: 'user:alice',
  sessionId: 'sess_42',
  action: {
    name: 'db.read',
    resource: 'prod/customers',
    params: { table: 'customers', limit: 10 },
    paramsHash: 'a'.repeat(64),
    redactedPaths: [],
  },
  fingerprint: 'b'.repeat(64),
  ruleId: 'reads-ok',
  reason: 'Alice asked for the Q3 churn report',
  approver: null,
  outcome: null,
  comment: null,
  via: null,
  detail: 'grant expires 2026-01-01T00:00:00.000Z',
  seq: 1,
  prevHash: 'c'.repeat(64),
};
const s = canonicalJson(entry);
const t0 = (label: string, f: () => unknown) => {
  const t = performance.now();
  for (let i = 0; i < 200000; i++) f();
  console.log(label, (((performance.now() - t) / 200) * 1000).toFixed(0), 'ns');
};
for (let r = 0; r < 2; r++) {
  t0('canonical action', () => canonicalJson(entry.action));
  t0('spread', () => ({ ...entry, seq: 2, prevHash: 'x' }));
  t0('hash', () => hash('sha256', s, 'hex'));
  t0('stringify str', () => JSON.stringify(entry.reason));
  t0('keys', () => Object.keys(entry).length);
}
