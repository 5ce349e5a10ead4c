// Who is calling the agent API: a workload token, or (when allowed) an approver's own token.
import type { BearerVerifier } from '../bearer-auth.js';
import { AuthenticationFailure } from '../bearer-auth.js';
import type { WorkloadVerifier } from './workload-auth.js';

export type AgentAuthentication =
  | { actor: string }
  | {
      status: 401 | 403 | 503;
      code: 'unauthenticated' | 'not_an_agent' | 'keys_unavailable';
      detail: string;
    };

export async function authenticateAgent(
  request: Request,
  workloads: WorkloadVerifier,
  approvers: BearerVerifier | null,
  approversMayOpen: boolean,
): Promise<AgentAuthentication> {
  const authorization = request.headers.get('authorization');
  if (authorization === null) {
    return { status: 401, code: 'unauthenticated', detail: 'a workload bearer token is required' };
  }
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(authorization);
  if (match === null) {
    return {
      status: 401,
      code: 'unauthenticated',
      detail: 'the Authorization header must be "Bearer <token>"',
    };
  }
  const token = match[1] as string;
  try {
    if (workloads.isWorkloadToken(token)) return { actor: await workloads.verify(token) };
    if (approvers !== null) {
      // An approver's token is told apart from a stranger's only once it verifies.
      const identity = await approvers.verify(token).catch((error: unknown) => {
        if (error instanceof AuthenticationFailure && error.code === 'unauthenticated') {
          throw new AuthenticationFailure(
            'bearer token rejected: not from a workload issuer this server trusts',
          );
        }
        throw error;
      });
      if (approversMayOpen && !identity.startsWith('agent:')) return { actor: identity };
      return {
        status: 403,
        code: 'not_an_agent',
        detail: `${identity} is an approver identity; only workloads open calls here (agents.approversMayOpen)`,
      };
    }
    return await workloads.verify(token).then((actor) => ({ actor }));
  } catch (error) {
    if (!(error instanceof AuthenticationFailure)) throw error;
    if (error.code === 'keys_unavailable')
      return { status: 503, code: 'keys_unavailable', detail: error.reason };
    return { status: 401, code: 'unauthenticated', detail: error.reason };
  }
}
