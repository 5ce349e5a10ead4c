// The store, transport and brokers `countersign explain` creates its instance with: explain reads only the policy.
import type { CredentialBroker, Store, Transport } from '@countersign/core';

/**
 * Fails every call, so a change in core that made explain touch a plugin shows at once, instead
 * of explain quietly reading or writing somewhere.
 */
const refuse = async (): Promise<never> => {
  throw new Error('countersign explain never uses a store, transport or broker');
};

/**
 * Every method a store may have, optional ones included (`Required`): a policy that needs a store
 * capability (a `reuse` rule needs reuse windows) is accepted as with a store that has them all,
 * and a capability core adds later fails this file's typecheck until it is listed here.
 */
export const explainStore: Required<Store> = {
  name: 'explain (no store)',
  createRequest: refuse,
  getRequest: refuse,
  findRequestByIdempotencyKey: refuse,
  updateRequest: refuse,
  listRequests: refuse,
  createGrant: refuse,
  listUnrevokedGrants: refuse,
  getGrantByTokenHash: refuse,
  consumeGrant: refuse,
  revokeGrant: refuse,
  updateRequestAndCreateGrant: refuse,
  claimApproved: refuse,
  revokeGrantAndUpdateRequest: refuse,
  updateRequests: refuse,
  createReuseWindow: refuse,
  findReuseWindows: refuse,
  useReuseWindow: refuse,
  revokeReuseWindow: refuse,
  getReuseWindow: refuse,
  appendAudit: refuse,
  readAudit: refuse,
  auditHead: refuse,
  subscribe: refuse,
  close: async () => {},
};

export const explainTransport: Transport = { name: 'explain', deliver: refuse };

/**
 * A broker under each name the rules' `credentials` use. Explain mints nothing, so it accepts the
 * privileges as written (the real broker checks them when the instance that runs calls is created).
 */
export function explainBrokers(rules: unknown): Record<string, CredentialBroker> {
  const brokers: Record<string, CredentialBroker> = {};
  if (!Array.isArray(rules)) return brokers;
  for (const rule of rules as { credentials?: { broker?: unknown } }[]) {
    const name = rule?.credentials?.broker;
    if (typeof name !== 'string') continue;
    brokers[name] = {
      name: `explain (${name})`,
      checkPrivileges: () => [],
      handle: () => {
        throw new Error('countersign explain never issues credentials');
      },
      issue: refuse,
      revoke: refuse,
    };
  }
  return brokers;
}
