// Sample records for tests of stores and transports.

import { newGrantId, newRequestId, sha256Hex } from '../lib/ids.js';
import type { ApprovalRequest } from '../model/approval.js';
import { type AuditDraft, emptyDraft } from '../model/audit.js';
import { AUDIT_TYPE_RULES, isOutcome } from '../model/audit-rules.js';
import type { GrantRecord } from '../model/grants.js';

const T0 = Date.UTC(2026, 0, 1);

/** A valid pending request, with unicode and nesting in its params to test round trips. */
export function sampleRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: newRequestId(),
    version: 1,
    status: 'pending',
    fingerprint: sha256Hex('fingerprint'),
    action: {
      name: 'db.export',
      resource: 'prod/customers',
      params: { table: 'customers', format: 'csv', limit: 1.5, nested: { ünï: ['😀', null, true] } },
      paramsHash: sha256Hex('params'),
      redactedPaths: [],
    },
    actor: 'agent:report-bot',
    onBehalfOf: 'user:alice',
    reason: 'Alice asked for the Q3 churn report',
    sessionId: 'sess_42',
    idempotencyKey: null,
    risk: 'high',
    ruleId: 'exports-need-two',
    approvers: ['user:bob', 'user:carol'],
    quorum: 2,
    grantTtlMs: 60_000,
    decisions: [],
    deliveries: [],
    createdAt: T0,
    expiresAt: T0 + 900_000,
    decidedAt: null,
    grantId: null,
    closedReason: null,
    ...overrides,
  };
}

export function sampleGrant(overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: newGrantId(),
    tokenHash: sha256Hex(`token-${Math.random()}`),
    fingerprint: sha256Hex('fingerprint'),
    sessionId: 'sess_42',
    requestId: null,
    actor: 'agent:report-bot',
    ruleId: 'reads-ok',
    issuedAt: T0,
    expiresAt: T0 + 60_000,
    consumedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

/** A draft of `type` that verifies: a vote names its voter, a grant step its grant, `consumed` its time. */
export function sampleDraft(
  type: AuditDraft['type'] = 'requested',
  detail: string | null = null,
): AuditDraft {
  const rule = AUDIT_TYPE_RULES[type];
  return {
    ...emptyDraft(type, T0),
    actor: 'agent:report-bot',
    detail,
    ...(rule.vote === null ? {} : { approver: 'user:bob', outcome: rule.vote, via: 'api' }),
    ...(rule.grant ? { grantId: 'grt_sample' } : {}),
    ...(rule.consumedAt === 'at' ? { consumedAt: T0 } : {}),
    // An outcome carries its action (or, sealed after its grant's entry, names that entry).
    ...(isOutcome(type) ? { action: SAMPLE_ACTION } : {}),
  };
}

const SAMPLE_ACTION = {
  name: 'db.export',
  resource: 'prod/customers',
  params: { table: 'customers' },
  paramsHash: sha256Hex('{"table":"customers"}'),
  redactedPaths: [],
};

export { T0 as SAMPLE_TIME };
