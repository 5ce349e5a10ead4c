// The events an instance emits: one per audited step, transport errors and notices.
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

/** Something an operator should know about the instance's set-up; not an audited step. */
export interface NoticeEvent {
  /** `no_transports`: requests reach people only through the shared store (an approval server). */
  code: 'no_transports';
  message: string;
}

export type CountersignEventMap = { [K in AuditType]: [event: CountersignEvent] } & {
  transport_error: [event: TransportErrorEvent];
  notice: [event: NoticeEvent];
};
export type CountersignEventName = keyof CountersignEventMap;
