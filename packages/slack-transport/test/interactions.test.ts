import { isCountersignError } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { ACTION, REASON_MODAL } from '../src/index.js';
import { signSlackRequest } from '../src/testing/index.js';
import {
  currentText,
  ephemeralsFor,
  type Harness,
  hasButtons,
  setup,
  shownTexts,
  slackId,
} from './helpers.js';

let h: Harness;

/** Signs `body` with the workspace's secret at the test clock's time, as Slack would. */
function signNow(body: string) {
  return signSlackRequest({ signingSecret: h.slack.signingSecret, body, timestamp: h.clock.now() / 1000 });
}

/** POSTs a raw, correctly signed form body to the app's interaction URL. */
function postSigned(body: string): Promise<Response> {
  const signed = signNow(body);
  return fetch(h.interactionUrl, {
    method: 'POST',
    headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}
afterEach(async () => {
  await h?.close();
});

async function click(user: string, asked: { channel: string; ts: string }, actionId: string, extra = {}) {
  const result = await h.slack.click({ user, channel: asked.channel, ts: asked.ts, actionId, ...extra });
  await h.transport.idle();
  return result;
}

async function refusals() {
  return (await h.cs.audit.entries()).filter((e) => e.type === 'refused');
}

describe('the full loop', () => {
  test('two approvals: progress, then approved with who and when, buttons removed, audit verified', async () => {
    h = await setup();
    const asked = await h.ask();
    expect(hasButtons(h.slack, asked.channel, asked.ts)).toBe(true);

    const first = await click('U0BOB', asked, ACTION.Approve);
    expect(first.status).toBe(200);
    expect(first.acknowledged).toBe(true);
    const progress = currentText(h.slack, asked.channel, asked.ts);
    expect(progress).toContain('1 of 2 approvals');
    expect(progress).toContain(slackId('U0BOB'));
    expect(hasButtons(h.slack, asked.channel, asked.ts)).toBe(true);

    await click('U0DAN', asked, ACTION.Approve);
    expect(await asked.result).toBe('ran');
    await h.transport.idle();
    const final = currentText(h.slack, asked.channel, asked.ts);
    expect(final).toContain('Approved');
    expect(final).toContain(slackId('U0DAN'));
    expect(final).toContain('<!date^');
    expect(hasButtons(h.slack, asked.channel, asked.ts)).toBe(false);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);

    const request = await h.cs.getRequest(asked.request.id);
    expect(request?.status).toBe('executed');
    expect(request?.decisions.map((d) => [d.approver, d.via])).toEqual([
      [slackId('U0BOB'), 'slack'],
      [slackId('U0DAN'), 'slack'],
    ]);
    expect((await h.cs.audit.verify()).ok).toBe(true);
  });

  test('Deny ends the request: the agent gets a denial and the message says who denied', async () => {
    h = await setup();
    const asked = await h.ask();
    await click('U0ERIN', asked, ACTION.Deny);
    await expect(asked.result).rejects.toMatchObject({
      code: 'approval_denied',
      deniedBy: slackId('U0ERIN'),
    });
    expect(asked.ran()).toBe(false);
    const text = currentText(h.slack, asked.channel, asked.ts);
    expect(text).toContain('Denied');
    expect(text).toContain(slackId('U0ERIN'));
    expect(hasButtons(h.slack, asked.channel, asked.ts)).toBe(false);
  });

  test('Deny with a reason opens a modal; the reason reaches the agent and is shown escaped', async () => {
    h = await setup();
    const asked = await h.ask();
    const opened = await click('U0BOB', asked, ACTION.DenyWithReason);
    expect(opened.status).toBe(200);
    const view = h.slack.views[0];
    expect(view?.user).toBe('U0BOB');
    expect(view?.view.callback_id).toBe(REASON_MODAL.callbackId);

    const reason = 'Not this quarter <!channel> *ship it* <https://evil.example|Approve> `x`';
    const submitted = await h.slack.submitView({
      user: 'U0BOB',
      viewId: view!.id,
      values: { [REASON_MODAL.blockId]: { [REASON_MODAL.actionId]: reason } },
    });
    expect(submitted.acknowledged).toBe(true);
    expect(h.slack.views[0]?.status).toBe('closed');
    await h.transport.idle();

    const error = await asked.result.catch((e: unknown) => e);
    expect(isCountersignError(error, 'approval_denied')).toBe(true);
    expect((error as { comment: string }).comment).toBe(reason);
    const shown = currentText(h.slack, asked.channel, asked.ts);
    expect(shown).toContain('&lt;!channel&gt;');
    for (const text of shownTexts(h.slack)) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<https://evil');
    }
  });

  test('the click is acknowledged within 3 seconds even when deciding is slow', async () => {
    h = await setup();
    const asked = await h.ask();
    h.slack.failNext('users.info', { delayMs: 3_200 });
    const result = await h.slack.click({
      user: 'U0BOB',
      channel: asked.channel,
      ts: asked.ts,
      actionId: ACTION.Approve,
    });
    expect(result.acknowledged).toBe(true);
    expect(result.elapsedMs).toBeLessThan(1_000);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toHaveLength(0);
    await h.transport.idle();
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toHaveLength(1);
  });

  test('a click after expiry changes nothing and the message shows it expired', async () => {
    h = await setup();
    const asked = await h.ask();
    await h.clock.advance(10 * 60_000 + 1);
    await h.transport.idle();
    await expect(asked.result).rejects.toMatchObject({ code: 'approval_expired' });
    expect(currentText(h.slack, asked.channel, asked.ts)).toContain('Expired');
    expect(hasButtons(h.slack, asked.channel, asked.ts)).toBe(false);
  });
});

