import type { PolicyRule } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { ACTION, COMMENT_MODAL, REASON_MODAL } from '../src/index.js';
import { currentText, ephemeralsFor, type Harness, setup, slackId } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const APPROVERS = { users: ['U0BOB', 'U0DAN'].map(slackId) };
const POLICY: PolicyRule[] = [
  {
    id: 'exports-reusable',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: APPROVERS,
    risk: 'high',
    reuse: { within: '30m', scope: 'session', same: 'fingerprint', maxUses: 5 },
  },
  {
    id: 'imports-reusable-with-a-why',
    match: { action: 'db.import' },
    effect: 'require_approval',
    approvers: APPROVERS,
    requireComment: 'approve',
    reuse: { within: '1h', scope: 'actor', same: ['table'] },
  },
  {
    id: 'deploys-need-a-why',
    match: { action: 'infra.deploy' },
    effect: 'require_approval',
    approvers: APPROVERS,
    requireComment: 'both',
  },
];

async function click(user: string, asked: { channel: string; ts: string }, actionId: string) {
  const result = await h.slack.click({ user, channel: asked.channel, ts: asked.ts, actionId });
  await h.transport.idle();
  return result;
}

function buttons(asked: { channel: string; ts: string }): string[] {
  const blocks = h.slack.message(asked.channel, asked.ts)?.message.blocks ?? [];
  return blocks.flatMap((block) =>
    block.type === 'actions' && Array.isArray(block.elements)
      ? block.elements.map((e) => (e as { action_id: string }).action_id)
      : [],
  );
}

describe('a rule that requires a comment', () => {
  test('Approve records nothing by itself: it opens the comment modal', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask({ name: 'infra.deploy', resource: 'prod/api', params: { tag: 'v2' } });
    expect(currentText(h.slack, asked.channel, asked.ts)).toContain('A comment is required');
    // Deny needs a comment too, so Deny opens the modal and "Deny with a reason" is not offered.
    expect(buttons(asked)).toEqual([ACTION.Approve, ACTION.Deny]);

    await click('U0BOB', asked, ACTION.Approve);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(h.slack.views[0]?.view.callback_id).toBe(COMMENT_MODAL.callbackId);

    await click('U0DAN', asked, ACTION.Deny);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(h.slack.views[1]?.view.callback_id).toBe(REASON_MODAL.callbackId);
  });

  test('a blank comment is refused, audited and told; a written one approves with it', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask({ name: 'infra.deploy', resource: 'prod/api', params: { tag: 'v2' } });
    await click('U0BOB', asked, ACTION.Approve);
    const view = h.slack.views[0]!;
    await h.slack.submitView({
      user: 'U0BOB',
      viewId: view.id,
      values: { [COMMENT_MODAL.blockId]: { [COMMENT_MODAL.actionId]: '   ' } },
    });
    await h.transport.idle();
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(ephemeralsFor(h.slack, 'U0BOB').at(-1)).toContain('needs a comment');
    expect(await h.auditTypes()).toContain('refused');

    await click('U0BOB', asked, ACTION.Approve);
    await h.slack.submitView({
      user: 'U0BOB',
      viewId: h.slack.views[1]!.id,
      values: { [COMMENT_MODAL.blockId]: { [COMMENT_MODAL.actionId]: 'Change CHG-42 was reviewed' } },
    });
    await h.transport.idle();
    expect(await asked.result).toBe('ran');
    const request = await h.cs.getRequest(asked.request.id);
    expect(request?.decisions.map((d) => [d.approver, d.outcome, d.comment])).toEqual([
      [slackId('U0BOB'), 'approve', 'Change CHG-42 was reviewed'],
    ]);
  });
});

describe('a rule that reuses approvals and requires a comment to approve', () => {
  test('"Approve just this call" asks for the comment, then approves without opening a window', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask({ name: 'db.import', resource: 'prod/orders', params: { table: 'orders' } });
    expect(currentText(h.slack, asked.channel, asked.ts)).toContain('in any session');
    await click('U0BOB', asked, ACTION.ApproveJustThisCall);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    const view = h.slack.views[0]!;
    expect(view.view.callback_id).toBe(COMMENT_MODAL.callbackId);
    await h.slack.submitView({
      user: 'U0BOB',
      viewId: view.id,
      values: { [COMMENT_MODAL.blockId]: { [COMMENT_MODAL.actionId]: 'One import, checked' } },
    });
    await h.transport.idle();
    expect(await asked.result).toBe('ran');
    expect(await h.auditTypes()).not.toContain('reuse_opened');
  });
});

describe('a rule whose approval may be reused', () => {
  test('the message says so, for how long and where, shows the risk, and offers "Approve just this call"', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask();
    const text = currentText(h.slack, asked.channel, asked.ts);
    expect(text).toContain('This approval may be reused');
    expect(text).toContain('30m');
    expect(text).toContain('in this session');
    expect(text).toContain('High risk');
    expect(buttons(asked)).toEqual([
      ACTION.Approve,
      ACTION.ApproveJustThisCall,
      ACTION.Deny,
      ACTION.DenyWithReason,
    ]);
  });

  test('"Approve just this call" opens no reuse window: the next identical call asks again', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask();
    await click('U0BOB', asked, ACTION.ApproveJustThisCall);
    expect(await asked.result).toBe('ran');
    expect(await h.auditTypes()).not.toContain('reuse_opened');
    const again = await h.ask();
    expect(again.request.id).not.toBe(asked.request.id);
    expect(again.request.status).toBe('pending');
  });

  test('plain Approve opens the window: the next identical call runs without asking', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await h.ask();
    await click('U0BOB', asked, ACTION.Approve);
    expect(await asked.result).toBe('ran');
    expect(await h.auditTypes()).toContain('reuse_opened');
    const reused = await h.cs.guard(
      {
        name: 'db.export',
        resource: 'prod/customers',
        params: { table: 'customers', format: 'csv' },
        run: () => 'again',
      },
      { actor: 'agent:report-bot', onBehalfOf: slackId('U0ALICE'), reason: 'again', sessionId: 'sess_42' },
    );
    expect(reused).toBe('again');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  test('a rule without reuse shows no "Approve just this call"', async () => {
    h = await setup();
    const asked = await h.ask();
    expect(buttons(asked)).toEqual([ACTION.Approve, ACTION.Deny, ACTION.DenyWithReason]);
    expect(currentText(h.slack, asked.channel, asked.ts)).not.toContain('may be reused');
  });
});
