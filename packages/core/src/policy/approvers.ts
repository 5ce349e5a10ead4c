// Who may approve under each rule: the directory resolved into eligible identities, and self-approval.
import { ConfigError } from '../lib/errors.js';
import type { PolicyRule } from '../model/rule.js';

/** Who belongs to which approver groups. Identities are the same strings transports resolve people to. */
export type Directory = Readonly<Record<string, { groups?: readonly string[] | undefined }>>;

/**
 * The identities each require_approval rule lets decide, resolved once at configuration time.
 * A rule nobody can satisfy fails here rather than at the first request.
 */
export function resolveEligibleApprovers(
  rules: readonly PolicyRule[],
  directory: Directory,
): Map<string, string[]> {
  const byRule = new Map<string, string[]>();
  for (const rule of rules) {
    if (rule.effect !== 'require_approval') continue;
    const users = rule.approvers?.users ?? [];
    const groups = new Set(rule.approvers?.groups ?? []);
    const eligible = new Set(users);
    for (const [identity, entry] of Object.entries(directory)) {
      if (entry.groups?.some((group) => groups.has(group))) eligible.add(identity);
    }
    const quorum = rule.quorum ?? 1;
    if (eligible.size === 0) {
      throw new ConfigError(
        `rule "${rule.id}" requires approval but no identity can approve: list approvers.users or give directory members one of its approvers.groups`,
      );
    }
    if (eligible.size < quorum) {
      throw new ConfigError(
        `rule "${rule.id}" needs a quorum of ${quorum} but only ${eligible.size} approver(s) exist`,
      );
    }
    byRule.set(rule.id, [...eligible].sort());
  }
  return byRule;
}

/** Nobody approves their own request, nor one made on their behalf. There is no admin exemption. */
export function isSelfApproval(
  approver: string,
  request: { actor: string; onBehalfOf: string | null },
): boolean {
  // Identities are ASCII (see identitySchema), so comparing lower-cased is exact: `User:Alice` is Alice.
  const who = approver.toLowerCase();
  return who === request.actor.toLowerCase() || who === request.onBehalfOf?.toLowerCase();
}
