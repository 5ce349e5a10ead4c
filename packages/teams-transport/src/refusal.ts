// Refusals the transport makes itself: audited through core, and told to the clicker only as they went.
import type { TransportHost } from '@countersign/core';
import type { CardAction } from './activity.js';
import type { TeamsTransportLogger } from './call-error.js';
import { PREFIX } from './options.js';
import { teamsIdentity } from './teams-identity.js';

/** What the clicker's refusal message ends with, depending on whether the audit write succeeded. */
const AUDITED = 'The attempt was audited.';
const NOT_AUDITED = 'The attempt could not be audited: tell whoever runs countersign.';

/**
 * Who clicked, as an identity core accepts whatever the activity holds: `teams:TENANT:OBJECTID`,
 * the Teams user id when there is no object id, `unknown` for a missing tenant; unusual ids
 * encoded by {@link teamsIdentity}.
 */
export function clickerIdentity(action: CardAction): string {
  return teamsIdentity(action.tenantId ?? 'unknown', action.from.aadObjectId ?? action.from.id);
}

/**
 * Audits a refusal on `requestId`. Never throws: the refusal stands either way. Resolves whether
 * the refusal is on the audit log, so nobody is told it is when it is not.
 */
export async function auditRefusal(
  host: TransportHost,
  logger: TeamsTransportLogger,
  requestId: string,
  refusal: { approver: string; why: string },
): Promise<boolean> {
  try {
    await host.recordRefusal(requestId, { ...refusal, via: 'teams' });
    return true;
  } catch (error) {
    logger.error(
      `[countersign] ${PREFIX} could not audit a refusal on ${requestId}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  }
}

/** A refusal's message, closed by what became of its audit. */
export function refusalMessage(text: string, audited: boolean): string {
  return `${text} ${audited ? AUDITED : NOT_AUDITED}`;
}
