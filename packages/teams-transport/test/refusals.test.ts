import { createMemoryStore } from '@countersign/memory-store';
import { afterEach, describe, expect, test } from 'vitest';
import { VERB } from '../src/index.js';
import type { ClickForgery } from '../src/testing/index.js';
import { BOB, EVE, type Harness, MALLORY, setup, teamsId } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function refusals() {
  return (await h.cs.audit.entries()).filter((e) => e.type === 'refused');
}

/** A token Microsoft signed for the serviceUrl the activity names: only the allow-list can refuse it. */
const fromServiceUrl = (serviceUrl: string): ClickForgery => ({
  claims: { serviceurl: serviceUrl },
  activity: (a) => Object.assign(a, { serviceUrl }),
});

describe('the inbound serviceUrl must be on allowedServiceOrigins', () => {
  test.each<[string, (emulatorUrl: string) => string]>([
    ['another host', () => 'https://evil.example/teams/'],
    ['a look-alike host', () => 'https://smba.trafficmanager.net.evil.example/teams/'],
    ['another port of the allowed host', () => 'http://127.0.0.1:1/teams/'],
    [
      'the allowed origin with credentials in it',
      (url) => `${url.replace('http://', 'http://user:pass@')}/teams/`,
    ],
  ])('an activity from %s is refused with 401, decides nothing, and is audited', async (_, at) => {
    h = await setup();
    const asked = await h.ask();
    const serviceUrl = at(h.teams.url);
    const result = await h.teams.click({
      user: BOB,
      activityId: asked.activityId,
      verb: VERB.Approve,
      forge: fromServiceUrl(serviceUrl),
    });
    expect(result.status).toBe(401);
    expect(result.invokeResponse).toBeNull();
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
    expect((await refusals()).map((e) => [e.requestId, e.approver, e.detail])).toEqual([
      [asked.request.id, teamsId(BOB), 'activity serviceUrl is not on allowedServiceOrigins'],
    ]);
    expect(h.logs.join('\n')).toContain('serviceUrl not on allowedServiceOrigins');
    expect(h.logs.join('\n')).not.toContain(serviceUrl);
  });

  test('another path on an allowed origin (a regional serviceUrl) is accepted', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await h.teams.click({
      user: BOB,
      activityId: asked.activityId,
      verb: VERB.Approve,
      forge: fromServiceUrl(`${h.teams.url}/amer/`),
    });
    expect(result.card).not.toBeNull();
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toHaveLength(1);
  });

  test('a refused activity naming no request is refused all the same, with nothing to audit', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await h.teams.click({
      user: BOB,
      activityId: asked.activityId,
      verb: VERB.Approve,
      forge: { ...fromServiceUrl('https://evil.example/teams/'), data: { requestId: 'req_nothing_here' } },
    });
    expect(result.status).toBe(401);
    expect(await refusals()).toEqual([]);
  });
});

describe('a refusal says it was audited only when the audit write succeeded', () => {
  test.each<[string, string, Partial<Parameters<typeof setup>[0]>, (requestId: string) => ClickForgery]>([
    ['a click from another tenant', EVE, {}, () => ({})],
    ['a Teams user mapped to nobody', MALLORY, { transport: { resolveApprover: () => null } }, () => ({})],
    [
      'a Teams account without an object id',
      BOB,
      {},
      () => ({ activity: (a) => delete (a.from as { aadObjectId?: string }).aadObjectId }),
    ],
  ])('%s, with the audit log failing, is told it could not be audited', async (_, user, options, forge) => {
    const store = createMemoryStore();
    h = await setup({ ...options, countersign: { store } });
    const asked = await h.ask();
    store.appendAudit = async () => {
      throw new Error('audit volume is full');
    };
    const result = await h.teams.click({
      user,
      activityId: asked.activityId,
      verb: VERB.Approve,
      forge: forge(asked.request.id),
    });
    expect(result.message).toContain('could not be audited');
    expect(result.message).not.toContain('was audited');
    expect(h.logs.join('\n')).toContain('could not audit a refusal');
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toEqual([]);
  });

  test('card data naming another request, with the audit log failing, is told it could not be audited', async () => {
    const store = createMemoryStore();
    h = await setup({ countersign: { store } });
    const a = await h.ask();
    const b = await h.ask({ table: 'orders' }, { sessionId: 'sess_other' });
    store.appendAudit = async () => {
      throw new Error('audit volume is full');
    };
    const result = await h.teams.click({
      user: BOB,
      activityId: a.activityId,
      verb: VERB.Approve,
      forge: { data: { requestId: b.request.id } },
    });
    expect(result.invokeResponse).toMatchObject({ statusCode: 400 });
    expect(result.message).toContain('could not be audited');
    expect(result.message).not.toContain('was audited');
  });

  test('with the audit log working, the same refusal says it was audited', async () => {
    h = await setup();
    const asked = await h.ask();
    const result = await h.teams.click({ user: EVE, activityId: asked.activityId, verb: VERB.Approve });
    expect(result.message).toContain('The attempt was audited.');
    expect(await refusals()).toHaveLength(1);
  });
});
