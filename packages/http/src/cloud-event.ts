// CloudEvents 1.0 (structured JSON mode) for every step of an approval request.
import { type ApprovalRequest, presentRequest, type RequestPresentation } from '@countersign/core';

export const EVENT_TYPES = [
  'requested',
  'decided',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'executed',
  'failed',
] as const;
export type RequestEventType = (typeof EVENT_TYPES)[number];

/** The CloudEvent type attribute for each step, reverse-DNS as the spec recommends. */
export function cloudEventType(type: RequestEventType): string {
  return `dev.countersign.request.${type}`;
}

export interface RequestEventData {
  /** The request as every channel presents it: redacted params, hash, unverified reason, quorum. */
  request: RequestPresentation;
  /** Where a person decides it, when the sender knows the inbox's URL. */
  approvalUrl: string | null;
}

export interface CountersignCloudEvent {
  specversion: '1.0';
  /** Stable per step: `evt_<request>_<type>[_<n>]`, so receivers dedupe retries and other senders. */
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: RequestEventData;
}

export function requestEvent(
  type: RequestEventType,
  request: ApprovalRequest,
  options: { source: string; at: number; approvalUrl: string | null; decision?: number | undefined },
): CountersignCloudEvent {
  const suffix = options.decision === undefined ? '' : `_${options.decision}`;
  return {
    specversion: '1.0',
    id: `evt_${request.id}_${type}${suffix}`,
    source: options.source,
    type: cloudEventType(type),
    subject: request.id,
    time: new Date(options.at).toISOString(),
    datacontenttype: 'application/json',
    data: { request: presentRequest(request), approvalUrl: options.approvalUrl },
  };
}

/** The events a request's current state calls for, oldest first, given what was already sent. */
export function eventsFor(request: ApprovalRequest): { type: RequestEventType; decision?: number }[] {
  const events: { type: RequestEventType; decision?: number }[] = [{ type: 'requested' }];
  for (let index = 1; index <= request.decisions.length; index++)
    events.push({ type: 'decided', decision: index });
  switch (request.status) {
    case 'pending':
      break;
    case 'executed':
    case 'failed':
      events.push({ type: 'approved' }, { type: request.status });
      break;
    default:
      events.push({ type: request.status });
  }
  return events;
}
