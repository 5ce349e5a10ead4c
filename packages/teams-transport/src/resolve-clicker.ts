// The approver identity of the Teams account that clicked: resolveApprover's answer, or null to refuse.
import type { TeamsTransportLogger } from './call-error.js';
import { describeError } from './describe-error.js';
import { PREFIX, type TeamsTransportOptions, type TeamsUser } from './options.js';
import { defaultResolveApprover } from './teams-identity.js';

/** `resolveApprover` (default `teams:TENANT:AADOBJECTID`) for `user`; null when it gives none or throws. */
export async function resolveClicker(
  user: TeamsUser,
  resolveApprover: TeamsTransportOptions['resolveApprover'],
  logger: TeamsTransportLogger,
): Promise<string | null> {
  const resolve = resolveApprover ?? defaultResolveApprover;
  try {
    const identity = await resolve(user);
    return typeof identity === 'string' && identity.length > 0 ? identity : null;
  } catch (error) {
    logger.error(
      `[countersign] ${PREFIX} resolveApprover threw for ${user.aadObjectId}: ${describeError(error)}`,
    );
    return null;
  }
}
