import type { TransportErrorEvent } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { ACTION } from '../src/index.js';
import { currentText, type Harness, hasButtons, nextDelivered, setup, shownTexts } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Moves the test clock a second at a time, letting real HTTP round trips finish in between. */
async function advanceUntil(done: () => boolean, maxSeconds: number): Promise<void> {
  for (let i = 0; i < maxSeconds && !done(); i++) {
    await h.clock.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('delivery failures fail closed', () => {
  test.each([
    ['invalid_auth', { token: 'xoxb-not-a-real-token' }, undefined],
    ['channel_not_found', { channel: 'C0NOWHERE' }, undefined],
    ['not_in_channel', { channel: 'C0GENERAL' }, undefined],
    ['timeout', { requestTimeoutMs: 200 }, { delayMs: 1_000 }],
  ])('%s surfaces as a delivery failure and the request is cancelled', async (code, transport, fault) => {
    h = await setup({ transport });
    if (fault) h.slack.failNext('chat.postMessage', fault);
    const error = await h.ask().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'delivery_failed' });
    expect(String((error as Error).message)).toContain(code);
    const [request] = await Promise.all([h.cs.audit.entries()]);
    expect(request.map((e) => e.type)).toEqual(['requested', 'delivery_failed', 'cancelled']);
  });
});

describe('rate limits', () => {
  test('429s are waited out with Retry-After while the request lives; one message is posted', async () => {
    h = await setup();
    h.slack.rateLimit('chat.postMessage', { times: 3, retryAfterSeconds: 2 });
    const delivered = nextDelivered(h.cs);
    let seen = false;
    void delivered.then(() => {
      seen = true;
    });
    const asked = h.ask();
    await advanceUntil(() => seen, 30);
    const { request } = await asked;
    expect(request.deliveries).toHaveLength(1);
    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts.map((c) => c.status)).toEqual([429, 429, 429, 200]);
    expect(posts[3]!.at - posts[0]!.at).toBeGreaterThanOrEqual(6_000);
    expect(h.slack.messages).toHaveLength(1);
  });

  test('a 429 storm longer than the request lives gives up before the deadline and fails closed', async () => {
    h = await setup({
      countersign: {
        policy: [
          {
            id: 'storm',
            match: { action: 'db.export' },
            effect: 'require_approval',
            approvers: { users: ['user:bob'] },
            requestTtl: '10s',
          },
        ],
      },
    });
    h.slack.rateLimit('chat.postMessage', { times: 1_000, retryAfterSeconds: 4 });
    let failure: unknown = null;
    const asked = h.ask().catch((e: unknown) => {
      failure = e;
    });
    await advanceUntil(() => failure !== null, 30);
    await asked;
    expect(failure).toMatchObject({ code: 'delivery_failed' });
    expect(String((failure as Error).message)).toContain('ratelimited');
    // Attempts at 0 s, 4 s and 8 s; the next wait would end after the 10 s deadline.
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(3);
    expect(h.slack.messages).toEqual([]);
  });

  test('a rate-limited chat.update is retried and the message still ends up right', async () => {
    h = await setup();
    const asked = await h.ask({ name: 'infra.deploy', resource: 'prod/api' });
    h.slack.rateLimit('chat.update', { times: 2, retryAfterSeconds: 1 });
    const clicked = h.slack.click({
      user: 'U0BOB',
      channel: asked.channel,
      ts: asked.ts,
      actionId: ACTION.Approve,
    });
    let done = false;
    void asked.result.then(() => {
      done = true;
    });
    await clicked;
    await advanceUntil(() => done, 30);
    await h.transport.idle();
    expect(await asked.result).toBe('ran');
    await advanceUntil(() => currentText(h.slack, asked.channel, asked.ts).includes('the action ran'), 30);
    expect(currentText(h.slack, asked.channel, asked.ts)).toContain('the action ran');
    expect(h.slack.callsTo('chat.update').filter((c) => c.status === 429)).toHaveLength(2);
  });
});

