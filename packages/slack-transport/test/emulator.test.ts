import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ErrorCode,
  type Logger,
  LogLevel,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  WebClient,
} from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BlockActionsPayload,
  createSlackEmulator,
  DEFAULT_BOT_TOKEN,
  isSlackEmulatorError,
  type SlackEmulator,
  type SlackEmulatorOptions,
  signSlackRequest,
  type ViewSubmissionPayload,
} from '../src/testing/index.js';

const approvalBlocks = [
  { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: '*deploy* to prod?' } },
  {
    type: 'actions',
    block_id: 'decision',
    elements: [
      {
        type: 'button',
        action_id: 'approve',
        value: 'req_1',
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
      },
      { type: 'button', action_id: 'deny', value: 'req_1', text: { type: 'plain_text', text: 'Deny' } },
    ],
  },
];

const reasonModal = {
  type: 'modal',
  callback_id: 'deny_reason',
  title: { type: 'plain_text', text: 'Deny request' },
  submit: { type: 'plain_text', text: 'Deny' },
  blocks: [
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Reason' },
      element: { type: 'plain_text_input', action_id: 'reason_input' },
    },
  ],
};

interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface AppResponse {
  readonly status?: number;
  readonly body?: string;
  readonly contentType?: string;
}

/**
 * A stand-in for the app's interactivity endpoint: records requests, answers what the test says,
 * and closes after the test.
 */
async function startApp(
  answer: (request: ReceivedRequest) => AppResponse | Promise<AppResponse> = () => ({}),
) {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      const response = await answer(received);
      res.writeHead(response.status ?? 200, { 'content-type': response.contentType ?? 'application/json' });
      res.end(response.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(
    () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  );
  return { url: `http://127.0.0.1:${port}/slack/interactions`, requests };
}

/** {@link startApp}, set as the workspace's interactivity URL. */
async function startInteractionApp(answer?: Parameters<typeof startApp>[0]) {
  const app = await startApp(answer);
  slack.setInteractionUrl(app.url);
  return app;
}

function payloadOf(body: string): Record<string, unknown> {
  const payload = new URLSearchParams(body).get('payload');
  if (payload === null) throw new Error('no payload field');
  return JSON.parse(payload) as Record<string, unknown>;
}

function independentSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the promise to reject');
}

let slack: SlackEmulator;
let client: WebClient;
let cleanups: (() => Promise<void>)[] = [];
/** What the official client logged at error level, instead of printing it into the test output. */
let clientErrors: string[] = [];

/** The client's logger: errors are kept for the test to assert (and fail it if unexpected). */
const recordingLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (...messages: unknown[]) => {
    clientErrors.push(messages.join(' '));
  },
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

/** Takes the errors the client logged so far; the test asserts them. */
function takeClientErrors(): string[] {
  const taken = clientErrors;
  clientErrors = [];
  return taken;
}

async function startSlack(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const emulator = createSlackEmulator(options);
  await emulator.start();
  cleanups.push(() => emulator.close());
  return emulator;
}

function webClient(token: string | undefined = slack.token): WebClient {
  return new WebClient(token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: recordingLogger,
  });
}

async function postApproval(channel = 'C0APPROVALS') {
  const posted = await client.chat.postMessage({ channel, text: 'deploy to prod?', blocks: approvalBlocks });
  return { channel: posted.channel ?? '', ts: posted.ts ?? '' };
}

beforeEach(async () => {
  slack = await startSlack();
  client = webClient();
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  // An error the client logged that no test expected is a real failure: never silently dropped.
  expect(takeClientErrors()).toEqual([]);
});

