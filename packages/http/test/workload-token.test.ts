// workloadToken: COUNTERSIGN_TOKEN, or GitHub Actions' OIDC token endpoint, asked afresh each time.
import { describe, expect, test } from 'vitest';
import { WorkloadTokenError, workloadToken } from '../src/index.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln';
const GITHUB = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.test/idtoken?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-secret',
};

function endpoint(...answers: Response[]) {
  const seen: { url: string; authorization: string | null }[] = [];
  const fetch = async (request: Request) => {
    seen.push({ url: request.url, authorization: request.headers.get('authorization') });
    return answers.shift() ?? new Response('gone', { status: 500 });
  };
  return { fetch, seen };
}

describe('failures', () => {
  test('neither COUNTERSIGN_TOKEN nor GitHub Actions: a WorkloadTokenError that says what to set', () => {
    expect(() => workloadToken({})).toThrow(WorkloadTokenError);
    expect(() => workloadToken({})).toThrow(/COUNTERSIGN_TOKEN.*id-token: write/);
  });

  test('only half of the GitHub pair is an error', () => {
    expect(() => workloadToken({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x.test/?a=1' })).toThrow(/only one/);
  });

  test('GitHub Actions without an audience is refused: the default audience is not the server own', () => {
    expect(() => workloadToken(GITHUB)).toThrow(/audience/);
  });

  test('a refusing token endpoint fails without the request token or URL in the message', async () => {
    const { fetch } = endpoint(new Response('no', { status: 403 }));
    const get = workloadToken(GITHUB, { audience: 'https://approvals.test', fetch });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkloadTokenError);
    expect(String(error)).toContain('403');
    expect(String(error)).not.toContain('request-token-secret');
    expect(String(error)).not.toContain('pipelines.test');
  });

  test('an answer without a JWT in value is refused', async () => {
    for (const body of [{}, { value: '' }, { value: 'not a jwt' }, { token: JWT }]) {
      const { fetch } = endpoint(Response.json(body));
      await expect(workloadToken(GITHUB, { audience: 'a', fetch })()).rejects.toThrow(/no JWT/);
    }
  });
});

describe('tokens', () => {
  test('COUNTERSIGN_TOKEN wins, as it is', async () => {
    expect(await workloadToken({ COUNTERSIGN_TOKEN: 'tok', ...GITHUB })()).toBe('tok');
  });

  test('GitHub: &audience= appended url-encoded, bearer request token, a fresh request per token', async () => {
    const { fetch, seen } = endpoint(Response.json({ value: JWT }), Response.json({ value: `${JWT}x` }));
    const get = workloadToken(GITHUB, { audience: 'https://approvals.test/a b', fetch });
    expect(await get()).toBe(JWT);
    expect(await get()).toBe(`${JWT}x`);
    expect(seen).toEqual([
      {
        url: 'https://pipelines.test/idtoken?api-version=2.0&audience=https%3A%2F%2Fapprovals.test%2Fa%20b',
        authorization: 'bearer request-token-secret',
      },
      expect.objectContaining({ authorization: 'bearer request-token-secret' }),
    ]);
  });
});
