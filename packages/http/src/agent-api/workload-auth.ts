// Workload identity for the agent API: OIDC tokens from CI, Kubernetes or any issuer, mapped to `agent:` actors.
import { ConfigError } from '@countersign/core';
import { decodeJwt, type JSONWebKeySet } from 'jose';
import { AuthenticationFailure, type BearerVerifier, createBearerVerifier } from '../bearer-auth.js';
import { checkKeys, PREFIX } from '../options.js';
import { compileActorTemplate } from './actor-template.js';

/** One workload token issuer the agent API trusts. */
export interface AgentIssuerOptions {
  /**
   * `'github-actions'`: issuer `https://token.actions.githubusercontent.com`, its JWKS, RS256, and the
   * actor `agent:github:{repository}`; each can still be set (an emulator's issuer, a stricter actor).
   */
  preset?: 'github-actions' | undefined;
  /** The `iss` tokens carry, exactly. Required without a preset. */
  issuer?: string | undefined;
  /**
   * The audience tokens must carry: this server's own. Required. (GitHub's default audience,
   * `https://github.com/<owner>`, is accepted by other services too, so it is never enough.)
   */
  audience: string | readonly string[];
  /** The issuer's JWKS URL; one of `jwksUrl` or `jwks` (a preset supplies its own). */
  jwksUrl?: string | undefined;
  jwks?: JSONWebKeySet | undefined;
  /** Default `['RS256', 'ES256', 'EdDSA']` (`['RS256']` for GitHub Actions). */
  algorithms?: readonly string[] | undefined;
  /** Skew allowed on `exp`/`nbf`, in seconds. Default 30. */
  clockToleranceSeconds?: number | undefined;
  /** Longest token lifetime (`exp - iat`) accepted, in seconds. Default: no limit. */
  maxTokenLifetimeSeconds?: number | undefined;
  /**
   * The actor, from claims: `agent:k8s:{kubernetes.io.namespace}/{kubernetes.io.serviceaccount.name}`.
   * Must begin with `agent:`; a token lacking a named claim (or with an empty one) is refused.
   */
  actor?: string | undefined;
  /** Claims that must have exactly these values, e.g. `{ repository_owner: 'acme' }`. */
  require?: Readonly<Record<string, string>> | undefined;
}

const ISSUER_KEYS = [
  'preset',
  'issuer',
  'audience',
  'jwksUrl',
  'jwks',
  'algorithms',
  'clockToleranceSeconds',
  'maxTokenLifetimeSeconds',
  'actor',
  'require',
] as const;

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** Verifies workload tokens: the issuer named in a token picks the one configuration that checks it. */
export interface WorkloadVerifier {
  /** Whether the token names one of the agent issuers (unverified: it only picks the verifier). */
  isWorkloadToken(token: string): boolean;
  /** The actor the token proves, or throws `AuthenticationFailure`. */
  verify(token: string): Promise<string>;
  readonly issuers: readonly { issuer: string; audiences: readonly string[] }[];
}

export function createWorkloadVerifier(
  issuers: readonly AgentIssuerOptions[],
  clock: Parameters<typeof createBearerVerifier>[1],
): WorkloadVerifier {
  if (!Array.isArray(issuers) || issuers.length === 0) {
    throw new ConfigError(`${PREFIX} agents.issuers must list at least one workload token issuer`);
  }
  const byIssuer = new Map<string, BearerVerifier>();
  const described: { issuer: string; audiences: string[] }[] = [];
  issuers.forEach((options, index) => {
    const where = `agents.issuers[${index}]`;
    checkKeys(options, ISSUER_KEYS, where);
    const github = options.preset === 'github-actions';
    if (options.preset !== undefined && !github) {
      throw new ConfigError(
        `${PREFIX} ${where}.preset must be "github-actions", got ${JSON.stringify(options.preset)}`,
      );
    }
    const issuer = options.issuer ?? (github ? GITHUB_ACTIONS_ISSUER : undefined);
    if (typeof issuer !== 'string' || issuer.length === 0) {
      throw new ConfigError(`${PREFIX} ${where}.issuer is required (or a preset)`);
    }
    if (byIssuer.has(issuer)) {
      throw new ConfigError(
        `${PREFIX} ${where}: issuer ${issuer} is configured twice; give one entry several audiences instead`,
      );
    }
    const actorSource = options.actor ?? (github ? 'agent:github:{repository}' : undefined);
    if (actorSource === undefined)
      throw new ConfigError(`${PREFIX} ${where}.actor is required (e.g. "agent:ci:{sub}")`);
    const template = compileActorTemplate(actorSource, `${where}.actor`);
    const required = Object.entries(options.require ?? {});
    for (const [claim, value] of required) {
      if (typeof value !== 'string' || value.length === 0) {
        throw new ConfigError(`${PREFIX} ${where}.require.${claim} must be a non-empty string`);
      }
    }
    const jwksUrl =
      options.jwksUrl ??
      (github && options.jwks === undefined ? `${issuer.replace(/\/$/, '')}/.well-known/jwks` : undefined);
    const verifier = createBearerVerifier(
      {
        issuer,
        audience: options.audience,
        jwksUrl,
        jwks: options.jwks,
        algorithms: options.algorithms ?? (github ? ['RS256'] : undefined),
        clockToleranceSeconds: options.clockToleranceSeconds,
        maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds,
        // `iss` is always there once verified; the actor is built from every claim below.
        identityClaim: 'iss',
        mapIdentity: (_issuer, claims) => {
          for (const [claim, value] of required) {
            if (claims[claim] !== value) {
              throw new AuthenticationFailure(
                `bearer token rejected: its "${claim}" claim is not the one this server requires`,
              );
            }
          }
          const filled = template.fill(claims);
          if ('missing' in filled) {
            throw new AuthenticationFailure(
              `bearer token rejected: no usable "${filled.missing}" claim to name the agent by`,
            );
          }
          return filled.actor;
        },
      },
      clock,
    );
    byIssuer.set(issuer, verifier);
    described.push({
      issuer,
      audiences: typeof options.audience === 'string' ? [options.audience] : [...options.audience],
    });
  });
  const issuerOf = (token: string): string | null => {
    try {
      const iss = decodeJwt(token).iss;
      return typeof iss === 'string' ? iss : null;
    } catch {
      return null;
    }
  };
  return {
    issuers: described,
    isWorkloadToken: (token) => {
      const iss = issuerOf(token);
      return iss !== null && byIssuer.has(iss);
    },
    async verify(token) {
      const iss = issuerOf(token);
      const verifier = iss === null ? undefined : byIssuer.get(iss);
      if (verifier === undefined) {
        throw new AuthenticationFailure(
          'bearer token rejected: not from a workload issuer this server trusts',
        );
      }
      return verifier.verify(token);
    },
  };
}
