// The approval request record, defined once, and its state machine: statuses and the legal transitions.
import type { z } from 'zod';
import {
  arrayOf,
  finite,
  finiteOrNull,
  jsonObject,
  oneOf,
  positiveInt,
  record,
  stringRecord,
  text,
  textOrNull,
} from '../lib/record-shape.js';

export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'executed',
  'failed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/**
 * The legal transitions, and nothing else. A pending request gathers decisions without
 * changing status until the quorum is met or one eligible approver denies. An approved
 * request that is never claimed within its grant lifetime expires.
 */
export const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending: ['approved', 'denied', 'expired', 'cancelled'],
  approved: ['executed', 'failed', 'expired'],
  denied: [],
  expired: [],
  cancelled: [],
  executed: [],
  failed: [],
};

/** `closedReason` of a request that expired waiting for its quorum; sweepers in stores use it too. */
export const EXPIRED_REASON = 'no quorum before the deadline';

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: RequestStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** A request's risk, declared by the call or set by its rule. */
const risk = oneOf(['low', 'medium', 'high', 'critical']);
export const riskSchema = risk.schema;

export const decisionShape = record({
  approver: text,
  outcome: oneOf(['approve', 'deny']),
  comment: textOrNull,
  via: text,
  at: finite,
});
export const decisionSchema = decisionShape.schema;
export type Decision = z.infer<typeof decisionSchema>;

/** What a transport returns after posting a request, so later updates can find the message. */
export const deliveryReceiptShape = record({ transport: text, ref: stringRecord, at: finite });
export const deliveryReceiptSchema = deliveryReceiptShape.schema;
export type DeliveryReceipt = z.infer<typeof deliveryReceiptSchema>;

export const redactedActionShape = record({
  name: text,
  resource: textOrNull,
  /** Params after redaction; never the originals. */
  params: jsonObject,
  /** SHA-256 of the canonical JSON of the original params. */
  paramsHash: text,
  redactedPaths: arrayOf(text),
});
export const redactedActionSchema = redactedActionShape.schema;
export type RedactedAction = z.infer<typeof redactedActionSchema>;

/**
 * An approval request as stores keep it. `version` increases by one with every write, which
 * is what compare-and-set compares. Secrets never reach this record: params are redacted and
 * the reason is scrubbed before it is built.
 */
export const approvalRequestShape = record({
  id: text,
  version: positiveInt,
  status: oneOf(REQUEST_STATUSES),
  fingerprint: text,
  action: redactedActionShape,
  actor: text,
  onBehalfOf: textOrNull,
  reason: text,
  sessionId: text,
  idempotencyKey: textOrNull,
  risk,
  ruleId: text,
  /** Identities eligible to decide, fixed when the request was made. */
  approvers: arrayOf(text),
  quorum: positiveInt,
  grantTtlMs: positiveInt,
  decisions: arrayOf(decisionShape),
  deliveries: arrayOf(deliveryReceiptShape),
  createdAt: finite,
  expiresAt: finite,
  decidedAt: finiteOrNull,
  /** Set once, when a process claims the approval to run the action. */
  grantId: textOrNull,
  /** Why the request ended, in words: a denial comment, `'aborted'`, `'delivery failed'`. */
  closedReason: textOrNull,
});
export const approvalRequestSchema = approvalRequestShape.schema;
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/** Approvals counted towards quorum: one per distinct approver. */
export function approvalsOf(request: Pick<ApprovalRequest, 'decisions'>): Decision[] {
  return request.decisions.filter((decision) => decision.outcome === 'approve');
}