describe('Web API through the official WebClient', () => {
  it('auth.test identifies the bot, team and workspace URL', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      url: 'https://countersign-emulator.slack.com/',
      team: 'Countersign Emulator',
      user: 'countersign',
      team_id: 'T0EMULATOR',
      user_id: 'U0EMULBOT',
      bot_id: 'B0EMULBOT',
    });
    expect(slack.calls[0]).toMatchObject({ method: 'auth.test', token: DEFAULT_BOT_TOKEN, status: 200 });
  });

  it('chat.postMessage stores the message and answers channel, ts and message', async () => {
    const result = await client.chat.postMessage({
      channel: 'C0APPROVALS',
      text: 'hi',
      blocks: approvalBlocks,
    });
    expect(result.ok).toBe(true);
    expect(result.channel).toBe('C0APPROVALS');
    expect(result.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(result.message).toMatchObject({
      type: 'message',
      ts: result.ts,
      text: 'hi',
      user: 'U0EMULBOT',
      bot_id: 'B0EMULBOT',
    });
    expect(result.message?.blocks).toHaveLength(2);

    const stored = slack.message('C0APPROVALS', result.ts ?? '');
    expect(stored?.message.blocks?.[1]).toMatchObject({ type: 'actions', block_id: 'decision' });
    expect(stored?.history.map((revision) => revision.source)).toEqual(['chat.postMessage']);
    const [call] = slack.callsTo('chat.postMessage');
    expect(call?.contentType).toBe('application/x-www-form-urlencoded');
    expect(call?.args.blocks).toEqual(approvalBlocks);
  });

  it('message timestamps are unique even when the clock stands still', async () => {
    slack = await startSlack({ now: () => 1_700_000_000_000 });
    client = webClient();
    const first = await client.chat.postMessage({ channel: 'C0APPROVALS', text: 'one' });
    const second = await client.chat.postMessage({ channel: 'C0APPROVALS', text: 'two' });
    expect(first.ts).toBe('1700000000.000000');
    expect(second.ts).toBe('1700000000.000001');
  });

  it('posting to a user id opens a direct message', async () => {
    const result = await client.chat.postMessage({ channel: 'U0ALICE', text: 'psst' });
    expect(result.channel).toBe('D0ALICE');
    expect(slack.messages.map((m) => m.channel)).toEqual(['D0ALICE']);
  });

  it('chat.update edits the message and keeps its history', async () => {
    const { channel, ts } = await postApproval();
    const updated = await client.chat.update({ channel, ts, text: 'approved by alice', blocks: [] });
    expect(updated).toMatchObject({ ok: true, channel, ts, text: 'approved by alice' });
    expect(updated.message?.edited?.user).toBe('U0EMULBOT');

    const stored = slack.message(channel, ts);
    expect(stored?.message.text).toBe('approved by alice');
    expect(stored?.message.blocks).toEqual([]);
    expect(stored?.history.map((revision) => revision.message?.text)).toEqual([
      'deploy to prod?',
      'approved by alice',
    ]);
  });

  it('chat.update retains blocks when none are passed', async () => {
    const { channel, ts } = await postApproval();
    await client.chat.update({ channel, ts, text: 'still pending' });
    expect(slack.message(channel, ts)?.message.blocks).toHaveLength(2);
  });

  it('chat.update refuses unknown messages and messages the bot did not post', async () => {
    const missing = await rejection(
      client.chat.update({ channel: 'C0APPROVALS', ts: '1.000001', text: 'x' }),
    );
    expect((missing as unknown as WebAPIPlatformError).data.error).toBe('message_not_found');

    const human = slack.seedMessage({ channel: 'C0APPROVALS', user: 'U0ALICE', text: 'mine' });
    const foreign = await rejection(client.chat.update({ channel: 'C0APPROVALS', ts: human.ts, text: 'x' }));
    expect((foreign as unknown as WebAPIPlatformError).data.error).toBe('cant_update_message');
  });

  it('answers Slack error codes for channels and content', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ channel: 'C0NOPE', text: 'x' }, 'channel_not_found'],
      [{ channel: 'C0GENERAL', text: 'x' }, 'not_in_channel'],
      [{ channel: 'C0APPROVALS' }, 'no_text'],
      [{ channel: 'C0APPROVALS', blocks: '[not json' }, 'invalid_blocks_format'],
    ];
    for (const [args, code] of cases) {
      const error = await rejection(client.apiCall('chat.postMessage', args));
      expect(error.code).toBe(ErrorCode.PlatformError);
      expect((error as unknown as WebAPIPlatformError).data.error).toBe(code);
    }
  });

  it('rejects invalid blocks with Slack-style messages', async () => {
    const tooLong = { type: 'plain_text', text: 'x'.repeat(76) };
    const blocks = [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: tooLong }] }];
    const error = await rejection(client.chat.postMessage({ channel: 'C0APPROVALS', text: 'x', blocks }));
    const data = (error as unknown as WebAPIPlatformError).data;
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages?.[0]).toContain('/blocks/0/elements/0/text/text');
    expect(slack.messages).toHaveLength(0);
    expect(takeClientErrors()).toEqual([
      expect.stringContaining('[json-pointer:/blocks/0/elements/0/text/text]'),
    ]);
  });

  it('chat.postEphemeral records a message only the user sees', async () => {
    const result = await client.chat.postEphemeral({
      channel: 'C0APPROVALS',
      user: 'U0BOB',
      text: 'only you',
    });
    expect(result.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(slack.ephemerals).toMatchObject([
      { channel: 'C0APPROVALS', user: 'U0BOB', messageTs: result.message_ts },
    ]);
    expect(slack.messages).toHaveLength(0);

    const error = await rejection(
      client.chat.postEphemeral({ channel: 'C0APPROVALS', user: 'U0CAROL', text: 'x' }),
    );
    expect((error as unknown as WebAPIPlatformError).data.error).toBe('user_not_in_channel');
  });

  it('users.info and users.lookupByEmail return Slack user objects', async () => {
    const info = await client.users.info({ user: 'U0ALICE' });
    expect(info.user).toMatchObject({
      id: 'U0ALICE',
      team_id: 'T0EMULATOR',
      name: 'alice',
      real_name: 'Alice Approver',
      deleted: false,
      is_bot: false,
      profile: { email: 'alice@example.com' },
    });
    const byEmail = await client.users.lookupByEmail({ email: 'BOB@example.com' });
    expect(byEmail.user?.id).toBe('U0BOB');
    const deactivated = await client.users.info({ user: 'U0CAROL' });
    expect(deactivated.user?.deleted).toBe(true);
    const bot = await client.users.info({ user: 'U0EMULBOT' });
    expect(bot.user?.is_bot).toBe(true);

    const unknownId = await rejection(client.users.info({ user: 'U0NOBODY' }));
    expect((unknownId as unknown as WebAPIPlatformError).data.error).toBe('user_not_found');
    const unknownEmail = await rejection(client.users.lookupByEmail({ email: 'nobody@example.com' }));
    expect((unknownEmail as unknown as WebAPIPlatformError).data.error).toBe('users_not_found');
  });

  it('an invalid token is a WebAPIPlatformError with data.error invalid_auth', async () => {
    const error = await rejection(webClient('xoxb-wrong').auth.test());
    expect(error.code).toBe(ErrorCode.PlatformError);
    expect((error as unknown as WebAPIPlatformError).data.error).toBe('invalid_auth');
    expect(slack.calls[0]?.token).toBe('xoxb-wrong');
  });

  it('a revoked token answers token_revoked', async () => {
    slack.revokeToken(slack.token);
    const error = await rejection(client.auth.test());
    expect((error as unknown as WebAPIPlatformError).data.error).toBe('token_revoked');
  });
});