describe('forged and replayed clicks', () => {
  test('a forged signature is refused with 401 and decides nothing', async () => {
    h = await setup();
    const asked = await h.ask();
    const wrongSecret = await click('U0BOB', asked, ACTION.Approve, { signingSecret: 'not-the-secret' });
    const tampered = await click('U0BOB', asked, ACTION.Approve, {
      tamperBody: (raw: string) => raw.replace('U0BOB', 'U0DAN'),
    });
    const missing = await click('U0BOB', asked, ACTION.Approve, { signature: '' });
    expect([wrongSecret.status, tampered.status, missing.status]).toEqual([401, 401, 401]);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(h.slack.ephemerals).toEqual([]);
    expect(h.logs.join('\n')).toContain('signature_mismatch');
  });

  test('a wrong version prefix is refused even with a correct digest', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click('U0BOB', asked, ACTION.Approve, {
      mutate: () => {},
      signature: 'v1=0000000000000000000000000000000000000000000000000000000000000000',
    });
    expect(result.status).toBe(401);
    // Same digest as Slack's, under another version: still refused.
    const good = signSlackRequest({
      signingSecret: h.slack.signingSecret,
      body: result.rawBody,
      timestamp: Number(result.requestHeaders['x-slack-request-timestamp']),
    });
    const replay = await fetch(h.interactionUrl, {
      method: 'POST',
      headers: { ...result.requestHeaders, 'x-slack-signature': good.signature.replace('v0=', 'v1=') },
      body: result.rawBody,
    });
    expect(replay.status).toBe(401);
    expect(h.logs.join('\n')).toContain('unsupported_version');
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
  });

  test('timestamps: five minutes either way is accepted, one second more is not', async () => {
    h = await setup();
    const asked = await h.ask();
    const now = Math.floor(h.clock.now() / 1000);
    const stale = await click('U0BOB', asked, ACTION.Approve, { timestamp: now - 301 });
    const future = await click('U0BOB', asked, ACTION.Approve, { timestamp: now + 301 });
    expect([stale.status, future.status]).toEqual([401, 401]);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    const oldest = await click('U0BOB', asked, ACTION.Approve, { timestamp: now - 300 });
    const newest = await click('U0DAN', asked, ACTION.Approve, { timestamp: now + 300 });
    expect([oldest.status, newest.status]).toEqual([200, 200]);
    expect(await asked.result).toBe('ran');
  });

  test('a valid click replayed is harmless: one decision, one audit entry', async () => {
    h = await setup();
    const asked = await h.ask();
    const original = await click('U0BOB', asked, ACTION.Approve);
    for (let i = 0; i < 3; i++) {
      const replay = await fetch(h.interactionUrl, {
        method: 'POST',
        headers: original.requestHeaders,
        body: original.rawBody,
      });
      expect(replay.status).toBe(200);
    }
    await h.transport.idle();
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toHaveLength(1);
    expect((await h.auditTypes()).filter((t) => t === 'decided')).toHaveLength(1);
    expect(ephemeralsFor(h.slack, 'U0BOB')).toEqual(
      Array(3).fill('You have already decided on this request.'),
    );
  });

  test('two approvers clicking at the same instant are both counted, once each', async () => {
    h = await setup();
    const asked = await h.ask();
    const clicks = await Promise.all([
      h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve }),
      h.slack.click({ user: 'U0DAN', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve }),
      h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve }),
    ]);
    await h.transport.idle();
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);
    expect(await asked.result).toBe('ran');
    const request = await h.cs.getRequest(asked.request.id);
    expect(request?.decisions.map((d) => d.approver).sort()).toEqual([slackId('U0BOB'), slackId('U0DAN')]);
    expect((await h.auditTypes()).filter((t) => t === 'approved')).toHaveLength(1);
  });

  test('with a quorum of one, the second simultaneous click is told it came too late', async () => {
    h = await setup();
    const asked = await h.ask({ name: 'infra.deploy', resource: 'prod/api', params: { version: '1.2.3' } });
    await Promise.all([
      h.slack.click({ user: 'U0BOB', channel: asked.channel, ts: asked.ts, actionId: ACTION.Approve }),
      h.slack.click({ user: 'U0DAN', channel: asked.channel, ts: asked.ts, actionId: ACTION.Deny }),
    ]);
    await h.transport.idle();
    const request = await h.cs.getRequest(asked.request.id);
    expect(request?.decisions).toHaveLength(1);
    const loser = request?.decisions[0]?.approver === slackId('U0BOB') ? 'U0DAN' : 'U0BOB';
    expect(ephemeralsFor(h.slack, loser).join()).toMatch(/already (approved|denied|executed)/);
  });
});

