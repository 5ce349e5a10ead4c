import type { ApprovalRequest } from './approval.js';
import type { AuditDraft, AuditType } from './audit.js';

/** Every audited step is also an event, carrying what the audit entry records. */
export interface CountersignEvent {
  type: AuditType;
  entry: AuditDraft;
  /** The request after the step, when the step belongs to one. */
  request: ApprovalRequest | null;
}

export interface TransportErrorEvent {
  transport: string;
  requestId: string;
  operation: 'update';
  error: unknown;
}

export type CountersignEventMap = { [K in AuditType]: [event: CountersignEvent] } & {
  transport_error: [event: TransportErrorEvent];
};
export type CountersignEventName = keyof CountersignEventMap;
