import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeViolations,
  expectH1,
  idpText,
  iinField,
  LANGS,
  literal,
  newIin,
  newPage,
  portalAndBrowser,
  SKIP,
  seriousViolations,
  shot,
  text,
  waitForPath,
} from './harness.js';

// axe-core on every page of the portal, in Kazakh, Russian and English: no violation of impact
// serious or critical. Each page is its own subtest, so one failing page does not hide the others.

describe('accessibility of every page (axe-core, serious and critical)', { skip: SKIP, concurrency: LANGS.length }, () => {
  const shared = portalAndBrowser();

  for (const lang of LANGS) {
    test(`in ${lang}`, async (t) => {
      const { context, page } = await newPage(shared.browser);
      t.after(() => context.close());
      const tx = (key: string, params?: Record<string, string | number>) => text(lang, key, params);
      const iin = newIin();
      let n = 0;

      /** Audits the page as it is now, as its own subtest. */
      const audit = async (name: string) => {
        const where = `${lang} ${name} (${new URL(page.url()).pathname})`;
        await shot(page, `a11y-${lang}-${String(++n).padStart(2, '0')}-${name}`);
        const violations = await seriousViolations(page);
        // Every page is in the language asked for, the development provider's included.
        const pageLang = await page.locator('html').getAttribute('lang');
        await t.test(name, () => {
          assert.equal(pageLang, lang, `${where} should be in ${lang}`);
          assert.deepEqual(
            violations.map((v) => v.id),
            [],
            describeViolations(where, violations),
          );
        });
      };
      const go = async (path: string) => {
        await page.goto(`${shared.portal.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
      };
      const inLang = async () => assert.equal(await page.locator('html').getAttribute('lang'), lang);

      // Signed out.
      await go('/');
      await inLang();
      await audit('start');
      await go('/safety');
      await audit('staying safe, signed out');
      await go('/no-such-page');
      await audit('page not found');

      // The development identity provider.
      await go('/');
      await page.getByRole('button', { name: tx('start.signIn') }).click();
      await waitForPath(page, /^\/dev-idp\/interaction\//);
      await audit('provider sign-in');
      await page.getByRole('button', { name: idpText(lang, 'signIn'), exact: true }).click();
      await page.locator('.govuk-error-summary').waitFor();
      await audit('provider sign-in with an error');
      await iinField(page, lang).fill(iin);
      await page.getByRole('button', { name: idpText(lang, 'signIn'), exact: true }).click();
      await waitForPath(page, '/');
      await inLang();
      await page.getByText(tx('status.none'), { exact: true }).waitFor();
      await audit('status without a ban');
      await go('/restriction/lift');
      await expectH1(page, tx('problems.noRestriction.title'));
      await audit('nothing to lift');
      await go('/');

      // Placing a ban: the form, the form with errors, the confirmation, the result.
      await page.getByRole('button', { name: tx('status.place') }).click();
      await waitForPath(page, '/restriction/edit');
      await audit('ban form');
      for (const box of await page.getByRole('checkbox').all()) await box.uncheck();
      await page.getByRole('button', { name: tx('common.continue') }).click();
      await page.locator('.govuk-error-summary').waitFor();
      assert.match(await page.title(), new RegExp(`^${literal(tx('common.errorPrefix')).source}`));
      await audit('ban form with errors');
      await page.getByRole('checkbox', { name: tx('edit.lenderTypes.bank') }).check();
      await page.getByRole('checkbox', { name: tx('edit.lenderTypes.mfo') }).check();
      await page.getByRole('checkbox', { name: tx('edit.channels.remote') }).check();
      await page.getByRole('radio', { name: tx('edit.term.until') }).check();
      await page.getByRole('textbox', { name: tx('edit.day') }).fill('31');
      await page.getByRole('textbox', { name: tx('edit.month') }).fill('2');
      await page.getByRole('textbox', { name: tx('edit.year') }).fill('2020');
      await page.getByRole('button', { name: tx('common.continue') }).click();
      await page.locator('.govuk-error-summary').waitFor();
      await audit('ban form with a date error');
      await page.getByRole('radio', { name: tx('edit.term.indefinite') }).check();
      await page.getByRole('button', { name: tx('common.continue') }).click();
      await expectH1(page, tx('confirm.title'));
      await audit('confirm the ban');
      await page.getByRole('button', { name: tx('confirm.submitPlace') }).click();
      await waitForPath(page, '/restriction/done');
      await audit('ban placed');
      await go('/');
      await page.getByText(tx('status.inForce'), { exact: true }).waitFor();
      await audit('status with a ban');
      await go('/restriction/edit');
      await audit('change form');

      // A refused check: who checked me, with the attempt highlighted.
      await shared.portal.check(shared.portal.bank, iin, 'remote', `APP-A11Y-${lang.toUpperCase()}`);
      await shared.portal.check(shared.portal.mfo, iin, 'in_person', `APP-A11Y-${lang.toUpperCase()}-2`);
      await go('/checks');
      await page.locator('.tyiym-attempt').first().waitFor();
      await audit('who checked me');

      // Letting one lender through.
      await go('/exemptions/new');
      await audit('exemption form');
      await page.getByRole('button', { name: tx('exempt.submit') }).click();
      await page.locator('.govuk-error-summary').waitFor();
      await audit('exemption form with errors');
      await page.getByRole('radio', { name: shared.portal.mfo.name }).check();
      await page.getByRole('textbox', { name: tx('exempt.hours.label') }).fill('12');
      await page.getByRole('button', { name: tx('exempt.submit') }).click();
      await waitForPath(page, '/');
      await page.locator('.govuk-notification-banner').waitFor();
      await audit('status with an exemption');

      // Lifting: the warning page, the pending lift, and the page for a lift already asked for.
      await go('/restriction/lift');
      await audit('lift');
      await page.getByRole('button', { name: tx('lift.confirm') }).click();
      await waitForPath(page, '/');
      await page.locator('.govuk-notification-banner').waitFor();
      await audit('status with a pending lift');
      await go('/restriction/lift');
      await audit('lift already pending');

      // The record.
      await go('/history');
      await audit('history');
      await go('/statement');
      await audit('statement');
      await go('/safety');
      await audit('staying safe, signed in');

      // Signing out: one click ends the provider's session too, and the start page is back.
      await page.getByRole('button', { name: tx('nav.signOut') }).click();
      await page.getByRole('button', { name: tx('start.signIn') }).waitFor();
      await audit('signed out');
    });
  }
});