describe('Web API over raw HTTP', () => {
  async function post(method: string, body: string, headers: Record<string, string>) {
    const response = await fetch(`${slack.apiUrl}${method}`, { method: 'POST', body, headers });
    return {
      status: response.status,
      headers: response.headers,
      json: (await response.json()) as Record<string, unknown>,
    };
  }

  it('accepts JSON bodies with a bearer token', async () => {
    const result = await post(
      'chat.postMessage',
      JSON.stringify({ channel: 'C0APPROVALS', blocks: approvalBlocks }),
      {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${slack.token}`,
      },
    );
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ ok: true, channel: 'C0APPROVALS' });
    expect(result.json.warning).toBeUndefined();
  });

  it('warns about JSON without a charset', async () => {
    const result = await post('auth.test', '{}', {
      'content-type': 'application/json',
      authorization: `Bearer ${slack.token}`,
    });
    expect(result.json).toMatchObject({ ok: true, warning: 'missing_charset' });
  });

  it('accepts the token as a form field but not as a JSON field', async () => {
    const form = await post('auth.test', new URLSearchParams({ token: slack.token }).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.json.ok).toBe(true);
    const json = await post('auth.test', JSON.stringify({ token: slack.token }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(json.json).toMatchObject({ ok: false, error: 'not_authed' });
  });

  it('answers not_authed without a token and unknown_method for other methods', async () => {
    const anonymous = await post('auth.test', '', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(anonymous).toMatchObject({ status: 200, json: { ok: false, error: 'not_authed' } });
    const unknown = await post('chat.delete', '', { authorization: `Bearer ${slack.token}` });
    expect(unknown).toMatchObject({ status: 404, json: { ok: false, error: 'unknown_method' } });
  });

  it('does not read JSON bodies for form-only methods such as users.info', async () => {
    const result = await post('users.info', JSON.stringify({ user: 'U0ALICE' }), {
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${slack.token}`,
    });
    expect(result.json).toMatchObject({ ok: false, error: 'user_not_found' });
  });
});

