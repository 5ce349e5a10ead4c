import { afterEach, describe, expect, test } from 'vitest';
import { defaultResolveApprover, VERB } from '../src/index.js';
import { identityPart, sameTeamsId, teamsIdentity } from '../src/teams-identity.js';
import { BOB, type Harness, setup, TENANT, teamsId } from './helpers.js';

/** Core's identity rule (packages/core/src/model/schemas.ts): printable ASCII without spaces, at most 256. */
const CORE_IDENTITY = /^[\x21-\x7e]{1,256}$/;

describe('Teams ids become identity parts core accepts', () => {
  test('a GUID is lower-cased, whatever case Teams sent it in', () => {
    expect(identityPart(BOB.toUpperCase())).toBe(BOB);
    expect(sameTeamsId(TENANT.toUpperCase(), TENANT)).toBe(true);
    expect(sameTeamsId('Bob', 'bob')).toBe(false);
    expect(
      defaultResolveApprover({
        tenantId: TENANT.toUpperCase(),
        aadObjectId: BOB.toUpperCase(),
        teamsUserId: '29:x',
        name: null,
      }),
    ).toBe(teamsId(BOB));
  });

  test.each([
    ['plain', 'bob', 'bob'],
    ['a colon, which would fake another part', 'a:b', 'a%3Ab'],
    ['a percent sign', '50%', '50%25'],
    ['a space', 'contoso tenant', 'contoso%20tenant'],
    ['a letter outside ASCII', 'ü', '%C3%BC'],
    ['a look-alike Cyrillic letter', 'аlice', '%D0%B0lice'],
    ['an emoji', '😀', '%F0%9F%98%80'],
    ['a lone surrogate', '\ud800x', '%uD800x'],
    ['a control character', 'a\u0000b', 'a%00b'],
  ])('%s is percent-encoded', (_, id, part) => {
    expect(identityPart(id)).toBe(part);
  });

  test('an id too long to encode readably becomes a digest, and the identity stays within 256 characters', () => {
    const long = '😀'.repeat(50);
    expect(identityPart(long)).toMatch(/^%sha256-[0-9a-f]{64}$/);
    expect(identityPart(long)).not.toBe(identityPart('😀'.repeat(49)));
    expect(teamsIdentity('t'.repeat(100), 'o'.repeat(100))).toHaveLength(207);
  });

  test('different ids never share an encoding, and every identity passes core’s rule', () => {
    const ids = [
      'a:b',
      'a%3Ab',
      'a%253Ab',
      '\ud800',
      '%uD800',
      '\ufffd',
      'x'.repeat(100),
      'x'.repeat(101),
      '%sha256-0',
      ' ',
      '%20',
      BOB,
      '😀'.repeat(50),
      '\u{10ffff}'.repeat(9),
    ];
    const parts = ids.map(identityPart);
    expect(new Set(parts).size).toBe(ids.length);
    for (const id of ids) expect(teamsIdentity(id, id)).toMatch(CORE_IDENTITY);
  });
});

describe('a click from an unusual identity is decided or refused, and a refusal is always audited', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  async function refusals() {
    return (await h.cs.audit.entries()).filter((e) => e.type === 'refused');
  }

  test('ids of another tenant that break core’s rule are encoded, so the refusal is on the audit log', async () => {
    const odd = { aadObjectId: 'Ünusual object id', name: 'Odd', tenantId: 'contoso tenant: ü' };
    h = await setup({ users: [odd] });
    const asked = await h.ask();
    const result = await h.teams.click({
      user: odd.aadObjectId,
      activityId: asked.activityId,
      verb: VERB.Approve,
    });
    expect(result.invokeResponse).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error' });
    expect(result.message).toContain('The attempt was audited.');
    expect((await refusals()).map((e) => [e.requestId, e.approver, e.detail])).toEqual([
      [
        asked.request.id,
        'teams:contoso%20tenant%3A%20%C3%BC:%C3%9Cnusual%20object%20id',
        'click from another Microsoft Entra tenant',
      ],
    ]);
    expect((await h.cs.audit.verify()).ok).toBe(true);
  });

  test('an object id too long to keep falls back to the Teams user id, digested, and is still audited', async () => {
    const long = { aadObjectId: 'x'.repeat(150), name: 'Long', tenantId: 'elsewhere' };
    h = await setup({ users: [long] });
    const asked = await h.ask();
    const result = await h.teams.click({
      user: long.aadObjectId,
      activityId: asked.activityId,
      verb: VERB.Approve,
    });
    expect(result.message).toContain('The attempt was audited.');
    const [refused] = await refusals();
    expect(refused?.approver).toMatch(/^teams:elsewhere:%sha256-[0-9a-f]{64}$/);
  });

  test('an unusual object id in this tenant is refused by core as not eligible, audited under its encoding', async () => {
    const odd = { aadObjectId: 'Ö weird', name: 'Odd Insider' };
    h = await setup({ users: [odd] });
    const asked = await h.ask();
    const result = await h.teams.click({
      user: odd.aadObjectId,
      activityId: asked.activityId,
      verb: VERB.Approve,
    });
    expect(result.message).toContain('not an approver');
    expect((await refusals()).map((e) => [e.approver, e.detail])).toEqual([
      [`teams:${TENANT}:%C3%96%20weird`, 'not an eligible approver'],
    ]);
  });

  test('an unusual object id mapped to nobody is refused by the transport and audited', async () => {
    const odd = { aadObjectId: 'Ö weird', name: 'Odd Insider' };
    h = await setup({ users: [odd], transport: { resolveApprover: () => null } });
    const asked = await h.ask();
    const result = await h.teams.click({
      user: odd.aadObjectId,
      activityId: asked.activityId,
      verb: VERB.Approve,
    });
    expect(result.message).toContain('not linked');
    expect(result.message).toContain('The attempt was audited.');
    expect((await refusals()).map((e) => e.approver)).toEqual([`teams:${TENANT}:%C3%96%20weird`]);
  });

  test('GUIDs Teams sends in upper case are the same tenant and the same approver', async () => {
    const upper = { aadObjectId: BOB.toUpperCase(), name: 'Bob, upper case', tenantId: TENANT.toUpperCase() };
    h = await setup({ users: [upper] });
    const asked = await h.ask();
    const result = await h.teams.click({
      user: upper.aadObjectId,
      activityId: asked.activityId,
      verb: VERB.Approve,
    });
    expect(result.card).not.toBeNull();
    expect((await h.cs.getRequest(asked.request.id))?.decisions.map((d) => d.approver)).toEqual([
      teamsId(BOB),
    ]);
    expect(await refusals()).toEqual([]);
  });
});
