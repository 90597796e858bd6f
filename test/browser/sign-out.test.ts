import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { expectH1, idpText, iinField, newIin, newPage, portalAndBrowser, SKIP, signIn, text, waitForPath } from './harness.js';

/** What the browser asked of the development provider, and any policy it broke. */
function watch(page: Page): { provider: string[]; cspErrors: string[] } {
  const seen = { provider: [] as string[], cspErrors: [] as string[] };
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/dev-idp')) seen.provider.push(`${r.method()} ${url.pathname}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) seen.cspErrors.push(m.text());
  });
  return seen;
}

describe('signing out', { skip: SKIP }, () => {
  const shared = portalAndBrowser();

  test('one click in the portal ends both sessions; the next sign-in asks who it is', async (t) => {
    const { context, page } = await newPage(shared.browser);
    t.after(() => context.close());
    await signIn(page, shared.portal.url, newIin(), 'kk');
    const seen = watch(page);

    await page.getByRole('button', { name: text('kk', 'nav.signOut') }).click();
    await expectH1(page, text('kk', 'start.title'));
    await page.getByRole('button', { name: text('kk', 'start.signIn') }).waitFor();
    assert.ok(seen.provider.includes('POST /dev-idp/session/end/confirm'), `the provider's session was ended: ${seen.provider}`);
    assert.deepEqual(seen.cspErrors, []);

    // Not signed in silently: the provider asks again, in the citizen's language.
    await page.getByRole('button', { name: text('kk', 'start.signIn') }).click();
    await waitForPath(page, /^\/dev-idp\/interaction\//);
    await iinField(page, 'kk').waitFor();
    await expectH1(page, idpText('kk', 'signInTitle'));
  });

  test('without JavaScript, the provider asks once more, in the citizen’s language', async (t) => {
    const { context, page } = await newPage(shared.browser, { javaScriptEnabled: false });
    t.after(() => context.close());
    await signIn(page, shared.portal.url, newIin(), 'ru');

    await page.getByRole('button', { name: text('ru', 'nav.signOut') }).click();
    await waitForPath(page, '/dev-idp/session/end');
    await page.getByRole('button', { name: idpText('ru', 'signOut'), exact: true }).click();
    await expectH1(page, text('ru', 'start.title'));
    await page.getByRole('button', { name: text('ru', 'start.signIn') }).click();
    await waitForPath(page, /^\/dev-idp\/interaction\//);
    await iinField(page, 'ru').waitFor();
  });
});
