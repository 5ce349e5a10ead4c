// The approval request record and its state machine: statuses and the legal transitions.
import { z } from 'zod';
import { jsonObjectSchema } from './json-schema.js';

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

export const riskSchema = z.enum(['low', 'medium', 'high', 'critical']);

export const decisionSchema = z.object({
  approver: z.string(),
  outcome: z.enum(['approve', 'deny']),
  comment: z.string().nullable(),
  via: z.string(),
  at: z.number(),
});
export type Decision = z.infer<typeof decisionSchema>;

/** What a transport returns after posting a request, so later updates can find the message. */
export const deliveryReceiptSchema = z.object({
  transport: z.string(),
  ref: z.record(z.string(), z.string()),
  at: z.number(),
});
export type DeliveryReceipt = z.infer<typeof deliveryReceiptSchema>;

export const redactedActionSchema = z.object({
  name: z.string(),
  resource: z.string().nullable(),
  /** Params after redaction; never the originals. */
  params: jsonObjectSchema,
  /** SHA-256 of the canonical JSON of the original params. */
  paramsHash: z.string(),
  redactedPaths: z.array(z.string()),
});
export type RedactedAction = z.infer<typeof redactedActionSchema>;

/**
 * An approval request as stores keep it. `version` increases by one with every write, which
 * is what compare-and-set compares. Secrets never reach this record: params are redacted and
 * the reason is scrubbed before it is built.
 */
export const approvalRequestSchema = z.object({
  id: z.string(),
  version: z.number().int().positive(),
  status: z.enum(REQUEST_STATUSES),
  fingerprint: z.string(),
  action: redactedActionSchema,
  actor: z.string(),
  onBehalfOf: z.string().nullable(),
  reason: z.string(),
  sessionId: z.string(),
  idempotencyKey: z.string().nullable(),
  risk: riskSchema,
  ruleId: z.string(),
  /** Identities eligible to decide, fixed when the request was made. */
  approvers: z.array(z.string()),
  quorum: z.number().int().positive(),
  grantTtlMs: z.number().int().positive(),
  decisions: z.array(decisionSchema),
  deliveries: z.array(deliveryReceiptSchema),
  createdAt: z.number(),
  expiresAt: z.number(),
  decidedAt: z.number().nullable(),
  /** Set once, when a process claims the approval to run the action. */
  grantId: z.string().nullable(),
  /** Why the request ended, in words: a denial comment, `'aborted'`, `'delivery failed'`. */
  closedReason: z.string().nullable(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/** Approvals counted towards quorum: one per distinct approver. */
export function approvalsOf(request: Pick<ApprovalRequest, 'decisions'>): Decision[] {
  return request.decisions.filter((decision) => decision.outcome === 'approve');
}
