// The agent API's options, checked once: workload issuers and the bounds on what agents can hold.

import type { Clock } from '@countersign/core';
import { ConfigError } from '@countersign/core';
import type { OidcOptions } from '../bearer-auth.js';
import { checkKeys, PREFIX, positiveInteger } from '../options.js';
import { refuseSharedAudience } from './agents-never-decide.js';
import { type AgentIssuerOptions, createWorkloadVerifier, type WorkloadVerifier } from './workload-auth.js';

export interface AgentApiOptions {
  /** Workload token issuers (GitHub Actions, Kubernetes, any OIDC issuer), each with its actor template. */
  issuers: readonly AgentIssuerOptions[];
  /** Let approvers' own tokens (the `oidc` section) open calls, as themselves. Default false. */
  approversMayOpen?: boolean | undefined;
  /** How long an allowed call can wait for its claim, in seconds. Default 300. */
  allowedClaimSeconds?: number | undefined;
  /** Calls held in memory at most (running ones are never dropped). Default 10000. */
  maxCalls?: number | undefined;
  /** Unclaimed allowed calls one actor may hold. Default 100. */
  maxOpenPerActor?: number | undefined;
  /** Long polls held at once; past it a `?wait` is answered at once. Default 10000. */
  maxWaiting?: number | undefined;
}

export const AGENT_OPTION_KEYS = [
  'issuers',
  'approversMayOpen',
  'allowedClaimSeconds',
  'maxCalls',
  'maxOpenPerActor',
  'maxWaiting',
] as const;

export interface ResolvedAgentOptions {
  issuers: readonly AgentIssuerOptions[];
  approversMayOpen: boolean;
  allowedClaimMs: number;
  maxCalls: number;
  maxOpenPerActor: number;
  maxWaiting: number;
}

export function resolveAgentOptions(options: AgentApiOptions): ResolvedAgentOptions {
  checkKeys(options, AGENT_OPTION_KEYS, 'agents');
  if (options.approversMayOpen !== undefined && typeof options.approversMayOpen !== 'boolean') {
    throw new ConfigError(`${PREFIX} agents.approversMayOpen must be true or false`);
  }
  return {
    issuers: options.issuers,
    approversMayOpen: options.approversMayOpen ?? false,
    allowedClaimMs: positiveInteger(options.allowedClaimSeconds, 300, 'agents.allowedClaimSeconds') * 1000,
    maxCalls: positiveInteger(options.maxCalls, 10_000, 'agents.maxCalls'),
    maxOpenPerActor: positiveInteger(options.maxOpenPerActor, 100, 'agents.maxOpenPerActor'),
    maxWaiting: positiveInteger(options.maxWaiting, 10_000, 'agents.maxWaiting'),
  };
}

/** The agent API's options and workload verifier, refusing an issuer and audience the approvers also use. */
export function resolveAgentApi(
  options: AgentApiOptions,
  oidc: OidcOptions | undefined,
  clock: Clock,
): { options: ResolvedAgentOptions; workloads: WorkloadVerifier } {
  const resolved = resolveAgentOptions(options);
  if (oidc !== undefined) refuseSharedAudience(oidc, resolved.issuers);
  return { options: resolved, workloads: createWorkloadVerifier(resolved.issuers, clock) };
}
