import { afterEach, describe, expect, test } from 'vitest';
import { ACTION } from '../src/index.js';
import { type Harness, setup } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** What the bot sent to a user's direct message: `chat.postMessage` calls naming the user as channel. */
function directMessages(user: string): string[] {
  return h.slack
    .callsTo('chat.postMessage')
    .map((call) => call.args)
    .filter((args) => args.channel === user)
    .map((args) => String(args.text));
}

describe('notifyRequester', () => {
  test('the person the agent acts for is told once, by direct message, that the request was denied, and why', async () => {
    h = await setup({ transport: { notifyRequester: true } });
    const asked = await h.ask();
    expect(directMessages('U0ALICE')).toEqual([]);
    await h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Deny });
    await h.transport.idle();
    await asked.result.catch(() => {});
    const sent = directMessages('U0ALICE');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('denied by');
    expect(sent[0]).toContain('`db.export`');
  });

  test('approved: told once, though the request then runs and changes again', async () => {
    h = await setup({ transport: { notifyRequester: true } });
    const asked = await h.ask();
    await h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve });
    await h.slack.click({ user: 'U0DAN', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve });
    expect(await asked.result).toBe('ran');
    await h.transport.idle();
    const sent = directMessages('U0ALICE');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('approved by');
  });

  test('off by default, and never for an identity of another workspace or kind', async () => {
    h = await setup();
    const asked = await h.ask();
    await h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Deny });
    await h.transport.idle();
    expect(directMessages('U0ALICE')).toEqual([]);
    await h.close();

    h = await setup({ transport: { notifyRequester: true } });
    const other = await h.ask({ params: { table: 'orders' } }, { onBehalfOf: 'slack:T0OTHER:U0ALICE' });
    await h.slack.click({ user: 'U0BOB', channel: other.channel, ts: other.ts, actionId: ACTION.Deny });
    await h.transport.idle();
    expect(
      h.slack.callsTo('chat.postMessage').filter((call) => String(call.args.channel).startsWith('U')),
    ).toEqual([]);
  });

  test('a notifyRequester that is not a boolean is a ConfigError', async () => {
    h = await setup();
    const { createSlackTransport } = await import('../src/index.js');
    expect(() =>
      createSlackTransport({
        token: 'x',
        signingSecret: 'y',
        channel: 'C1',
        teamId: 'T1',
        notifyRequester: 'yes',
      } as never),
    ).toThrow(/notifyRequester must be true or false/);
  });
});
