import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTeamsEmulator, DEFAULT_MAX_MESSAGE_BYTES, type TeamsEmulator } from '../src/testing/index.js';
import { listen } from './helpers.js';

/** A bot that answers every activity with `answer`, as given. */
let answer: { status: number; body: string };
let bot: Server;
let teams: TeamsEmulator;

beforeEach(async () => {
  answer = { status: 200, body: '' };
  bot = await listen(
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
    }),
  );
});
afterEach(async () => {
  await teams?.close();
  await new Promise<void>((resolve) => bot.close(() => resolve()));
});

async function start(options: Parameters<typeof createTeamsEmulator>[0] = {}) {
  teams = createTeamsEmulator(options);
  await teams.start();
  teams.setBotEndpoint(`http://127.0.0.1:${(bot.address() as AddressInfo).port}/api/messages`);
}

/** Posts a card with one Action.Execute (`go`) as the bot would, and returns its activity id. */
async function postCard(card: Record<string, unknown> = {}) {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: teams.appId,
    client_secret: teams.appPassword,
    scope: 'https://api.botframework.com/.default',
  });
  const token = (await (await fetch(teams.tokenUrl, { method: 'POST', body: form })).json()) as {
    access_token: string;
  };
  const url = `${teams.serviceUrl}v3/conversations/${encodeURIComponent(teams.conversationId)}/activities`;
  const content = {
    type: 'AdaptiveCard',
    version: '1.5',
    body: [],
    actions: [{ type: 'Action.Execute', verb: 'go', data: {} }],
    ...card,
  };
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content }],
    }),
  });
  return { status: response.status, id: ((await response.json()) as { id?: string }).id ?? '' };
}

const click = async (strict?: boolean) => {
  const { id } = await postCard();
  return teams.click({ user: teams.users[0]!.aadObjectId, activityId: id, verb: 'go', strict });
};
const invoke = (body: unknown) => {
  answer = { status: 200, body: JSON.stringify(body) };
};
const card = { type: 'AdaptiveCard', version: '1.5', body: [] };
const error = { code: 'BadRequest', message: 'No.' };

describe('the emulator takes only the invoke answers Teams documents', () => {
  test.each<[string, unknown, { card?: boolean; message?: string }]>([
    [
      '200 with a card',
      { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card },
      { card: true },
    ],
    [
      '200 with a message',
      { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Done.' },
      { message: 'Done.' },
    ],
    [
      'a card without statusCode (which means 200)',
      { type: 'application/vnd.microsoft.card.adaptive', value: card },
      { card: true },
    ],
    [
      '400 with an error',
      { statusCode: 400, type: 'application/vnd.microsoft.error', value: error },
      { message: 'No.' },
    ],
    [
      '500 with an error',
      { statusCode: 500, type: 'application/vnd.microsoft.error', value: error },
      { message: 'No.' },
    ],
    [
      '412 preconditionFailed',
      { statusCode: 412, type: 'application/vnd.microsoft.error.preconditionFailed', value: error },
      { message: 'No.' },
    ],
    [
      '401 loginRequest',
      {
        statusCode: 401,
        type: 'application/vnd.microsoft.activity.loginRequest',
        value: { text: 'Sign in' },
      },
      {},
    ],
  ])('%s is accepted', async (_, body, shown) => {
    await start();
    invoke(body);
    const result = await click();
    expect(result.problems).toEqual([]);
    expect(result.card !== null).toBe(shown.card === true);
    expect(result.message).toBe(shown.message ?? null);
  });

  test.each<[string, unknown, RegExp]>([
    [
      '403 with an error',
      { statusCode: 403, type: 'application/vnd.microsoft.error', value: error },
      /statusCode 403 .* not in the Universal Action Model's table/,
    ],
    [
      '401 with an error',
      { statusCode: 401, type: 'application/vnd.microsoft.error', value: error },
      /statusCode 401/,
    ],
    [
      '200 with an error',
      { statusCode: 200, type: 'application/vnd.microsoft.error', value: error },
      /statusCode 200/,
    ],
    ['an unknown type', { statusCode: 200, type: 'text/plain', value: 'hi' }, /type text\/plain/],
    [
      'a card that is not one',
      { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: 'hi' },
      /value is not an Adaptive Card/,
    ],
    [
      'an error without a message',
      { statusCode: 400, type: 'application/vnd.microsoft.error', value: 'No.' },
      /value is not an error/,
    ],
    ['a body that is not JSON', '<html>', /not JSON/],
    ['a JSON null', 'null', /not an object/],
  ])('%s is refused: the click throws, naming why', async (_, body, why) => {
    await start();
    answer = { status: 200, body: typeof body === 'string' ? body : JSON.stringify(body) };
    await expect(click()).rejects.toThrow(why);
  });

  test('strict: false returns a refused answer with its problems, showing the clicker nothing', async () => {
    await start();
    invoke({ statusCode: 403, type: 'application/vnd.microsoft.error', value: error });
    const result = await click(false);
    expect(result.problems).toHaveLength(1);
    expect(result.invokeResponse).toMatchObject({ statusCode: 403 });
    expect(result.card).toBeNull();
    expect(result.message).toBeNull();
  });

  test('an answer over the message size limit is refused, as posts and updates are', async () => {
    await start({ maxMessageBytes: 4_096 });
    const big = { ...card, body: [{ type: 'TextBlock', text: 'x'.repeat(2_100) }] };
    invoke({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: big });
    await expect(click()).rejects.toThrow(/over the 4096 bytes Teams accepts/);
    expect((await postCard({ body: big.body })).status).toBe(413);
    invoke({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card });
    expect((await click()).card).not.toBeNull();
  });

  test('the default limit is the 100 KB Teams documents, counted as UTF-16', async () => {
    await start();
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(102_400);
    invoke({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: 'é'.repeat(51_200),
    });
    await expect(click()).rejects.toThrow(/over the 102400 bytes/);
  });

  test('a non-200 HTTP status is not an invoke answer and throws nothing', async () => {
    await start();
    answer = { status: 401, body: 'unauthorized' };
    const result = await click();
    expect(result.status).toBe(401);
    expect(result.problems).toEqual([]);
  });

  test('maxMessageBytes must be a positive integer', () => {
    for (const maxMessageBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => createTeamsEmulator({ maxMessageBytes })).toThrow(
        /maxMessageBytes must be a positive integer/,
      );
    }
  });

  test('rotateKeys can publish a key without endorsements', async () => {
    await start();
    await teams.rotateKeys({ endorsements: null });
    const keys = teams.jwks().keys;
    expect(keys).toHaveLength(3);
    expect('endorsements' in keys[2]!).toBe(false);
  });
});
