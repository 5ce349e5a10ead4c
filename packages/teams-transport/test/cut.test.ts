import type { ApprovalRequest, JsonObject } from '@countersign/core';
import { sampleRequest } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { type AdaptiveCard, renderApprovalCard } from '../src/index.js';
import { cardText, currentCard, type Harness, setup } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PUBLIC_URL = 'https://approvals.example/base';

function withParams(params: JsonObject, overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const base = sampleRequest(overrides);
  return { ...base, action: { ...base.action, params } };
}

/** The statement of what the card cut, or null. */
function statement(card: AdaptiveCard): string | null {
  const element = card.body.find((e) => e.id === 'countersignCut');
  return element === undefined ? null : cardText(element);
}

function openUrls(card: AdaptiveCard): unknown[] {
  return card.body.filter((e) => e.type === 'ActionSet').flatMap((e) => e.actions as unknown[]);
}

describe('what a Teams card cuts, it says', () => {
  test('a param after a 3,000-character param is shown, and the cut one is named', () => {
    for (const filler of ['x', '\u202E', '\u{E0041}']) {
      const card = renderApprovalCard(withParams({ body: filler.repeat(3_000), zzz: 'after the long one' }));
      expect(cardText(card)).toContain('"zzz": "after the long one"');
      expect(statement(card)).toMatch(
        /^Truncated to fit: param "body" \([\d,]+ of [\d,]+ characters shown\)/,
      );
      expect(JSON.stringify(card).length).toBeLessThan(20_000);
    }
  });

  test('params left out are named, and with publicUrl an Action.OpenUrl opens the request page', () => {
    const params = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`p${String(i).padStart(3, '0')}`, i]),
    );
    const request = withParams(params);
    const card = renderApprovalCard(request);
    const shown = Object.keys(params).filter((name) => cardText(card).includes(`"${name}": `));
    expect(statement(card)).toContain(`params "${Object.keys(params)[shown.length]}", `);
    expect(statement(card)).toContain(`and ${Object.keys(params).length - shown.length - 8} more not shown.`);
    expect(openUrls(card)).toEqual([]);
    const linked = renderApprovalCard(request, { publicUrl: PUBLIC_URL });
    const url = `${PUBLIC_URL}/inbox/requests/${request.id}`;
    expect(statement(linked)).toContain(`countersign inbox: ${url}`);
    expect(openUrls(linked)).toEqual([{ type: 'Action.OpenUrl', title: 'See everything in the inbox', url }]);
  });

  test('a reason and a denial comment cut to fit are counted in the statement', () => {
    const long = '\u200B'.repeat(2_000);
    const card = renderApprovalCard(
      sampleRequest({
        reason: `${long.slice(1)}!`,
        status: 'denied',
        decisions: [{ approver: 'user:bob', outcome: 'deny', comment: long, at: 1, via: 'teams' }],
      }),
    );
    expect(statement(card)).toMatch(/the reason \([\d,]+ of 2,000 characters shown\)/);
    expect(statement(card)).toMatch(/the reason given \([\d,]+ of 2,000 characters shown\)/);
  });

  test('nothing cut: no statement and no link', () => {
    const card = renderApprovalCard(sampleRequest(), { publicUrl: PUBLIC_URL });
    expect(statement(card)).toBeNull();
    expect(openUrls(card)).toEqual([]);
  });
});

describe('end to end', () => {
  test('with publicUrl, the posted card links the request page and keeps the param after the long one', async () => {
    h = await setup({ transport: { publicUrl: PUBLIC_URL } });
    const asked = await h.ask({ body: 'x'.repeat(3_000), zzz: 'after the long one' });
    const card = currentCard(h.teams, asked.activityId) as unknown as AdaptiveCard;
    expect(cardText(card)).toContain('"zzz": "after the long one"');
    expect(JSON.stringify(openUrls(card))).toContain(`${PUBLIC_URL}/inbox/requests/`);
  });
});

describe('hidden characters in a Teams card', () => {
  test('tag characters, soft hyphen, isolates, BOM, U+180E and U+1D173 are markers everywhere', () => {
    const hidden = ['\u00AD', '\u2066', '\uFEFF', '\u180E', '\u{1D173}', '\u{E0041}', '\u{E007F}'];
    const sneaky = `pay${hidden.join('')}now`;
    const base = sampleRequest({ reason: sneaky });
    const card = renderApprovalCard({
      ...base,
      action: { ...base.action, resource: `prod/${sneaky}`, params: { note: sneaky, [`k${sneaky}`]: 1 } },
    });
    const all = JSON.stringify(card);
    for (const char of hidden) expect(all, char.codePointAt(0)!.toString(16)).not.toContain(char);
    const marked = `pay⟨U+00AD⟩⟨U+2066⟩⟨U+FEFF⟩⟨U+180E⟩⟨U+1D173⟩⟨U+E0041⟩⟨U+E007F⟩now`;
    expect(cardText(card)).toContain(`"note": "${marked}"`);
    expect(cardText(card)).toContain(`prod/${marked}`);
    expect(cardText(card).split(marked).length - 1).toBeGreaterThanOrEqual(4);
  });
});
