import type { PolicyRule } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { ACTION } from '../src/index.js';
import { type Harness, setup, slackId } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const POLICY: PolicyRule[] = [
  {
    id: 'exports-remind',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: [slackId('U0BOB'), slackId('U0DAN'), 'user:<!channel>'] },
    quorum: 2,
    requestTtl: '1h',
    remindAfter: '5m',
    escalateAfter: '20m',
    escalateTo: { users: [slackId('U0ERIN')] },
  },
];

/** The follow-ups posted under a message: `chat.postMessage` calls in its thread. */
function threadReplies(channel: string, ts: string) {
  return h.slack
    .callsTo('chat.postMessage')
    .map((call) => call.args)
    .filter((args) => args.channel === channel && args.thread_ts === ts);
}

describe('remind', () => {
  test('a reminder is a threaded reply mentioning the approvers who have not decided, others escaped', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask();
    await h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve });
    await h.transport.idle();
    expect(threadReplies(asked.channel, asked.ts)).toHaveLength(0);

    await h.clock.advance(6 * 60_000);
    await h.cs.followUp();
    const replies = threadReplies(asked.channel, asked.ts);
    expect(replies).toHaveLength(1);
    const text = String(replies[0]!.text);
    expect(String(replies[0]!.reply_broadcast)).toBe('false');
    expect(text).toContain('Reminder');
    expect(text).toContain('<@U0DAN>');
    expect(text).not.toContain('<@U0BOB>');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(await h.auditTypes()).toContain('reminded');
  });

  test('an escalation mentions the people just added and is broadcast to the channel', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask();
    await h.clock.advance(21 * 60_000);
    await h.cs.followUp();
    const escalation = threadReplies(asked.channel, asked.ts).find((args) =>
      String(args.text).includes('Escalated'),
    );
    expect(String(escalation?.text)).toContain('<@U0ERIN>');
    expect(String(escalation?.reply_broadcast)).toBe('true');
    expect(await h.auditTypes()).toContain('escalated');
  });
});
