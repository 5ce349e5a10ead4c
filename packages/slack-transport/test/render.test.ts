import { presentRequest, UNVERIFIED_REASON_LABEL } from '@countersign/core';
import { sampleRequest } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { ACTION, escapeMrkdwn, renderApprovalMessage } from '../src/index.js';
import { collectText } from './helpers.js';

function texts(request = sampleRequest()): string[] {
  const message = renderApprovalMessage(request);
  const all = [message.text];
  collectText(message.blocks, all);
  return all;
}

describe('escapeMrkdwn', () => {
  test('neutralises Slack control sequences, code fences and invisible characters', () => {
    expect(escapeMrkdwn('<!channel> & <https://x|Approve>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://x|Approve&gt;',
    );
    expect(escapeMrkdwn('```break out```')).toBe('⟨U+0060⟩⟨U+0060⟩⟨U+0060⟩break out⟨U+0060⟩⟨U+0060⟩⟨U+0060⟩');
    expect(escapeMrkdwn('a\u202Eb\u200Bc\u{E0041}d\ne')).toBe('a⟨U+202E⟩b⟨U+200B⟩c⟨U+E0041⟩d⟨U+000A⟩e');
    expect(escapeMrkdwn('line\nbreak', { multiline: true })).toBe('line\nbreak');
    expect(escapeMrkdwn('plain text: db.export 😀')).toBe('plain text: db.export 😀');
  });
});

describe('renderApprovalMessage', () => {
  test('shows who, what and why, with the reason labelled as the agent’s and unverified', () => {
    const all = texts().join('\n');
    for (const fact of [
      'agent:report-bot',
      'user:alice',
      'db.export',
      'prod/customers',
      'exports-need-two',
    ]) {
      expect(all).toContain(fact);
    }
    expect(all).toContain("The agent's stated reason");
    expect(all).toContain('unverified');
    expect(all).toContain('Alice asked for the Q3 churn report');
    expect(all).toContain('0 of 2 approvals');
    expect(all).toContain('*Expires*');
  });

  test("renders core's presentation: its reason label, and params in the order the hash covers", () => {
    const base = sampleRequest();
    const request = sampleRequest({ action: { ...base.action, params: { zeta: 1, alpha: { b: 2, a: 3 } } } });
    const all = texts(request).join('\n');
    expect(all).toContain(UNVERIFIED_REASON_LABEL);
    expect(all).toContain(presentRequest(request).what.paramsText);
    expect(all.indexOf('"alpha"')).toBeLessThan(all.indexOf('"zeta"'));
    expect(all.indexOf('"a": 3')).toBeLessThan(all.indexOf('"b": 2'));
  });

  test('buttons while pending, carrying the request id; none once settled', () => {
    const request = sampleRequest();
    const actions = renderApprovalMessage(request).blocks.find((b) => b.type === 'actions');
    expect(JSON.stringify(actions)).toContain(ACTION.Approve);
    expect(JSON.stringify(actions)).toContain(ACTION.DenyWithReason);
    expect(JSON.stringify(actions)).toContain(request.id);
    for (const status of ['approved', 'denied', 'expired', 'cancelled', 'executed', 'failed'] as const) {
      const blocks = renderApprovalMessage({ ...request, status }).blocks;
      expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    }
  });

  test('stays within Block Kit limits however large the request', () => {
    const huge = 'x'.repeat(50_000);
    const request = sampleRequest({
      actor: `agent:${huge}`,
      reason: huge,
      action: { ...sampleRequest().action, name: huge, resource: huge, params: { huge } },
    });
    const { blocks } = renderApprovalMessage(request);
    for (const block of blocks) {
      const parts: string[] = [];
      collectText(block, parts);
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(3_000);
    }
    expect(JSON.stringify(blocks).length).toBeLessThan(15_000);
  });
});
