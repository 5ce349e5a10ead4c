// Agents never decide: an agent identity is refused where people decide, and no token can be both.
import { ConfigError } from '@countersign/core';
import { AuthenticationFailure, type BearerVerifier, type OidcOptions } from '../bearer-auth.js';
import { PREFIX } from '../options.js';
import { problem } from '../problem.js';
import { GITHUB_ACTIONS_ISSUER, type WorkloadVerifier } from './workload-auth.js';

/** The inbox's sign-in verifier, refusing agent identities: agents never decide, whatever their token says. */
export function refuseAgents(bearer: BearerVerifier, workloads: WorkloadVerifier | null): BearerVerifier {
  return {
    async verify(token) {
      if (workloads?.isWorkloadToken(token)) {
        throw new AuthenticationFailure('a workload token is an agent identity: agents never decide');
      }
      const identity = await bearer.verify(token);
      if (identity.startsWith('agent:')) {
        throw new AuthenticationFailure(`${identity} is an agent identity: agents never decide`);
      }
      return identity;
    },
  };
}

/**
 * An agent issuer that is also the approvers' issuer, for a shared audience, would let one token be
 * both an agent and an approver: refused, as configuration.
 */
export function refuseSharedAudience(
  oidc: OidcOptions,
  issuers: readonly {
    issuer?: string | undefined;
    preset?: string | undefined;
    audience: string | readonly string[];
  }[],
): void {
  const approverAudiences = new Set(typeof oidc.audience === 'string' ? [oidc.audience] : oidc.audience);
  for (const agent of issuers) {
    const issuer = agent.issuer ?? (agent.preset === 'github-actions' ? GITHUB_ACTIONS_ISSUER : undefined);
    if (issuer !== oidc.issuer) continue;
    const audiences = typeof agent.audience === 'string' ? [agent.audience] : agent.audience;
    const shared = audiences.find((audience) => approverAudiences.has(audience));
    if (shared !== undefined) {
      throw new ConfigError(
        `${PREFIX} agents.issuers and oidc share issuer ${issuer} and audience ${shared}: one token would be both an agent and an approver; give agents their own audience`,
      );
    }
  }
}

/**
 * For the decision routes: a workload token is answered here, 403 once it verifies (401 when it
 * does not), so an agent learns it cannot decide rather than that its token is bad. Null otherwise.
 */
export async function workloadCaller(
  request: Request,
  workloads: WorkloadVerifier,
): Promise<Response | null> {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(request.headers.get('authorization') ?? '');
  if (match === null || !workloads.isWorkloadToken(match[1] as string)) return null;
  let actor: string;
  try {
    actor = await workloads.verify(match[1] as string);
  } catch (error) {
    if (!(error instanceof AuthenticationFailure)) throw error;
    return problem(error.status, error.code, error.reason);
  }
  return problem(
    403,
    'agent_cannot_decide',
    `${actor} is an agent identity: agents never read or decide approval requests`,
  );
}
