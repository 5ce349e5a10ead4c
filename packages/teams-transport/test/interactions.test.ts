import { afterEach, describe, expect, test } from 'vitest';
import { REASON_INPUT, VERB } from '../src/index.js';
import type { ClickOptions } from '../src/testing/index.js';
import {
  ALICE,
  BOB,
  cardText,
  currentCard,
  DAN,
  ERIN,
  EVE,
  type Harness,
  hasButtons,
  MALLORY,
  setup,
  teamsId,
} from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function click(user: string, activityId: string, verb: string, extra: Partial<ClickOptions> = {}) {
  return h.teams.click({ user, activityId, verb, ...extra });
}

async function decisions(id: string) {
  return (await h.cs.getRequest(id))?.decisions ?? [];
}

async function refusals() {
  return (await h.cs.audit.entries()).filter((e) => e.type === 'refused');
}

describe('the full loop', () => {
  test('two approvals: the clicker gets the updated card, the channel card loses its buttons, audit verifies', async () => {
    h = await setup();
    const asked = await h.ask();
    expect(hasButtons(currentCard(h.teams, asked.activityId))).toBe(true);

    const first = await click(BOB, asked.activityId, VERB.Approve);
    expect(first.status).toBe(200);
    expect(first.problems).toEqual([]);
    expect(first.invokeResponse?.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(hasButtons(first.card!)).toBe(false);
    expect(cardText(first.card)).toContain('You approved this request.');
    expect(cardText(first.card)).toContain('1 of 2 approvals');
    await waitFor(() => cardText(currentCard(h.teams, asked.activityId)).includes('1 of 2 approvals'));
    const progress = currentCard(h.teams, asked.activityId);
    expect(hasButtons(progress)).toBe(true);
    expect((progress.refresh as { userIds: string[] }).userIds).toEqual([`29:${BOB}`]);

    await click(DAN, asked.activityId, VERB.Approve);
    expect(await asked.result).toBe('ran');
    await waitFor(() => cardText(currentCard(h.teams, asked.activityId)).includes('The action ran'));
    const final = currentCard(h.teams, asked.activityId);
    expect(hasButtons(final)).toBe(false);
    expect(final.refresh).toBeUndefined();
    expect(cardText(final)).toContain(teamsId(DAN));
    expect(h.teams.calls.filter((c) => c.route === 'post')).toHaveLength(1);

    const request = await h.cs.getRequest(asked.request.id);
    expect(request?.decisions.map((d) => [d.approver, d.via])).toEqual([
      [teamsId(BOB), 'teams'],
      [teamsId(DAN), 'teams'],
    ]);
    expect((await h.cs.audit.verify()).ok).toBe(true);
  });

  test('Deny with a reason: the reason reaches the agent and the card shows who denied', async () => {
    h = await setup();
    const asked = await h.ask();
    const reason = 'Not this quarter';
    const result = await click(ERIN, asked.activityId, VERB.Deny, { inputs: { [REASON_INPUT.id]: reason } });
    expect(cardText(result.card)).toContain('You denied this request.');
    await expect(asked.result).rejects.toMatchObject({
      code: 'approval_denied',
      deniedBy: teamsId(ERIN),
      comment: reason,
    });
    expect(asked.ran()).toBe(false);
    await waitFor(() => cardText(currentCard(h.teams, asked.activityId)).includes('Denied by'));
    expect(hasButtons(currentCard(h.teams, asked.activityId))).toBe(false);
    expect(cardText(currentCard(h.teams, asked.activityId))).toContain(reason);
  });

  test('the Action.Submit fallback of old clients decides the same way, answered with an empty 200', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(BOB, asked.activityId, VERB.Approve, { kind: 'submit' });
    expect(result.status).toBe(200);
    expect(result.body).toBe('');
    expect((await decisions(asked.request.id)).map((d) => d.approver)).toEqual([teamsId(BOB)]);
  });

  test('a refresh shows each viewer their own view: buttons only for who may still decide', async () => {
    h = await setup();
    const asked = await h.ask();
    await click(BOB, asked.activityId, VERB.Approve);
    await waitFor(() => currentCard(h.teams, asked.activityId).refresh !== undefined);
    const bob = await click(BOB, asked.activityId, VERB.Refresh, { trigger: 'automatic' });
    expect(hasButtons(bob.card!)).toBe(false);
    expect(cardText(bob.card)).toContain('You have already decided');
    const dan = await click(DAN, asked.activityId, VERB.Refresh, { trigger: 'automatic' });
    expect(hasButtons(dan.card!)).toBe(true);
    const alice = await click(ALICE, asked.activityId, VERB.Refresh, { trigger: 'automatic' });
    expect(hasButtons(alice.card!)).toBe(false);
    expect((await decisions(asked.request.id)).length).toBe(1);
  });
});

