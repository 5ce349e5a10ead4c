// A GitHub Actions OIDC issuer on 127.0.0.1: the runner's token request endpoint and a JWKS of several keys.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type Listening, listen } from '../listen.js';

/** GitHub's issuer; `iss` unless `issuer` is given. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** The job a token describes; each field has a plausible default (`octo-org/octo-repo` on `main`). */
export interface GithubJob {
  /** `owner/repo`. */
  repository?: string | undefined;
  repositoryId?: string | undefined;
  repositoryOwnerId?: string | undefined;
  /** Default `refs/heads/main`. */
  ref?: string | undefined;
  sha?: string | undefined;
  /** The workflow's name. */
  workflow?: string | undefined;
  /** Default `<repository>/.github/workflows/deploy.yml@<ref>`. */
  jobWorkflowRef?: string | undefined;
  runId?: string | undefined;
  actor?: string | undefined;
  /** Adds `environment` and makes `sub` `repo:<repository>:environment:<name>`. */
  environment?: string | undefined;
  /** Default `push`; `pull_request` makes `sub` `repo:<repository>:pull_request`. */
  eventName?: string | undefined;
  /** Claims to add or replace after the others (e.g. a customised `sub`). */
  claims?: Record<string, unknown> | undefined;
}

export interface GithubOidcEmulatorOptions {
  /** Default `https://token.actions.githubusercontent.com`; point the server's issuer at the same value. */
  issuer?: string | undefined;
  job?: GithubJob | undefined;
  /** Token lifetime; default 300 (GitHub's tokens are short-lived). */
  expiresInSeconds?: number | undefined;
  /** Keys in the JWKS, default 3; tokens are signed with the last, so a verifier must pick by `kid`. */
  keys?: number | undefined;
}

export interface GithubOidcEmulator {
  issuer: string;
  /** The JWKS (`/.well-known/jwks`); give it to the server's `jwksUrl`. */
  jwksUrl: string;
  /** `ACTIONS_ID_TOKEN_REQUEST_URL`: already carries a query string, as the runner's does. */
  requestUrl: string;
  /** `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: the bearer token the request endpoint requires. */
  requestToken: string;
  /** The kid tokens are signed with. */
  signingKid: string;
  /** The variables a job with `permissions: id-token: write` gets, for a child process's environment. */
  env(): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** A token as the endpoint would issue it; without an audience, `aud` is `https://github.com/<owner>`. */
  token(options?: { audience?: string | undefined; job?: GithubJob | undefined }): Promise<string>;
  /** How many tokens the request endpoint has issued. */
  issued(): number;
  close(): Promise<void>;
}

/**
 * For tests and examples only: whoever holds the request token gets tokens for the configured job.
 * It speaks the runner's protocol (GET with `audience` in the query and `Authorization: bearer`,
 * answering `{"value": jwt}`; 401 for any other token) and signs RS256 with GitHub's claims.
 */
export async function createGithubOidcEmulator(
  options: GithubOidcEmulatorOptions = {},
): Promise<GithubOidcEmulator> {
  const count = options.keys ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new TypeError('keys must be a whole number of at least 1');
  const pairs = await Promise.all(
    Array.from({ length: count }, async () => ({ kid: randomUUID(), ...(await generateKeyPair('RS256')) })),
  );
  const signer = pairs[pairs.length - 1]!;
  const jwks = {
    keys: await Promise.all(
      pairs.map(async (pair) => ({
        ...(await exportJWK(pair.publicKey)),
        kid: pair.kid,
        alg: 'RS256',
        use: 'sig',
      })),
    ),
  };
  const issuer = options.issuer ?? GITHUB_ACTIONS_ISSUER;
  const lifetime = options.expiresInSeconds ?? 300;
  const requestToken = randomBytes(24).toString('base64url');
  let issued = 0;
  const sign = (audience: string | undefined, job: GithubJob = {}): Promise<string> => {
    const claims = githubClaims({ ...options.job, ...job }, audience);
    const now = Math.floor(Date.now() / 1000);
    return (
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: signer.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setIssuedAt(now)
        // GitHub's tokens carry an nbf a few minutes before iat, for clock skew.
        .setNotBefore(now - 300)
        .setExpirationTime(now + lifetime)
        .setJti(randomUUID())
        .sign(signer.privateKey)
    );
  };
  let server: Listening | null = null;
  server = await listen(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/.well-known/jwks') return Response.json(jwks);
    if (url.pathname === '/.well-known/openid-configuration') {
      return Response.json({
        issuer,
        jwks_uri: `${server!.url}/.well-known/jwks`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (url.pathname !== '/_apis/idtoken') return Response.json({ message: 'not found' }, { status: 404 });
    if (request.method !== 'GET') return Response.json({ message: 'method not allowed' }, { status: 405 });
    if (!bearerMatches(request.headers.get('authorization'), requestToken)) {
      return Response.json({ message: 'the request token is not valid for this job' }, { status: 401 });
    }
    issued += 1;
    return Response.json({ value: await sign(url.searchParams.get('audience') ?? undefined) });
  });
  const requestUrl = `${server.url}/_apis/idtoken?api-version=2.0`;
  return {
    issuer,
    jwksUrl: `${server.url}/.well-known/jwks`,
    requestUrl,
    requestToken,
    signingKid: signer.kid,
    env: () => ({ ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken }),
    token: (tokenOptions = {}) => sign(tokenOptions.audience, tokenOptions.job),
    issued: () => issued,
    close: () => server!.close(100),
  };
}

/** The claims GitHub documents (numeric ids are strings, as GitHub sends them). */
export function githubClaims(job: GithubJob, audience: string | undefined): Record<string, unknown> {
  const repository = job.repository ?? 'octo-org/octo-repo';
  const owner = repository.split('/')[0] ?? repository;
  const ref = job.ref ?? 'refs/heads/main';
  const eventName = job.eventName ?? 'push';
  const sub =
    job.environment !== undefined
      ? `repo:${repository}:environment:${job.environment}`
      : eventName === 'pull_request'
        ? `repo:${repository}:pull_request`
        : `repo:${repository}:ref:${ref}`;
  const workflowRef = job.jobWorkflowRef ?? `${repository}/.github/workflows/deploy.yml@${ref}`;
  return {
    sub,
    aud: audience ?? `https://github.com/${owner}`,
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    sha: job.sha ?? 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4',
    repository,
    repository_owner: owner,
    repository_id: job.repositoryId ?? '74',
    repository_owner_id: job.repositoryOwnerId ?? '65',
    repository_visibility: 'private',
    actor: job.actor ?? 'octocat',
    actor_id: '12',
    workflow: job.workflow ?? 'deploy',
    workflow_ref: workflowRef,
    job_workflow_ref: workflowRef,
    run_id: job.runId ?? '8812',
    run_number: '10',
    run_attempt: '1',
    event_name: eventName,
    head_ref: '',
    base_ref: '',
    runner_environment: 'github-hosted',
    ...(job.environment === undefined ? {} : { environment: job.environment }),
    ...job.claims,
  };
}

function bearerMatches(header: string | null, expected: string): boolean {
  const match = /^bearer\s+(\S+)$/i.exec(header ?? '');
  if (match === null) return false;
  const given = Buffer.from(match[1]!);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
