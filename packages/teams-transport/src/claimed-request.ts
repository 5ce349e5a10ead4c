// The request a card action's data names: only a claim, looked up only when it has the form of an id.
import type { TransportHost } from '@countersign/core';
import type { CardAction } from './activity.js';
import type { TeamsTransportLogger } from './call-error.js';
import { auditRefusal, clickerIdentity } from './refusal.js';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The request id the action's card data names, or null when it names none of a valid form. */
export function claimedRequestId(action: CardAction): string | null {
  return action.requestId !== null && REQUEST_ID.test(action.requestId) ? action.requestId : null;
}

/** Audits a refused activity on the request its card data names, when that request exists. */
export async function auditClaimed(
  host: TransportHost,
  logger: TeamsTransportLogger,
  action: CardAction,
  why: string,
): Promise<void> {
  const requestId = claimedRequestId(action);
  if (requestId === null) return;
  const request = await host.getRequest(requestId).catch(() => null);
  if (request === null) return;
  await auditRefusal(host, logger, request.id, { approver: clickerIdentity(action), why });
}
