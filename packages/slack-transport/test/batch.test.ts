import { type ApprovalRequest, isCountersignError, type PolicyRule } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { ACTION } from '../src/index.js';
import { type Asked, ephemeralsFor, type Harness, hasButtons, setup, slackId } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const POLICY: PolicyRule[] = [
  {
    id: 'reads-need-one',
    match: { action: 'db.read' },
    effect: 'require_approval',
    approvers: { users: ['U0BOB', 'U0DAN'].map(slackId) },
  },
  {
    id: 'exports-dan-only',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: [slackId('U0DAN')] },
  },
  {
    id: 'reads-reusable',
    match: { action: 'db.scan' },
    effect: 'require_approval',
    approvers: { users: ['U0BOB', 'U0DAN'].map(slackId) },
    reuse: { within: '30m', scope: 'session', same: 'fingerprint' },
  },
];

async function askReads(n: number, name = 'db.read'): Promise<Asked[]> {
  const asked: Asked[] = [];
  for (let i = 0; i < n; i++) asked.push(await h.ask({ name, resource: 'prod/orders', params: { page: i } }));
  return asked;
}

async function statuses(asked: readonly Asked[]): Promise<string[]> {
  return Promise.all(asked.map(async (a) => (await h.cs.getRequest(a.request.id))?.status ?? 'missing'));
}

async function decidedCount(): Promise<number> {
  // A vote is `decided`, or `approved`/`denied` when it settles the request.
  const votes = new Set(['decided', 'approved', 'denied']);
  return (await h.cs.audit.entries()).filter((e) => votes.has(e.type) && e.outcome !== null).length;
}

async function clickBatch(
  user: string,
  posted: { channel: string; ts: string },
  actionId: string,
  extra = {},
) {
  const result = await h.slack.click({ user, channel: posted.channel, ts: posted.ts, actionId, ...extra });
  await h.transport.idle();
  return result;
}

const requestsOf = (asked: readonly Asked[]): ApprovalRequest[] => asked.map((a) => a.request);

describe('postBatch', () => {
  test('refuses an empty batch, two sessions, a settled request and more than 20', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const [a] = await askReads(1);
    const other = await h.ask(
      { name: 'db.read', resource: 'prod/orders', params: { page: 9 } },
      { sessionId: 'sess_7' },
    );
    const denied = { ...a!.request, status: 'denied' as const };
    for (const requests of [[], [a!.request, other.request], [denied], Array(21).fill(a!.request)]) {
      const error = await h.transport.postBatch(requests).catch((e: unknown) => e);
      expect(isCountersignError(error, 'invalid_input')).toBe(true);
    }
    const unknown = await h.transport
      .postBatch([a!.request], { chanel: 'C1' } as unknown as { channel: string })
      .catch((e: unknown) => e);
    expect((unknown as Error).message).toContain('unknown option "chanel"');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(2);
  });

  test('lists each request with its params hash, and the session, escaped', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await askReads(2);
    const posted = await h.transport.postBatch(requestsOf(asked));
    const blocks = JSON.stringify(h.slack.message(posted.channel, posted.ts)?.message.blocks);
    for (const a of asked) {
      expect(blocks).toContain(a.request.id);
      expect(blocks).toContain(`sha256:${a.request.action.paramsHash}`);
    }
    expect(blocks).toContain('sess_42');
    expect(hasButtons(h.slack, posted.channel, posted.ts)).toBe(true);
  });
});

describe('a batch message escapes what the requests carry', () => {
  test('params, actor and session cannot mention, link or format', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const context = { actor: 'agent:<!channel>', sessionId: 'sess_<@U0BOB>' };
    const a = await h.ask(
      { name: 'db.read', resource: '<https://evil.example|prod>', params: { q: '<!here> `x`' } },
      context,
    );
    const b = await h.ask({ name: 'db.read', resource: 'prod/orders', params: { q: '*bold*' } }, context);
    const posted = await h.transport.postBatch([a.request, b.request]);
    const shown = JSON.stringify(h.slack.message(posted.channel, posted.ts)?.message);
    for (const raw of ['<!channel>', '<@U0BOB>', '<https://evil', '<!here>'])
      expect(shown).not.toContain(raw);
    expect(shown).toContain('&lt;!channel&gt;');
    expect(shown).toContain('&lt;!here&gt;');
  });
});

