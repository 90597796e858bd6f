import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newIin, newPage, portalAndBrowser, SKIP, signIn, text } from './harness.js';

const en = (key: string) => text('en', key);

describe('the portal with JavaScript switched off', { skip: SKIP }, () => {
  const shared = portalAndBrowser();

  test('signs in, places a ban through the confirmation page, and sees it in force', async () => {
    const { context, page } = await newPage(shared.browser, { javaScriptEnabled: false });
    try {
      await signIn(page, shared.portal.url, newIin());
      await page.getByRole('button', { name: en('status.place') }).click();
      await page.getByRole('radio', { name: en('edit.term.indefinite') }).check();
      await page.getByRole('button', { name: en('common.continue') }).click();
      await page.getByRole('button', { name: en('confirm.submitPlace') }).click();
      await page.goto(`${shared.portal.url}/`);
      assert.ok(await page.getByText(en('status.inForce')).isVisible());
      assert.equal(await page.evaluate(() => document.body.classList.contains('js-enabled')).catch(() => false), false);
    } finally {
      await context.close();
    }
  });
});