describe('rate limits and fault injection', () => {
  it('answers 429 with Retry-After for the configured number of calls', async () => {
    slack.rateLimit('chat.postMessage', { times: 2, retryAfterSeconds: 7 });
    const first = await rejection(client.chat.postMessage({ channel: 'C0APPROVALS', text: 'x' }));
    expect(first.code).toBe(ErrorCode.RateLimitedError);
    expect((first as unknown as WebAPIRateLimitedError).retryAfter).toBe(7);

    const raw = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${slack.token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'channel=C0APPROVALS&text=x',
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });

    await expect(client.chat.postMessage({ channel: 'C0APPROVALS', text: 'x' })).resolves.toMatchObject({
      ok: true,
    });
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    expect(slack.callsTo('chat.postMessage').map((call) => call.status)).toEqual([429, 429, 200]);
  });

  it('failNext injects a Slack error, an HTTP status, a delay and a dropped connection, in order', async () => {
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    slack.failNext('chat.postMessage', { status: 503, body: 'upstream' });
    slack.failNext('chat.postMessage', { delayMs: 150 });
    slack.failNext('chat.postMessage', { disconnect: true });
    const post = () => client.chat.postMessage({ channel: 'C0APPROVALS', text: 'x' });

    const platform = await rejection(post());
    expect((platform as unknown as WebAPIPlatformError).data.error).toBe('channel_not_found');
    const http = await rejection(post());
    expect(http.code).toBe(ErrorCode.HTTPError);
    expect((http as unknown as WebAPIHTTPError).statusCode).toBe(503);
    const started = performance.now();
    await expect(post()).resolves.toMatchObject({ ok: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    const dropped = await rejection(post());
    expect(dropped.code).toBe(ErrorCode.RequestError);
    await expect(post()).resolves.toMatchObject({ ok: true });
    expect(slack.messages).toHaveLength(2);
  });

  it('close() does not wait for an injected delay', async () => {
    slack.failNext('auth.test', { delayMs: 60_000 });
    const pending = rejection(client.auth.test());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await slack.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await pending).code).toBe(ErrorCode.RequestError);
  });
});

