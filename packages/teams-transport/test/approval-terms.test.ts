import type { PolicyRule } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { REASON_INPUT, VERB } from '../src/index.js';
import { BOB, cardText, currentCard, DAN, type Harness, setup, teamsId } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const base = {
  id: 'exports',
  match: { action: 'db.export' },
  effect: 'require_approval' as const,
  approvers: { users: [BOB, DAN].map(teamsId) },
  risk: 'high' as const,
};
const REUSABLE: PolicyRule[] = [{ ...base, reuse: { within: '30m', scope: 'session', same: 'fingerprint' } }];
const COMMENTED: PolicyRule[] = [{ ...base, requireComment: 'approve' }];

interface Action {
  type: string;
  title: string;
  verb?: string;
}
const actionsOf = (card: Record<string, unknown>) => (card.actions as Action[] | undefined) ?? [];

describe('the card shows the approval terms', () => {
  test('reuse: said on the card, with "Approve just this call"; the risk is called out', async () => {
    h = await setup({ countersign: { policy: REUSABLE } });
    const asked = await h.ask();
    const card = currentCard(h.teams, asked.activityId);
    expect(cardText(card)).toContain('This approval may be reused');
    expect(cardText(card)).toContain('30m');
    expect(cardText(card)).toContain('High risk');
    expect(actionsOf(card).map((a) => a.title)).toEqual([
      'Approve',
      'Approve just this call',
      'Deny',
      'Deny with a reason',
    ]);
  });

  test('"Approve just this call" opens no reuse window: the same call in the session asks again', async () => {
    h = await setup({ countersign: { policy: REUSABLE } });
    const asked = await h.ask(undefined, { sessionId: 'sess_same' });
    await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.ApproveJustThisCall });
    expect(await asked.result).toBe('ran');
    expect((await h.cs.audit.entries()).map((e) => e.type)).not.toContain('reuse_opened');
    const again = await h.ask(undefined, { sessionId: 'sess_same' });
    expect(again.request.status).toBe('pending');
  });

  test('plain Approve under the same rule opens the window (the control)', async () => {
    h = await setup({ countersign: { policy: REUSABLE } });
    const asked = await h.ask(undefined, { sessionId: 'sess_same' });
    await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Approve });
    expect(await asked.result).toBe('ran');
    expect((await h.cs.audit.entries()).map((e) => e.type)).toContain('reuse_opened');
  });

  test('a required comment: Approve asks for it, and an approval without one records nothing', async () => {
    h = await setup({ countersign: { policy: COMMENTED } });
    const asked = await h.ask();
    const card = currentCard(h.teams, asked.activityId);
    expect(cardText(card)).toContain('A comment is required to approve');
    expect(actionsOf(card)[0]).toMatchObject({ type: 'Action.ShowCard', title: 'Approve' });

    const bare = await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Approve });
    expect(bare.message).toContain('needs a comment');
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect((await h.cs.audit.entries()).map((e) => e.type)).toContain('refused');

    await h.teams.click({
      user: DAN,
      activityId: asked.activityId,
      verb: VERB.Approve,
      inputs: { [REASON_INPUT.id]: 'Reviewed under CHG-7' },
    });
    expect(await asked.result).toBe('ran');
    expect((await h.cs.getRequest(asked.request.id))?.decisions.map((d) => d.comment)).toEqual([
      'Reviewed under CHG-7',
    ]);
  });
});

describe('a rule that requires a comment to deny', () => {
  test('the card offers no bare Deny, and a Deny without a reason records nothing', async () => {
    h = await setup({ countersign: { policy: [{ ...base, requireComment: 'deny' }] } });
    const asked = await h.ask();
    const card = currentCard(h.teams, asked.activityId);
    expect(actionsOf(card).map((a) => a.title)).toEqual(['Approve', 'Deny with a reason']);
    const bare = await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Deny });
    expect(bare.message).toContain('needs a comment');
    expect((await h.cs.getRequest(asked.request.id))?.status).toBe('pending');
  });
});

describe('remind', () => {
  test('a reminder replies in the card thread and mentions the approvers who have not decided', async () => {
    h = await setup({
      countersign: {
        policy: [
          {
            ...base,
            quorum: 2,
            requestTtl: '1h',
            remindAfter: '5m',
            approvers: { users: [...base.approvers.users, 'user:<at>x</at>'] },
          },
        ],
      },
    });
    const asked = await h.ask();
    await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Approve });
    const before = h.teams.activities.length;
    await h.clock.advance(6 * 60_000);
    await h.cs.followUp();
    const posts = h.teams.calls.filter((c) => c.route === 'post' && c.status === 201);
    const reply = posts.at(-1)!;
    expect(reply.path).toContain(encodeURIComponent(`;messageid=${asked.activityId}`));
    expect(h.teams.activities.length).toBe(before + 1);
    const sent = JSON.parse(reply.body) as {
      attachments: { content: { msteams: { entities: { mentioned: { id: string } }[] } } }[];
    };
    const mentioned = sent.attachments[0]!.content.msteams.entities.map((e) => e.mentioned.id);
    expect(mentioned).toEqual([DAN]);
    expect(reply.body).toContain('Reminder');
    // An identity that is not a Teams account of this tenant is text, never a mention.
    const body = (
      sent.attachments[0]!.content as unknown as {
        body: { type: string; text?: string; inlines?: { text: string }[] }[];
      }
    ).body;
    const tagged = body.filter((e) => e.type === 'TextBlock' && e.text?.includes('<at>')).map((e) => e.text);
    expect(tagged).toEqual([`<at>${DAN}</at>`]);
    expect(
      body.some(
        (e) => e.type === 'RichTextBlock' && e.inlines?.some((r) => r.text.includes('user:<at>x</at>')),
      ),
    ).toBe(true);
  });
});