describe('who may decide', () => {
  test('the requester clicking Approve is refused by core, told why, and audited', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(ALICE, asked.activityId, VERB.Approve);
    expect(result.message).toContain('made by you or on your behalf');
    expect(await decisions(asked.request.id)).toEqual([]);
    expect((await refusals()).map((e) => [e.approver, e.detail])).toEqual([
      [teamsId(ALICE), 'self-approval'],
    ]);
  });

  test('a non-approver is refused and audited', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(MALLORY, asked.activityId, VERB.Approve);
    expect(result.message).toContain('not an approver');
    expect(await decisions(asked.request.id)).toEqual([]);
    expect((await refusals()).map((e) => e.approver)).toEqual([teamsId(MALLORY)]);
  });

  test('a user of another tenant is refused before any decision, and audited', async () => {
    h = await setup({ transport: { resolveApprover: (u) => `teams:${h.teams.tenantId}:${u.aadObjectId}` } });
    const asked = await h.ask();
    const result = await click(EVE, asked.activityId, VERB.Approve);
    expect(result.invokeResponse).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error' });
    expect(await decisions(asked.request.id)).toEqual([]);
    expect((await refusals()).map((e) => e.detail)).toEqual(['click from another Microsoft Entra tenant']);
  });

  test('an activity naming two tenants is malformed', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(BOB, asked.activityId, VERB.Approve, {
      forge: { activity: (a) => Object.assign(a.conversation as object, { tenantId: 'another' }) },
    });
    expect(result.status).toBe(400);
    expect(await decisions(asked.request.id)).toEqual([]);
  });

  test('identity comes from the authenticated activity, never the card data', async () => {
    h = await setup();
    const asked = await h.ask();
    await click(MALLORY, asked.activityId, VERB.Approve, {
      forge: { data: { requestId: asked.request.id, approver: teamsId(BOB), aadObjectId: BOB } },
    });
    expect(await decisions(asked.request.id)).toEqual([]);
  });

  test('resolveApprover mapping to null refuses the click, and a throwing one fails closed', async () => {
    h = await setup({
      transport: {
        resolveApprover: (u) => {
          if (u.aadObjectId === DAN) throw new Error('directory down');
          return u.aadObjectId === BOB ? null : teamsId(u.aadObjectId);
        },
      },
    });
    const asked = await h.ask();
    expect((await click(BOB, asked.activityId, VERB.Approve)).message).toContain('not linked');
    expect((await click(DAN, asked.activityId, VERB.Approve)).message).toContain('not linked');
    expect(await decisions(asked.request.id)).toEqual([]);
    expect(await refusals()).toHaveLength(2);
  });
});

