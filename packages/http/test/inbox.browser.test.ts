// The inbox in a real browser: Debian's Chromium driven by playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createDecisionApi, type DecisionApi, type Listening, listen } from '../src/index.js';
import { AUDIENCE, type Fixture, fixture, ISSUER, type TestIssuer, testIssuer } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present && process.env.CI) {
  throw new Error(`browser tests need Chromium at ${CHROMIUM} (apt-get install -y chromium) and CI is set`);
}
if (!present)
  console.log(`[http] browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser;
let fx: Fixture;
let issuer: TestIssuer;
let app: DecisionApi;
let server: Listening;

beforeAll(async () => {
  if (present) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await server?.close(100);
  await app?.close();
  await fx?.close();
});

async function setup(quorum = 1) {
  fx = fixture({ quorum });
  issuer = await testIssuer();
  app = createDecisionApi(fx.cs, {
    store: fx.store,
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks },
    inbox: { keepAliveSeconds: 1 },
  });
  server = await listen(app.fetch);
}

/** A signed-in page whose CSP violations and dialogs are collected. */
async function signedIn(who: string, path = '/inbox') {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(`${server.url}${path}`);
  await page.getByLabel('Token').fill(await issuer.token({ sub: who }));
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The sign-in form may sit at the very URL it leads to: wait for it to go, not for the URL.
  await page.locator('#token').waitFor({ state: 'detached' });
  await page.waitForLoadState('domcontentloaded');
  return { page, problems, close: () => context.close() };
}

async function waitForLive(page: Page) {
  // Locators wait from Playwright's own world; a string predicate is eval'd in the page, which its CSP forbids.
  await page.locator('body[data-live="connected"]').waitFor();
}

describe.skipIf(!present)('the inbox in Chromium', () => {
  test('sign in, see the request, approve with the keyboard, the agent resumes', async () => {
    await setup();
    const { request, outcome } = await fx.pending({ table: 'customers' }, 'Alice asked for the churn report');
    const { page, problems, close } = await signedIn('bob');
    await expect.poll(() => page.getByRole('link', { name: /db\.export/ }).count()).toBe(1);
    await page.getByRole('link', { name: /db\.export/ }).click();
    await page.waitForURL(`**/inbox/requests/${request.id}`);
    expect(await page.locator('#reason').textContent()).toBe('Alice asked for the churn report');
    expect(await page.textContent('main')).toContain('Stated by the agent, unverified');
    expect(await page.textContent('main')).toContain(request.action.paramsHash);
    await page.getByLabel(/Reason/).fill('checked the ticket');
    await page.getByRole('button', { name: 'Approve' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/notice=approved/);
    expect(await page.textContent('main')).toContain('Your approval was recorded.');
    expect(await outcome).toEqual({ ok: 'exported' });
    expect((await fx.cs.getRequest(request.id))?.decisions[0]).toMatchObject({
      approver: 'user:bob',
      comment: 'checked the ticket',
      via: 'inbox',
    });
    expect(problems).toEqual([]);
    if (process.env.COUNTERSIGN_SCREENSHOT) {
      await fx.pending({ table: 'invoices', format: 'csv' }, 'Month-end close for finance');
      await fx.pending({ table: 'users', columns: ['email'] }, 'Support ticket #4411');
      await page.setViewportSize({ width: 900, height: 700 });
      await page.goto(`${server.url}/inbox`);
      const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'inbox.png');
      mkdirSync(dirname(out), { recursive: true });
      await page.screenshot({ path: out, fullPage: true });
      await page
        .getByRole('link', { name: /db\.export/ })
        .first()
        .click();
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: out.replace('inbox.png', 'inbox-request-phone.png'), fullPage: true });
    }
    await close();
  });

  test('a second approver sees the request update live', async () => {
    await setup(2);
    const { request } = await fx.pending();
    const carol = await signedIn('carol', `/inbox/requests/${request.id}`);
    await carol.page.waitForURL(`**/inbox/requests/${request.id}`);
    await waitForLive(carol.page);
    expect(await carol.page.locator('#status-text').textContent()).toBe('Waiting: 0 of 2 approvals');
    const bob = await signedIn('bob', `/inbox/requests/${request.id}`);
    await bob.page.getByRole('button', { name: 'Approve' }).click();
    await bob.page.waitForURL(/notice=approved/);
    await carol.page.locator('#status-text', { hasText: '1 of 2 approvals (user:bob)' }).waitFor();
    expect(await carol.page.locator('#status-text').textContent()).toBe(
      'Waiting: 1 of 2 approvals (user:bob)',
    );
    expect(carol.problems).toEqual([]);
    await bob.close();
    await carol.close();
  });

  test('injection in params and reason renders inert', async () => {
    await setup();
    const { request } = await fx.pending(
      {
        note: '<script>alert("params")</script>',
        img: '<img src=x onerror=alert("img")>',
        link: 'javascript:alert("link")',
      },
      'urgent \u202Egnp.exe\u202C <img src=x onerror=alert("reason")> <a href="javascript:alert(1)">click</a>',
    );
    const { page, problems, close } = await signedIn('bob', `/inbox/requests/${request.id}`);
    await page.waitForURL(`**/inbox/requests/${request.id}`);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    const reason = (await page.locator('#reason').textContent()) ?? '';
    expect(reason).toContain('<img src=x onerror=alert("reason")>');
    expect(reason).toContain('⟨U+202E⟩');
    expect(reason).not.toContain('\u202E');
    expect(await page.locator('#params').textContent()).toContain('<script>alert(\\"params\\")</script>');
    expect(problems).toEqual([]);
    await close();
  });
});
