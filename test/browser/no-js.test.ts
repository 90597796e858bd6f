import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, newIin, newPage, Portal, SKIP, signIn, text } from './harness.js';

const en = (key: string) => text('en', key);

describe('the portal with JavaScript switched off', { skip: SKIP }, () => {
  let portal: Portal;
  let browser: Browser;
  before(async () => {
    [portal, browser] = await Promise.all([new Portal().start(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await portal?.stop();
  });

  test('signs in, places a ban through the confirmation page, and sees it in force', async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await signIn(page, portal.url, newIin());
      await page.getByRole('button', { name: en('status.place') }).click();
      await page.getByRole('radio', { name: en('edit.term.indefinite') }).check();
      await page.getByRole('button', { name: en('common.continue') }).click();
      await page.getByRole('button', { name: en('confirm.submitPlace') }).click();
      await page.goto(`${portal.url}/`);
      assert.ok(await page.getByText(en('status.inForce')).isVisible());
      assert.equal(await page.evaluate(() => document.body.classList.contains('js-enabled')).catch(() => false), false);
    } finally {
      await context.close();
    }
  });
});