describe('updates', () => {
  test('a failed chat.update after a decision never changes the decision', async () => {
    h = await setup();
    const errors: TransportErrorEvent[] = [];
    h.cs.on('transport_error', (event) => errors.push(event));
    const asked = await h.ask({ name: 'infra.deploy', resource: 'prod/api' });
    h.slack.failNext('chat.update', { error: 'cant_update_message' });
    h.slack.failNext('chat.update', { status: 500 });
    await h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve });
    await h.transport.idle();
    expect(await asked.result).toBe('ran');
    expect((await h.cs.getRequest(asked.request.id))?.status).toBe('executed');
    expect(errors.map((e) => [e.operation, String((e.error as Error).message)])).toEqual([
      ['update', expect.stringContaining('cant_update_message')],
      ['update', expect.stringContaining('http_500')],
    ]);
  });

  test('an older state never replaces a newer one', async () => {
    h = await setup();
    const asked = await h.ask();
    const request = (await h.cs.getRequest(asked.request.id))!;
    const receipt = request.deliveries[0]!;
    const vote = {
      approver: 'slack:T0EMULATOR:U0BOB',
      outcome: 'approve' as const,
      comment: null,
      via: 'slack',
      at: 1,
    };
    const denied = { ...request, version: 10, status: 'denied' as const, decisions: [vote] };
    await h.transport.update(denied, receipt);
    await h.transport.update({ ...request, version: 9, decisions: [vote] }, receipt);
    expect(currentText(h.slack, asked.channel, asked.ts)).toContain('Denied');
    expect(hasButtons(h.slack, asked.channel, asked.ts)).toBe(false);
  });

  test('deliver is idempotent per request id, even when called concurrently', async () => {
    h = await setup();
    const asked = await h.ask();
    const request = (await h.cs.getRequest(asked.request.id))!;
    const signal = new AbortController().signal;
    const refs = await Promise.all([
      h.transport.deliver(request, { signal }),
      h.transport.deliver(request, { signal }),
    ]);
    expect(refs).toEqual([request.deliveries[0]!.ref, request.deliveries[0]!.ref]);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('what reaches Slack', () => {
  test('injection attempts in params and reason are shown as text, never as mentions, links or hidden text', async () => {
    h = await setup();
    await h.ask(
      {
        params: {
          note: '<!channel> <!here> <@U0BOB> <https://evil.example|Approve> *bold* _it_ ~s~ ```code``` `x`',
          file: 'invoice\u202Egnp.exe',
          hidden: 'a\u200Bb\u2060c\u{E0041}',
          '<!everyone>': 'key',
        },
      },
      { reason: 'Urgent <!channel>: click <https://evil.example|Approve>\u202E now\n> quoted' },
    );
    const texts = shownTexts(h.slack);
    const everything = texts.join('\n');
    for (const forbidden of [
      '<!channel>',
      '<!here>',
      '<!everyone>',
      '<@U0BOB>',
      '<https://',
      '\u202E',
      '\u200B',
      '\u2060',
      '\u{E0041}',
    ]) {
      expect(everything).not.toContain(forbidden);
    }
    expect(everything).toContain('&lt;!channel&gt;');
    expect(everything).toContain('invoice⟨U+202E⟩gnp.exe');
    expect(everything).toContain('⟨U+0060⟩');
    // Only Slack date tokens, which the transport writes itself, use the control syntax.
    expect(everything.match(/<[^&]/g)?.every((m) => m === '<!')).toBe(true);
    expect(everything.match(/<!(?!date\^)/g)).toBeNull();
    const posted = h.slack.callsTo('chat.postMessage')[0]!.args;
    expect(posted.parse).toBe('none');
  });

  test('a secret in params never reaches Slack', async () => {
    h = await setup();
    const secrets = [
      'hunter2-correct-horse',
      'xoxb-123456789012-abcdefABCDEF',
      's3cr3tpass',
      'AKIAABCDEFGHIJKLMNOP',
    ];
    await h.ask({
      params: {
        table: 'customers',
        password: secrets[0],
        nested: { note: `token ${secrets[1]}` },
        url: `https://admin:${secrets[2]}@db.example/prod`,
        key: secrets[3],
      },
    });
    const wire = JSON.stringify(h.slack.calls);
    for (const secret of secrets) expect(wire).not.toContain(secret);
    expect(wire).toContain('[REDACTED]');
  });

  test('long params are cut visibly, with the hash that covers them all', async () => {
    h = await setup();
    const asked = await h.ask({ params: { rows: Array.from({ length: 400 }, (_, i) => `row-${i}`) } });
    const text = currentText(h.slack, asked.channel, asked.ts);
    expect(text).toMatch(/Truncated to fit: param `rows` \([\d,]+ of [\d,]+ characters shown\)/);
    expect(text).toContain('The params hash covers every param.');
    expect(text).toContain(`sha256:${asked.request.action.paramsHash}`);
    expect(text).not.toContain('row-399');
  });

  test('with publicUrl, a cut message links to the request page in the inbox', async () => {
    h = await setup({ transport: { publicUrl: 'https://approvals.example' } });
    const asked = await h.ask({ params: { body: 'x'.repeat(3_000), zzz: 'after the long one' } });
    const text = currentText(h.slack, asked.channel, asked.ts);
    expect(text).toContain('"zzz": "after the long one"');
    expect(text).toContain(`<https://approvals.example/inbox/requests/${asked.request.id}>`);
  });
});