describe("Slack's ssl_check", () => {
  test('a signed ssl_check=1 gets an empty 200 and decides, logs and audits nothing', async () => {
    h = await setup();
    const asked = await h.ask();
    const check = await postSigned('ssl_check=1&token=legacy-verification-token');
    expect(check.status).toBe(200);
    expect(await check.text()).toBe('');
    // A real click's body (captured unsigned), sent signed with ssl_check=1 in front: not a click.
    const captured = await click('U0BOB', asked, ACTION.Approve, { signingSecret: 'capture-only' });
    expect(captured.status).toBe(401);
    h.logs.length = 0;
    const smuggled = await postSigned(`ssl_check=1&${captured.rawBody}`);
    expect(smuggled.status).toBe(200);
    await h.transport.idle();
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(await refusals()).toEqual([]);
    expect(h.slack.ephemerals).toEqual([]);
    expect(h.logs).toEqual([]);
    // The same body without ssl_check is a valid click: it was the ssl_check that decided nothing.
    expect((await postSigned(captured.rawBody)).status).toBe(200);
    await h.transport.idle();
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toHaveLength(1);
  });

  test('an unsigned or forged ssl_check is refused with 401', async () => {
    h = await setup();
    const body = 'ssl_check=1&token=legacy-verification-token';
    const unsigned = await fetch(h.interactionUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const forged = signSlackRequest({
      signingSecret: 'not-the-secret',
      body,
      timestamp: h.clock.now() / 1000,
    });
    const wrongSecret = await fetch(h.interactionUrl, {
      method: 'POST',
      headers: { ...forged.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect([unsigned.status, wrongSecret.status]).toEqual([401, 401]);
    expect(h.logs.join('\n')).toContain('missing_timestamp');
    expect(h.logs.join('\n')).toContain('signature_mismatch');
  });
});

describe('who may decide', () => {
  test('the person the agent acts for cannot approve: refused, told, audited', async () => {
    h = await setup();
    const asked = await h.ask();
    await click('U0ALICE', asked, ACTION.Approve);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(ephemeralsFor(h.slack, 'U0ALICE')).toEqual([
      expect.stringContaining('made by you or on your behalf'),
    ]);
    const [refusal] = await refusals();
    expect(refusal).toMatchObject({ approver: slackId('U0ALICE'), via: 'slack', detail: 'self-approval' });
  });

  test('a requester cannot even open the deny-with-reason modal', async () => {
    h = await setup();
    const asked = await h.ask();
    await click('U0ALICE', asked, ACTION.DenyWithReason);
    expect(h.slack.views).toEqual([]);
    expect((await refusals()).map((r) => r.detail)).toEqual(['self-approval']);
  });

  test('deny-with-reason on a settled request is answered as core would: settled first, nothing audited', async () => {
    h = await setup();
    const asked = await h.ask();
    // Clicks on the message while it was pending (the person the agent acts for, and an approver),
    // captured unsigned and arriving, signed, only after the request was denied.
    const late = [];
    for (const user of ['U0ALICE', 'U0BOB']) {
      late.push((await click(user, asked, ACTION.DenyWithReason, { signingSecret: 'capture-only' })).rawBody);
    }
    await click('U0ERIN', asked, ACTION.Deny);
    await expect(asked.result).rejects.toMatchObject({ code: 'approval_denied' });
    for (const body of late) expect((await postSigned(body)).status).toBe(200);
    await h.transport.idle();
    expect(h.slack.views).toEqual([]);
    expect(ephemeralsFor(h.slack, 'U0ALICE')).toEqual([expect.stringContaining('already denied')]);
    expect(ephemeralsFor(h.slack, 'U0BOB')).toEqual([expect.stringContaining('already denied')]);
    expect(await refusals()).toEqual([]);
  });

  test('a non-approver is refused, told and audited', async () => {
    h = await setup();
    const asked = await h.ask();
    await click('U0MALLORY', asked, ACTION.Approve);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(ephemeralsFor(h.slack, 'U0MALLORY')).toEqual([expect.stringContaining('not an approver')]);
    expect((await refusals()).map((r) => [r.approver, r.detail])).toEqual([
      [slackId('U0MALLORY'), 'not an eligible approver'],
    ]);
  });

  test('a deactivated account and a bot are refused before any identity is resolved', async () => {
    const resolved: string[] = [];
    h = await setup({
      transport: {
        resolveApprover: (user) => {
          resolved.push(user.id);
          return slackId(user.id);
        },
      },
    });
    const asked = await h.ask();
    // Slack lets no deactivated user click, so the payload is forged, and signed, to say one did.
    await click('U0BOB', asked, ACTION.Approve, {
      mutate: (payload: { user: { id: string } }) => {
        payload.user.id = 'U0CAROL';
      },
    });
    await click('U0BOTTY', asked, ACTION.Approve);
    expect(resolved).toEqual([]);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect((await refusals()).map((r) => [r.approver, r.detail])).toEqual([
      [slackId('U0CAROL'), 'deactivated Slack user'],
      [slackId('U0BOTTY'), 'Slack bot user'],
    ]);
    expect(ephemeralsFor(h.slack, 'U0BOTTY')).toEqual([expect.stringContaining('Bots and apps')]);
  });

  test('resolveApprover maps Slack users through users.info, and null refuses', async () => {
    h = await setup({
      transport: { resolveApprover: (user) => (user.email === 'bob@example.com' ? slackId('U0BOB') : null) },
    });
    const asked = await h.ask({ name: 'infra.deploy', resource: 'prod/api' });
    await click('U0DAN', asked, ACTION.Approve);
    expect((await refusals()).map((r) => r.detail)).toEqual(['Slack user has no approver identity']);
    await click('U0BOB', asked, ACTION.Approve);
    expect(await asked.result).toBe('ran');
  });

  test('a click from another workspace is refused with 403 and audited', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await click('U0BOB', asked, ACTION.Approve, { team: { id: 'T0OTHER', domain: 'other' } });
    expect(result.status).toBe(403);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect((await refusals()).map((r) => [r.approver, r.detail])).toEqual([
      ['slack:T0OTHER:U0BOB', 'click from another Slack workspace'],
    ]);
  });

  test('a button value edited to name another request decides neither', async () => {
    h = await setup();
    const first = await h.ask();
    const second = await h.ask({ params: { table: 'invoices' } });
    await click('U0BOB', first, ACTION.Approve, { value: second.request.id });
    expect((await h.cs.getRequest(first.request.id))?.decisions).toEqual([]);
    expect((await h.cs.getRequest(second.request.id))?.decisions).toEqual([]);
    expect(ephemeralsFor(h.slack, 'U0BOB')).toEqual([expect.stringContaining('does not belong')]);
    const [refusal] = await refusals();
    expect(refusal).toMatchObject({ requestId: second.request.id, approver: slackId('U0BOB') });
  });

  test('a button naming a request that does not exist is answered, not decided', async () => {
    h = await setup();
    const asked = await h.ask();
    await click('U0BOB', asked, ACTION.Approve, { value: 'req_doesnotexist' });
    await click('U0BOB', asked, ACTION.Approve, { value: '../../etc/passwd' });
    expect(ephemeralsFor(h.slack, 'U0BOB')).toEqual([
      expect.stringContaining('no longer exists'),
      expect.stringContaining('no longer exists'),
    ]);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
  });
});

describe('malformed input', () => {
  test('unknown action ids and interaction types are acknowledged and ignored', async () => {
    h = await setup();
    const asked = await h.ask();
    const unknown = await click('U0BOB', asked, ACTION.Approve, {
      mutate: (payload: { actions: { action_id: string }[] }) => {
        payload.actions[0]!.action_id = 'countersign_approve_all';
      },
    });
    const otherType = await click('U0BOB', asked, ACTION.Approve, {
      mutate: (payload: { type: string }) => {
        payload.type = 'message_action';
      },
    });
    expect([unknown.status, otherType.status]).toEqual([200, 200]);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect(h.slack.ephemerals).toEqual([]);
  });

  test('oversized bodies are refused with 413 before the signature is checked', async () => {
    h = await setup();
    const body = `payload=${'x'.repeat(70_000)}`;
    const declared = await postSigned(body);
    expect(declared.status).toBe(413);
    const signed = signNow(body);
    const streamed = await h.transport.handleInteraction(
      new Request(h.interactionUrl, {
        method: 'POST',
        headers: signed.headers,
        body: new Blob([body]).stream(),
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(h.logs).toEqual([]);
  });

  test('malformed but signed bodies are refused with 400', async () => {
    h = await setup();
    const post = async (body: string) => (await postSigned(body)).status;
    expect(await post('payload=%7Bnot%20json')).toBe(400);
    expect(await post('nothing=here')).toBe(400);
    expect(await post(`payload=${encodeURIComponent('[1,2]')}`)).toBe(400);
    expect(
      await post(
        `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', team: { id: 'T0EMULATOR' }, user: { id: 'U0BOB' }, actions: [] }))}`,
      ),
    ).toBe(400);
    const get = await fetch(h.interactionUrl);
    expect(get.status).toBe(405);
  });
});