describe('a batch click', () => {
  test('Approve all decides every request as the verified clicker, each audited on its own', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await askReads(3);
    const posted = await h.transport.postBatch(requestsOf(asked));
    const result = await clickBatch('U0BOB', posted, ACTION.BatchApprove);
    expect(result.status).toBe(200);
    expect(await Promise.all(asked.map((a) => a.result))).toEqual(['ran', 'ran', 'ran']);
    for (const a of asked) {
      const request = await h.cs.getRequest(a.request.id);
      expect(request?.decisions.map((d) => [d.approver, d.outcome, d.via])).toEqual([
        [slackId('U0BOB'), 'approve', 'slack'],
      ]);
    }
    expect(await decidedCount()).toBe(3);
    expect(hasButtons(h.slack, posted.channel, posted.ts)).toBe(false);
  });

  test('Deny all denies every request', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await askReads(2);
    const posted = await h.transport.postBatch(requestsOf(asked));
    await clickBatch('U0DAN', posted, ACTION.BatchDeny);
    for (const a of asked) await expect(a.result).rejects.toMatchObject({ code: 'approval_denied' });
    expect(await statuses(asked)).toEqual(['denied', 'denied']);
  });

  test('a batch including a request the clicker may not decide applies nothing, and says why', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const reads = await askReads(2);
    const exported = await h.ask({ name: 'db.export', resource: 'prod/orders', params: { table: 'orders' } });
    const posted = await h.transport.postBatch([...requestsOf(reads), exported.request]);
    await clickBatch('U0BOB', posted, ACTION.BatchApprove);
    expect(await statuses([...reads, exported])).toEqual(['pending', 'pending', 'pending']);
    expect(await decidedCount()).toBe(0);
    const told = ephemeralsFor(h.slack, 'U0BOB').at(-1) ?? '';
    expect(told).toContain('nothing was decided');
    expect(told).toContain(exported.request.id);
    expect(hasButtons(h.slack, posted.channel, posted.ts)).toBe(true);
  });

  test('a batch with a request already decided applies nothing to the others', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await askReads(2);
    const posted = await h.transport.postBatch(requestsOf(asked));
    await h.cs.decide(asked[0]!.request.id, { approver: slackId('U0DAN'), outcome: 'deny' });
    await clickBatch('U0BOB', posted, ACTION.BatchApprove);
    expect(await statuses(asked)).toEqual(['denied', 'pending']);
    expect(ephemeralsFor(h.slack, 'U0BOB').at(-1)).toContain('nothing was decided');
  });

  test('a forged click (wrong signing secret) is refused with 401 and decides nothing', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await askReads(2);
    const posted = await h.transport.postBatch(requestsOf(asked));
    const result = await clickBatch('U0BOB', posted, ACTION.BatchApprove, {
      signingSecret: 'not-the-secret',
    });
    expect(result.status).toBe(401);
    expect(await statuses(asked)).toEqual(['pending', 'pending']);
    await clickBatch('U0BOB', posted, ACTION.BatchApprove);
    expect(await statuses(asked)).toEqual(['executed', 'executed']);
  });

  test('a replayed click decides nothing the second time', async () => {
    h = await setup({
      countersign: {
        policy: POLICY.map((rule) => (rule.id === 'reads-need-one' ? { ...rule, quorum: 2 } : rule)),
      },
    });
    const asked = await askReads(2);
    const posted = await h.transport.postBatch(requestsOf(asked));
    const first = await clickBatch('U0BOB', posted, ACTION.BatchApprove);
    expect(await decidedCount()).toBe(2);
    const replay = await fetch(h.interactionUrl, {
      method: 'POST',
      headers: first.requestHeaders as Record<string, string>,
      body: first.rawBody,
    });
    expect(replay.status).toBe(200);
    await h.transport.idle();
    expect(await decidedCount()).toBe(2);
    expect(await statuses(asked)).toEqual(['pending', 'pending']);
    expect(ephemeralsFor(h.slack, 'U0BOB').at(-1)).toContain('nothing was decided');
  });

  test('a value naming other params than the stored ones decides nothing', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await askReads(2);
    const posted = await h.transport.postBatch(requestsOf(asked));
    const value = asked.map((a) => `${a.request.id}:${'0'.repeat(64)}`).join(',');
    await clickBatch('U0BOB', posted, ACTION.BatchApprove, { value });
    expect(await statuses(asked)).toEqual(['pending', 'pending']);
    expect(ephemeralsFor(h.slack, 'U0BOB').at(-1)).toContain('params hash differs');
  });

  test('identity comes from the verified click, never from the payload: a bot is refused', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const asked = await askReads(2);
    const posted = await h.transport.postBatch(requestsOf(asked));
    await clickBatch('U0BOTTY', posted, ACTION.BatchApprove, {
      mutate: (payload: { user: { name: string } }) => {
        payload.user.name = 'bob';
      },
    });
    expect(await statuses(asked)).toEqual(['pending', 'pending']);
    expect(ephemeralsFor(h.slack, 'U0BOTTY').at(-1)).toContain('Bots and apps cannot decide');
  });

  test('"Approve all, just these calls" opens no reuse window; it is offered only when a rule reuses', async () => {
    h = await setup({ countersign: { policy: POLICY } });
    const plain = await askReads(1);
    const plainPost = await h.transport.postBatch(requestsOf(plain));
    const plainBlocks = JSON.stringify(h.slack.message(plainPost.channel, plainPost.ts)?.message.blocks);
    expect(plainBlocks).not.toContain(ACTION.BatchApproveJustThese);

    const scans = await askReads(2, 'db.scan');
    const posted = await h.transport.postBatch(requestsOf(scans));
    await clickBatch('U0BOB', posted, ACTION.BatchApproveJustThese);
    expect(await Promise.all(scans.map((a) => a.result))).toEqual(['ran', 'ran']);
    expect(await h.auditTypes()).not.toContain('reuse_opened');
  });
});