describe('interactions', () => {
  it('click POSTs a signed block_actions payload like Slack', async () => {
    const app = await startInteractionApp(() => ({ status: 200, body: '' }));
    const { channel, ts } = await postApproval();

    const result = await slack.click({ user: 'U0ALICE', channel, ts, actionId: 'approve' });

    expect(result.status).toBe(200);
    expect(result.acknowledged).toBe(true);
    expect(result.elapsedMs).toBeGreaterThan(0);
    const [received] = app.requests;
    if (received === undefined) throw new Error('the app received nothing');
    expect(received.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const timestamp = String(received.headers['x-slack-request-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(received.headers['x-slack-signature']).toBe(
      independentSignature(slack.signingSecret, timestamp, received.body),
    );
    expect(received.body.startsWith('payload=')).toBe(true);

    const payload = payloadOf(received.body);
    expect(payload).toMatchObject({
      type: 'block_actions',
      team: { id: 'T0EMULATOR', domain: 'countersign-emulator' },
      user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T0EMULATOR' },
      api_app_id: 'A0EMULAPP',
      token: slack.verificationToken,
      container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
      channel: { id: 'C0APPROVALS', name: 'approvals' },
      message: { ts, text: 'deploy to prod?', blocks: expect.any(Array) },
      actions: [
        {
          action_id: 'approve',
          block_id: 'decision',
          value: 'req_1',
          type: 'button',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
        },
      ],
    });
    expect(payload.trigger_id).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    expect(payload.response_url).toBe(result.responseUrl);
    expect((payload.actions as { action_ts: string }[])[0]?.action_ts).toMatch(/^\d+\.\d{6}$/);
  });

  it('signs with the documented Slack algorithm (Slack docs test vector)', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const signed = signSlackRequest({
      signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
      body,
      timestamp: 1531420618,
    });
    expect(signed.signature).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
    expect(signed.headers['x-slack-request-timestamp']).toBe('1531420618');
  });

  it('lets tests forge timestamp, signature, team, payload and body', async () => {
    const app = await startInteractionApp();
    const { channel, ts } = await postApproval();
    const click = { user: 'U0ALICE', channel, ts, actionId: 'deny' } as const;

    await slack.click({ ...click, timestamp: 1_000_000_000 });
    await slack.click({ ...click, signature: 'v0=forged' });
    await slack.click({
      ...click,
      team: { id: 'T0EVIL', domain: 'evil' },
      mutate: (payload: BlockActionsPayload) => {
        payload.user.id = 'U0MALLORY';
      },
    });
    await slack.click({ ...click, tamperBody: (body) => body.replace('U0ALICE', 'U0BOB0') });
    await slack.click({ ...click, signingSecret: 'not-the-secret' });

    const [old, forged, mutated, tampered, wrongSecret] = app.requests;
    const verifies = (request: ReceivedRequest | undefined) =>
      request !== undefined &&
      request.headers['x-slack-signature'] ===
        independentSignature(
          slack.signingSecret,
          String(request.headers['x-slack-request-timestamp']),
          request.body,
        );

    expect(old?.headers['x-slack-request-timestamp']).toBe('1000000000');
    expect(verifies(old)).toBe(true);
    expect(forged?.headers['x-slack-signature']).toBe('v0=forged');
    expect(verifies(mutated)).toBe(true);
    expect(payloadOf(mutated?.body ?? '')).toMatchObject({
      team: { id: 'T0EVIL' },
      user: { id: 'U0MALLORY' },
    });
    expect(verifies(tampered)).toBe(false);
    expect(payloadOf(tampered?.body ?? '')).toMatchObject({ user: { id: 'U0BOB0' } });
    expect(verifies(wrongSecret)).toBe(false);
  });

  it('returns the app status, body and elapsed time, and flags slow acknowledgements', async () => {
    const app = await startApp(async () => {
      await new Promise((resolve) => setTimeout(resolve, 120));
      return { status: 401, body: 'bad signature', contentType: 'text/plain' };
    });
    const { channel, ts } = await postApproval();
    const result = await slack.click({ user: 'U0BOB', channel, ts, actionId: 'approve', url: app.url });
    expect(result).toMatchObject({
      status: 401,
      body: 'bad signature',
      json: undefined,
      acknowledged: false,
    });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(100);
  });

  it('refuses clicks Slack could not produce', async () => {
    const app = await startInteractionApp();
    const { channel, ts } = await postApproval();
    const attempts = [
      slack.click({ user: 'U0ALICE', channel, ts, actionId: 'nope' }),
      slack.click({ user: 'U0CAROL', channel, ts, actionId: 'approve' }),
      slack.click({ user: 'U0ALICE', channel, ts: '1.000000', actionId: 'approve' }),
    ];
    for (const attempt of attempts) expect(isSlackEmulatorError(await rejection(attempt))).toBe(true);
    expect(app.requests).toHaveLength(0);
  });

  it('clicks on ephemeral messages carry is_ephemeral and no message', async () => {
    const app = await startInteractionApp();
    const ephemeral = await client.chat.postEphemeral({
      channel: 'C0APPROVALS',
      user: 'U0BOB',
      text: 'only bob',
      blocks: approvalBlocks,
    });
    const ts = ephemeral.message_ts ?? '';
    const notBob = await rejection(
      slack.click({ user: 'U0ALICE', channel: 'C0APPROVALS', ts, actionId: 'approve' }),
    );
    expect(isSlackEmulatorError(notBob)).toBe(true);

    await slack.click({ user: 'U0BOB', channel: 'C0APPROVALS', ts, actionId: 'approve' });
    const payload = payloadOf(app.requests[0]?.body ?? '');
    expect(payload.container).toMatchObject({ message_ts: ts, is_ephemeral: true });
    expect(payload.message).toBeUndefined();
  });

  it('accepts response_url posts and applies replace_original', async () => {
    await startInteractionApp();
    const { channel, ts } = await postApproval();
    const { responseUrl } = await slack.click({ user: 'U0ALICE', channel, ts, actionId: 'approve' });

    const response = await fetch(responseUrl ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, text: 'Approved by <@U0ALICE>' }),
    });
    expect(response.status).toBe(200);
    expect(slack.responseUrlPosts).toMatchObject([{ status: 200, body: { replace_original: true } }]);
    const stored = slack.message(channel, ts);
    expect(stored?.message).toMatchObject({ text: 'Approved by <@U0ALICE>', blocks: [] });
    expect(stored?.history.map((revision) => revision.source)).toEqual(['chat.postMessage', 'response_url']);
  });
});

