import { createHash } from 'node:crypto';
import { canonicalJson, sealAuditEntries } from '@countersign/core';

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
};
// equality check against the general path
const [sealed] = sealAuditEntries(null, [entry as never]);
const { hash, ...body } = sealed!;
console.log('same hash', createHash('sha256').update(canonicalJson(body)).digest('hex') === hash);
for (let r = 0; r < 2; r++) {
  let t = performance.now();
  for (let i = 0; i < 200000; i++) canonicalJson(entry);
  console.log('canonical', ((performance.now() - t) / 200) * 1000, 'ns');
  t = performance.now();
  let head = null;
  for (let i = 0; i < 200000; i++) {
    const [e] = sealAuditEntries(head, [entry as never]);
    head = e!;
  }
  console.log('seal', ((performance.now() - t) / 200) * 1000, 'ns');
}
