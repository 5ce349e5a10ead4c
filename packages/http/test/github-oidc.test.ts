// The GitHub Actions OIDC emulator: the runner's request protocol, GitHub's claims, keys picked by kid.
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createGithubOidcEmulator,
  GITHUB_ACTIONS_ISSUER,
  type GithubOidcEmulator,
} from '../src/testing/index.js';

let github: GithubOidcEmulator;
beforeAll(async () => {
  github = await createGithubOidcEmulator({ job: { repository: 'acme/api', environment: 'production' } });
});
afterAll(() => github.close());

/** What actions/toolkit's getIDToken does: append the audience, send the request token as bearer. */
async function requestToken(audience: string | null, token = github.requestToken): Promise<Response> {
  const env = github.env();
  const url =
    audience === null
      ? env.ACTIONS_ID_TOKEN_REQUEST_URL
      : `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(audience)}`;
  return fetch(url, { headers: { authorization: `bearer ${token}` } });
}

describe('GitHub Actions OIDC emulator', () => {
  test('a wrong or missing request token gets 401 and no token', async () => {
    const wrong = await requestToken('https://approvals.example.com', 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('value');
    const none = await fetch(`${github.requestUrl}&audience=x`);
    expect(none.status).toBe(401);
    expect(github.issued()).toBe(0);
  });

  test('only GET issues tokens', async () => {
    const post = await fetch(github.requestUrl, {
      method: 'POST',
      headers: { authorization: `bearer ${github.requestToken}` },
    });
    expect(post.status).toBe(405);
  });

  test('a token verifies against the JWKS by kid, with the audience asked for and GitHub claims', async () => {
    const response = await requestToken('https://approvals.example.com');
    expect(response.status).toBe(200);
    const { value } = (await response.json()) as { value: string };
    const header = decodeProtectedHeader(value);
    expect(header).toMatchObject({ alg: 'RS256', kid: github.signingKid, typ: 'JWT' });
    const { payload } = await jwtVerify(value, createRemoteJWKSet(new URL(github.jwksUrl)), {
      issuer: GITHUB_ACTIONS_ISSUER,
      audience: 'https://approvals.example.com',
      algorithms: ['RS256'],
    });
    expect(payload).toMatchObject({
      sub: 'repo:acme/api:environment:production',
      repository: 'acme/api',
      repository_owner: 'acme',
      repository_id: expect.any(String),
      ref: 'refs/heads/main',
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
      workflow: 'deploy',
      job_workflow_ref: 'acme/api/.github/workflows/deploy.yml@refs/heads/main',
      run_id: expect.any(String),
      actor: 'octocat',
      environment: 'production',
      event_name: 'push',
      jti: expect.any(String),
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.nbf).toBeLessThanOrEqual(payload.iat!);
    expect(github.issued()).toBe(1);
  });

  test('the JWKS holds several keys and tokens are not signed with the first', async () => {
    const jwks = (await (await fetch(github.jwksUrl)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.length).toBe(3);
    expect(jwks.keys[0]!.kid).not.toBe(github.signingKid);
    const onlyFirst = createLocalJWKSet({ keys: [jwks.keys[0]!] });
    await expect(jwtVerify(await github.token({ audience: 'a' }), onlyFirst)).rejects.toThrow();
  });

  test("without an audience, aud is GitHub's default, the owner's URL, which a server must not accept", async () => {
    const { value } = (await (await requestToken(null)).json()) as { value: string };
    const keys = createRemoteJWKSet(new URL(github.jwksUrl));
    expect((await jwtVerify(value, keys)).payload.aud).toBe('https://github.com/acme');
    await expect(jwtVerify(value, keys, { audience: 'https://approvals.example.com' })).rejects.toThrow(
      /aud/,
    );
  });

  test('a branch job without an environment has the ref subject; claims can be replaced', async () => {
    const other = await createGithubOidcEmulator({ issuer: 'https://issuer.test', keys: 2 });
    try {
      const token = await other.token({
        audience: 'x',
        job: { ref: 'refs/heads/release', claims: { sub: 'custom' } },
      });
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(other.jwksUrl)), {
        issuer: 'https://issuer.test',
      });
      expect(payload).toMatchObject({
        sub: 'custom',
        ref: 'refs/heads/release',
        repository: 'octo-org/octo-repo',
      });
      expect(payload).not.toHaveProperty('environment');
      const plain = await other.token({ audience: 'x' });
      expect((await jwtVerify(plain, createRemoteJWKSet(new URL(other.jwksUrl)))).payload.sub).toBe(
        'repo:octo-org/octo-repo:ref:refs/heads/main',
      );
    } finally {
      await other.close();
    }
  });
});
