import type { ApprovalRequest, JsonObject } from '@countersign/core';
import { sampleRequest } from '@countersign/core/testing';
import type { KnownBlock } from '@slack/types';
import { describe, expect, test } from 'vitest';
import { renderBatchMessage } from '../src/batch.js';
import { renderApprovalMessage } from '../src/index.js';
import { collectText } from './helpers.js';

const PUBLIC_URL = 'https://approvals.example/base';

function withParams(params: JsonObject, overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const base = sampleRequest(overrides);
  return { ...base, action: { ...base.action, params } };
}

function textOf(blocks: readonly KnownBlock[]): string {
  const all: string[] = [];
  collectText(blocks, all);
  return all.join('\n');
}

function cutBlock(blocks: readonly KnownBlock[]): string | null {
  const block = blocks.find((b) => b.block_id === 'countersign_cut');
  return block === undefined ? null : textOf([block]);
}

describe('what a Slack message cuts, it says', () => {
  test('a param after a 3,000-character param is shown, and the cut one is named', () => {
    for (const filler of ['x', '<', '\u202E']) {
      const { blocks } = renderApprovalMessage(
        withParams({ body: filler.repeat(3_000), zzz: 'after the long one' }),
      );
      expect(textOf(blocks)).toContain('"zzz": "after the long one"');
      expect(cutBlock(blocks)).toMatch(
        /^:scissors: Truncated to fit: param `body` \([\d,]+ of 3,002 characters shown\)/,
      );
      for (const part of blocks.flatMap((b) => {
        const texts: string[] = [];
        collectText(b, texts);
        return texts;
      })) {
        expect(part.length).toBeLessThanOrEqual(3_000);
      }
    }
  });

  test('params that do not fit are named as not shown, and the statement links the inbox page when configured', () => {
    const params = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`p${String(i).padStart(3, '0')}`, i]),
    );
    const request = withParams(params);
    const { blocks } = renderApprovalMessage(request);
    const unlinked = cutBlock(blocks)!;
    const shown = Object.keys(params).filter((name) => textOf(blocks).includes(`"${name}": `));
    const firstLeftOut = Object.keys(params)[shown.length]!;
    expect(shown).toEqual(Object.keys(params).slice(0, shown.length));
    expect(unlinked).toContain(`params \`${firstLeftOut}\`, `);
    expect(unlinked).toContain(`and ${Object.keys(params).length - shown.length - 8} more not shown.`);
    expect(unlinked).toContain("Everything is on the request's page in the countersign inbox.");
    expect(unlinked).not.toContain('<http');
    const linked = cutBlock(renderApprovalMessage(request, { publicUrl: PUBLIC_URL }).blocks)!;
    expect(linked).toContain(`inbox: <${PUBLIC_URL}/inbox/requests/${request.id}>`);
  });

  test('a reason and a denial comment cut to fit are counted in the statement', () => {
    const long = `${'&'.repeat(1_999)}!`;
    const request = sampleRequest({
      reason: long,
      status: 'denied',
      decisions: [{ approver: 'user:bob', outcome: 'deny', comment: long, at: 1, via: 'slack' }],
    });
    const { blocks } = renderApprovalMessage(request);
    const statement = cutBlock(blocks)!;
    expect(statement).toMatch(/the reason \([\d,]+ of 2,000 characters shown\)/);
    expect(statement).toMatch(/the reason given \([\d,]+ of 2,000 characters shown\)/);
    expect(textOf(blocks)).toMatch(/… _\([\d,]+ more characters\)_/);
  });

  test('nothing cut, no statement', () => {
    expect(cutBlock(renderApprovalMessage(sampleRequest()).blocks)).toBeNull();
  });

  test('a batch message names what it cut of each request and links each page', () => {
    const request = withParams({ body: 'x'.repeat(3_000), zzz: 'after the long one' });
    const { blocks } = renderBatchMessage([request], { reusable: false, publicUrl: PUBLIC_URL });
    const all = textOf(blocks);
    expect(all).toContain('"zzz": "after the long one"');
    expect(all).toMatch(/Truncated to fit: param `body`/);
    expect(all).toContain(`<${PUBLIC_URL}/inbox/requests/${request.id}>`);
  });
});

describe('hidden characters in a Slack message', () => {
  test('tag characters, soft hyphen, isolates, BOM, U+180E and U+1D173 are markers everywhere', () => {
    const hidden = ['\u00AD', '\u2066', '\uFEFF', '\u180E', '\u{1D173}', '\u{E0041}', '\u{E007F}'];
    const sneaky = `pay${hidden.join('')}now`;
    const base = sampleRequest({ reason: sneaky });
    const message = renderApprovalMessage({
      ...base,
      action: { ...base.action, resource: `prod/${sneaky}`, params: { note: sneaky, [`k${sneaky}`]: 1 } },
    });
    const all = `${message.text}\n${textOf(message.blocks)}`;
    for (const char of hidden) expect(all, char.codePointAt(0)!.toString(16)).not.toContain(char);
    const markers = '⟨U+00AD⟩⟨U+2066⟩⟨U+FEFF⟩⟨U+180E⟩⟨U+1D173⟩⟨U+E0041⟩⟨U+E007F⟩';
    expect(all).toContain(`"note": "pay${markers}now"`);
    expect(all).toContain(`prod/pay${markers}now`);
    expect(all.split(`pay${markers}now`).length - 1).toBeGreaterThanOrEqual(4);
  });
});