describe('forged, replayed and racing clicks', () => {
  test('a valid invoke replayed changes nothing', async () => {
    h = await setup();
    const asked = await h.ask();
    const first = await click(BOB, asked.activityId, VERB.Approve);
    const replay = await fetch(h.endpoint, {
      method: 'POST',
      headers: first.request.headers,
      body: first.request.body,
    });
    const answer = (await replay.json()) as { value: string };
    expect(answer.value).toContain('already processed');
    expect(await decisions(asked.request.id)).toHaveLength(1);
  });

  test('a replay that reaches another process is still refused by core (already voted)', async () => {
    h = await setup();
    const asked = await h.ask();
    await click(BOB, asked.activityId, VERB.Approve);
    const again = await click(BOB, asked.activityId, VERB.Approve);
    expect(again.message).toContain('already decided');
    expect(await decisions(asked.request.id)).toHaveLength(1);
  });

  test('two approvers at once: both count, the action runs once, one approval is audited', async () => {
    h = await setup();
    const asked = await h.ask();
    const results = await Promise.all([
      click(BOB, asked.activityId, VERB.Approve),
      click(DAN, asked.activityId, VERB.Approve),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(await asked.result).toBe('ran');
    const types = (await h.cs.audit.entries()).map((e) => e.type);
    expect(types.filter((t) => t === 'approved')).toHaveLength(1);
    expect(types.filter((t) => t === 'executed')).toHaveLength(1);
  });

  test('an approve racing a deny: exactly one outcome, and the loser is told', async () => {
    h = await setup({
      countersign: {
        policy: [
          {
            id: 'one',
            match: { action: 'db.export' },
            effect: 'require_approval',
            approvers: { users: [BOB, DAN].map(teamsId) },
          },
        ],
      },
    });
    const asked = await h.ask();
    const [bob, dan] = await Promise.all([
      click(BOB, asked.activityId, VERB.Approve),
      click(DAN, asked.activityId, VERB.Deny),
    ]);
    const settled = await asked.result.then(
      () => 'approved',
      () => 'denied',
    );
    expect(await decisions(asked.request.id)).toHaveLength(1);
    const loser = settled === 'approved' ? dan : bob;
    expect(loser.message).toContain('already');
  });

  test('card data edited to name another request is refused and audited on that request', async () => {
    h = await setup();
    const a = await h.ask();
    const b = await h.ask({ table: 'orders' }, { sessionId: 'sess_other' });
    const result = await click(BOB, a.activityId, VERB.Approve, {
      forge: { data: { requestId: b.request.id } },
    });
    expect(result.invokeResponse).toMatchObject({ statusCode: 400 });
    expect(await decisions(b.request.id)).toEqual([]);
    expect(await decisions(a.request.id)).toEqual([]);
    const refused = await refusals();
    expect(refused.map((e) => [e.requestId, e.detail])).toEqual([
      [b.request.id, 'card does not match the message posted for this request'],
    ]);
  });

  test('a click on a card whose buttons are gone is not something Teams can send', async () => {
    h = await setup();
    const asked = await h.ask();
    await click(ERIN, asked.activityId, VERB.Deny);
    await waitFor(() => !hasButtons(currentCard(h.teams, asked.activityId)));
    await expect(click(BOB, asked.activityId, VERB.Approve)).rejects.toThrow(/no action with verb/);
  });

  test('a click on a settled request answers why nothing changed', async () => {
    h = await setup();
    const asked = await h.ask();
    const forged = { data: { requestId: asked.request.id } };
    await click(ERIN, asked.activityId, VERB.Deny);
    const late = await click(BOB, asked.activityId, VERB.Approve, { forge: forged });
    expect(late.message).toContain('already denied');
  });
});

describe('malformed and oversized bodies', () => {
  test('a body over the cap is 413 before anything is parsed', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(BOB, asked.activityId, VERB.Approve, {
      forge: { activity: (a) => Object.assign(a, { padding: 'x'.repeat(70_000) }) },
    });
    expect(result.status).toBe(413);
    expect(await decisions(asked.request.id)).toEqual([]);
  });

  test.each([
    ['not JSON', '{"type":'],
    ['an array', '[]'],
    ['no serviceUrl', '{"type":"invoke","channelId":"msteams"}'],
  ])('%s is 400', async (_, rawBody) => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(BOB, asked.activityId, VERB.Approve, { forge: { rawBody } });
    expect(result.status).toBe(400);
  });

  test('an authenticated invoke with a malformed action is 400 and decides nothing', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(BOB, asked.activityId, VERB.Approve, {
      forge: { activity: (a) => Object.assign(a, { value: { action: { type: 'Action.Submit' } } }) },
    });
    expect(result.status).toBe(400);
    expect(await decisions(asked.request.id)).toEqual([]);
  });

  test('an unknown verb is refused', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click(BOB, asked.activityId, VERB.Approve, {
      forge: {
        activity: (a) => Object.assign((a.value as { action: object }).action, { verb: 'countersign.grant' }),
      },
    });
    expect(result.invokeResponse?.statusCode).toBe(400);
    expect(await decisions(asked.request.id)).toEqual([]);
  });

  test('GET and other activities are answered without acting', async () => {
    h = await setup();
    expect((await fetch(h.endpoint)).status).toBe(405);
  });
});

/** Waits for an asynchronous card update (core calls update after it answers the guard). */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
