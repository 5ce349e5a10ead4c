import { sampleRequest } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { REASON_INPUT, renderApprovalCard, VERB } from '../src/index.js';
import { BOB, cardText, currentCard, ERIN, type Harness, setup } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const INJECTION =
  '**Approved** by [the CEO](https://evil.example/approve) <at>General</at> \u202eevil\u200b _x_ `y`';

/** Every element of a card that Adaptive Cards parse as markdown: TextBlocks and fact values. */
function markdownTexts(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) markdownTexts(item, into);
  else if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (node.type === 'TextBlock' && typeof node.text === 'string') into.push(node.text);
    if (node.type === 'FactSet') into.push(JSON.stringify(node));
    for (const child of Object.values(node)) markdownTexts(child, into);
  }
  return into;
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

describe('rendering untrusted text', () => {
  test('params, reason and names are TextRuns only: no markdown, link, mention or hidden character survives', () => {
    const card = renderApprovalCard(
      sampleRequest({
        actor: `agent:${INJECTION}`,
        reason: INJECTION,
        action: {
          name: 'db.export',
          resource: `prod/${INJECTION}`,
          params: { note: INJECTION },
          paramsHash: 'a'.repeat(64),
          redactedPaths: [],
        },
      }),
    );
    for (const text of markdownTexts(card)) {
      expect(text).not.toContain('evil');
      expect(text).not.toContain('<at>');
    }
    const all = json(card);
    expect(all).not.toContain('Action.OpenUrl');
    expect(all).not.toContain('selectAction');
    expect(all).not.toContain('\u202e');
    expect(all).not.toContain('\u200b');
    expect(cardText(card)).toContain('⟨U+202E⟩evil⟨U+200B⟩');
  });

  test('long params are cut visibly and the hash still covers them', () => {
    const card = renderApprovalCard(
      sampleRequest({
        action: {
          name: 'db.export',
          resource: null,
          params: { blob: 'x'.repeat(10_000) },
          paramsHash: 'b'.repeat(64),
          redactedPaths: [],
        },
      }),
    );
    expect(cardText(card)).toContain('Truncated');
    expect(cardText(card)).toContain(`sha256:${'b'.repeat(64)}`);
    expect(json(card).length).toBeLessThan(20_000);
  });

  test('a pending card has Approve, Deny and a reason form, each with an Action.Submit fallback', () => {
    const card = renderApprovalCard(sampleRequest());
    expect(card.version).toBe('1.5');
    const actions = card.actions ?? [];
    expect(actions.map((a) => a.type)).toEqual(['Action.Execute', 'Action.Execute', 'Action.ShowCard']);
    expect(actions.map((a) => a.verb)).toEqual([VERB.Approve, VERB.Deny, undefined]);
    for (const action of actions.slice(0, 2))
      expect((action.fallback as { type: string }).type).toBe('Action.Submit');
    expect(json(actions[2])).toContain(REASON_INPUT.id);
    expect(renderApprovalCard(sampleRequest({ status: 'denied' })).actions).toBeUndefined();
  });
});

describe('end to end', () => {
  test('injection in params and in the deny reason never formats anything in Teams', async () => {
    h = await setup();
    const asked = await h.ask({ note: INJECTION });
    await h.teams.click({
      user: ERIN,
      activityId: asked.activityId,
      verb: VERB.Deny,
      inputs: { [REASON_INPUT.id]: INJECTION },
    });
    await expect(asked.result).rejects.toMatchObject({ code: 'approval_denied' });
    for (let i = 0; i < 100 && !cardText(currentCard(h.teams, asked.activityId)).includes('Denied by'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const record of h.teams.activities) {
      for (const activity of record.history) {
        expect(activity.entities).toBeUndefined();
        for (const text of markdownTexts(activity)) {
          expect(text).not.toContain('evil');
          expect(text).not.toContain('<at>');
        }
        expect(json(activity)).not.toContain('\u202e');
      }
    }
    expect(cardText(currentCard(h.teams, asked.activityId))).toContain(
      '[the CEO](https://evil.example/approve)',
    );
  });

  test('a secret in params never reaches the emulator, in any request', async () => {
    h = await setup();
    const secrets = [
      'sk_live_51HxQzZx9secretvalue',
      'hunter2-password-value',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    ];
    const asked = await h.ask({
      table: 'customers',
      apiKey: secrets[0],
      password: secrets[1],
      nested: { note: `token ${secrets[2]}` },
    });
    await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Approve });
    for (const call of h.teams.calls) for (const secret of secrets) expect(call.body).not.toContain(secret);
    expect(cardText(currentCard(h.teams, asked.activityId))).toContain('[REDACTED]');
    for (const line of h.logs) for (const secret of secrets) expect(line).not.toContain(secret);
  });

  test('the app password goes only to the token endpoint, and access tokens only to the connector', async () => {
    h = await setup();
    await h.ask();
    for (const call of h.teams.calls) {
      if (call.route !== 'token') expect(call.body).not.toContain(h.teams.appPassword);
    }
    expect(h.teams.calls.filter((c) => c.route === 'post').every((c) => c.authorized)).toBe(true);
  });
});