describe('modals', () => {
  it('views.open accepts a fresh trigger_id once, then answers exchanged_trigger_id', async () => {
    await startInteractionApp();
    const { channel, ts } = await postApproval();
    const { triggerId } = await slack.click({ user: 'U0ALICE', channel, ts, actionId: 'deny' });

    const opened = await client.views.open({ trigger_id: triggerId, view: reasonModal as never });
    expect(opened.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      type: 'modal',
      team_id: 'T0EMULATOR',
    });
    expect(slack.views).toMatchObject([{ id: opened.view?.id, user: 'U0ALICE', status: 'open' }]);

    const again = await rejection(client.views.open({ trigger_id: triggerId, view: reasonModal as never }));
    expect((again as unknown as WebAPIPlatformError).data.error).toBe('exchanged_trigger_id');
    const unknown = await rejection(client.views.open({ trigger_id: '1.2.abc', view: reasonModal as never }));
    expect((unknown as unknown as WebAPIPlatformError).data.error).toBe('invalid_trigger_id');
  });

  it('trigger ids expire after 3 seconds on the injected clock', async () => {
    let now = 1_700_000_000_000;
    slack = await startSlack({ now: () => now });
    client = webClient();
    const fresh = slack.issueTriggerId('U0ALICE');
    const stale = slack.issueTriggerId('U0ALICE');

    now += 3_000;
    await expect(client.views.open({ trigger_id: fresh, view: reasonModal as never })).resolves.toMatchObject(
      {
        ok: true,
      },
    );
    now += 1;
    const error = await rejection(client.views.open({ trigger_id: stale, view: reasonModal as never }));
    expect((error as unknown as WebAPIPlatformError).data.error).toBe('expired_trigger_id');
  });

  it('submitView delivers a signed view_submission and honours the response', async () => {
    let reply = JSON.stringify({ response_action: 'errors', errors: { reason: 'Say why' } });
    const app = await startInteractionApp(() => ({ body: reply }));
    const opened = await client.views.open({
      trigger_id: slack.issueTriggerId('U0ALICE'),
      view: reasonModal as never,
    });
    const viewId = opened.view?.id ?? '';

    const rejected = await slack.submitView({
      user: 'U0ALICE',
      viewId,
      values: { reason: { reason_input: '' } },
    });
    expect(rejected.json).toEqual({ response_action: 'errors', errors: { reason: 'Say why' } });
    expect(slack.views[0]?.status).toBe('open');

    reply = '';
    const accepted = await slack.submitView({
      user: 'U0ALICE',
      viewId,
      values: { reason: { reason_input: 'not on a Friday' } },
    });
    expect(accepted).toMatchObject({ status: 200, json: undefined, acknowledged: true });
    expect(slack.views[0]?.status).toBe('closed');

    const received = app.requests[1];
    if (received === undefined) throw new Error('the app received nothing');
    const timestamp = String(received.headers['x-slack-request-timestamp']);
    expect(received.headers['x-slack-signature']).toBe(
      independentSignature(slack.signingSecret, timestamp, received.body),
    );
    const payload = payloadOf(received.body) as unknown as ViewSubmissionPayload;
    expect(payload).toMatchObject({
      type: 'view_submission',
      user: { id: 'U0ALICE' },
      view: {
        id: viewId,
        callback_id: 'deny_reason',
        state: {
          values: { reason: { reason_input: { type: 'plain_text_input', value: 'not on a Friday' } } },
        },
      },
    });
  });

  it('submitView refuses submissions Slack would not send', async () => {
    const app = await startInteractionApp();
    const opened = await client.views.open({
      trigger_id: slack.issueTriggerId('U0ALICE'),
      view: reasonModal as never,
    });
    const viewId = opened.view?.id ?? '';
    const attempts = [
      slack.submitView({ user: 'U0BOB', viewId, values: { reason: { reason_input: 'x' } } }),
      slack.submitView({ user: 'U0ALICE', viewId, values: {} }),
      slack.submitView({ user: 'U0ALICE', viewId, values: { other: { reason_input: 'x' } } }),
    ];
    for (const attempt of attempts) expect(isSlackEmulatorError(await rejection(attempt))).toBe(true);
    expect(app.requests).toHaveLength(0);
  });

  it('views.open validates the view', async () => {
    const trigger = slack.issueTriggerId('U0ALICE');
    const longTitle = { ...reasonModal, title: { type: 'plain_text', text: 'x'.repeat(25) } };
    const error = await rejection(client.views.open({ trigger_id: trigger, view: longTitle as never }));
    expect((error as unknown as WebAPIPlatformError).data.error).toBe('invalid_arguments');
    expect(takeClientErrors()).toEqual([expect.stringContaining('[json-pointer:/view/title/text]')]);
    await expect(
      client.views.open({ trigger_id: trigger, view: reasonModal as never }),
    ).resolves.toMatchObject({
      ok: true,
    });
  });
});

describe('lifecycle', () => {
  it('closes cleanly with keep-alive clients and refuses connections afterwards', async () => {
    await client.auth.test();
    await client.auth.test();
    const url = slack.apiUrl;
    await slack.close();
    await slack.close();
    await expect(fetch(`${url}auth.test`, { method: 'POST' })).rejects.toThrow();
  });

  it('url throws before start', () => {
    const idle = createSlackEmulator();
    expect(() => idle.url).toThrow(/not started/);
  });
});
