import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTeamsEmulator, type TeamsEmulator } from '../src/testing/index.js';

let teams: TeamsEmulator;
beforeEach(async () => {
  teams = createTeamsEmulator();
  await teams.start();
});
afterEach(async () => {
  await teams.close();
});

async function token(form: Record<string, string>) {
  const response = await fetch(teams.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const grant = () => ({
  grant_type: 'client_credentials',
  client_id: teams.appId,
  client_secret: teams.appPassword,
  scope: 'https://api.botframework.com/.default',
});

describe('teams emulator', () => {
  test('OpenID metadata points at a JWKS whose keys carry endorsements', async () => {
    const metadata = (await (await fetch(teams.openIdMetadataUrl)).json()) as {
      jwks_uri: string;
      issuer: string;
    };
    expect(metadata.issuer).toBe('https://api.botframework.com');
    const jwks = (await (await fetch(metadata.jwks_uri)).json()) as {
      keys: { kid: string; endorsements: string[] }[];
    };
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys[0]!.endorsements).toContain('msteams');
    expect(jwks.keys[1]!.endorsements).not.toContain('msteams');
  });

  test('the token endpoint follows the client-credentials grant and its error codes', async () => {
    const ok = await token(grant());
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect((await token({ ...grant(), client_secret: 'nope' })).body.error).toBe('invalid_client');
    expect((await token({ ...grant(), client_id: 'nope' })).body.error).toBe('unauthorized_client');
    expect((await token({ ...grant(), grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
    expect((await token({ ...grant(), scope: 'https://graph.microsoft.com/.default' })).body.error).toBe(
      'invalid_scope',
    );
  });

  test('activity endpoints require the bot token, know their conversation, and record posts and updates', async () => {
    const url = `${teams.serviceUrl}v3/conversations/${encodeURIComponent(teams.conversationId)}/activities`;
    const body = JSON.stringify({ type: 'message', text: 'hello' });
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    const access = String((await token(grant())).body.access_token);
    const headers = { authorization: `Bearer ${access}`, 'content-type': 'application/json' };
    const posted = await fetch(url, { method: 'POST', headers, body });
    expect(posted.status).toBe(201);
    const { id } = (await posted.json()) as { id: string };
    const put = await fetch(`${url}/${id}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ type: 'message', text: 'bye' }),
    });
    expect(put.status).toBe(200);
    expect(teams.activity(id)?.history.map((a) => a.text)).toEqual(['hello', 'bye']);
    const missing = await fetch(`${url}/nope`, { method: 'PUT', headers, body });
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ActivityNotFound');
    const elsewhere = await fetch(url.replace(encodeURIComponent(teams.conversationId), 'other'), {
      method: 'POST',
      headers,
      body,
    });
    expect(((await elsewhere.json()) as { error: { code: string } }).error.code).toBe('ConversationNotFound');
    const big = JSON.stringify({ type: 'message', text: 'x'.repeat(52_000) });
    expect((await fetch(url, { method: 'POST', headers, body: big })).status).toBe(413);
  });

  test('faults and rate limits are served on request, in order', async () => {
    teams.rateLimit('token', { times: 1, retryAfterSeconds: 3 });
    teams.failNext('token', { status: 503 });
    const limited = await fetch(teams.tokenUrl, { method: 'POST', body: new URLSearchParams(grant()) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await token(grant())).status).toBe(503);
    expect((await token(grant())).status).toBe(200);
  });

  test('a click needs a bot endpoint and a posted card', async () => {
    await expect(
      teams.click({ user: teams.users[0]!.aadObjectId, activityId: 'x', verb: 'v' }),
    ).rejects.toThrow(/bot endpoint/);
    teams.setBotEndpoint('http://127.0.0.1:9/');
    await expect(
      teams.click({ user: teams.users[0]!.aadObjectId, activityId: 'x', verb: 'v' }),
    ).rejects.toThrow(/no activity/);
  });
});
