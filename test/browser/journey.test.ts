import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  expectH1,
  iinField,
  literal,
  newIin,
  newPage,
  portalAndBrowser,
  readText,
  SKIP,
  shot,
  text,
  textPattern,
  waitForPath,
} from './harness.js';

// A citizen's whole journey through the portal in a real shared.browser, finding everything by its
// role and accessible name, as a screen reader user would.

const lang = 'en';
const en = (key: string, params?: Record<string, string | number>) => text(lang, key, params);

/** The success banner a change leaves on the status page (GOV.UK's notification banner, an alert). */
function notice(page: Page) {
  return page.getByRole('alert', { name: en('notice.title') });
}

async function htmlLang(page: Page): Promise<string | null> {
  return page.locator('html').getAttribute('lang');
}

/**
 * Runs the journey's steps in order, each as its own subtest; once one fails, the rest are
 * skipped (each step needs the one before it).
 */
function stepper(t: TestContext) {
  let failed: string | null = null;
  return async (name: string, fn: () => Promise<void>) => {
    await t.test(name, async (st) => {
      if (failed !== null) return st.skip(`an earlier step failed: ${failed}`);
      try {
        await fn();
      } catch (e) {
        failed = name;
        throw e;
      }
    });
  };
}

describe('a citizen in the browser', { skip: SKIP }, () => {
  const shared = portalAndBrowser();

  test('places a ban, sees a lender’s attempt, lets one lender through, lifts and keeps the ban, signs out', async (t) => {
    const { context, page } = await newPage(shared.browser, { locale: 'ru-RU' });
    t.after(() => context.close());
    const iin = newIin();
    const step = stepper(t);
    let n = 0;
    const snap = (name: string) => shot(page, `journey-${String(++n).padStart(2, '0')}-${name}`);

    await step('the start page is in the browser’s language, and the language links switch it', async () => {
      await page.goto(shared.portal.url);
      assert.equal(await htmlLang(page), 'ru', 'Accept-Language ru picks Russian');
      await expectH1(page, text('ru', 'start.title'));
      await snap('start-ru');
      const languages = page.getByRole('navigation', { name: text('ru', 'lang.label') });
      // The current language is not a link; the others are, each named in its own language.
      assert.equal(await languages.getByRole('link', { name: 'Русский' }).count(), 0);
      await languages.getByRole('link', { name: 'Қазақша' }).click();
      await page.waitForFunction(() => document.documentElement.lang === 'kk');
      await expectH1(page, text('kk', 'start.title'));
      await snap('start-kk');
      await page
        .getByRole('navigation', { name: text('kk', 'lang.label') })
        .getByRole('link', { name: 'English' })
        .click();
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      await expectH1(page, en('start.title'));
      await snap('start-en');
    });

    await step('signs in through the development identity provider by typing an IIN', async () => {
      await page.getByRole('button', { name: en('start.signIn') }).click();
      await waitForPath(page, /^\/dev-idp\/interaction\//);
      await expectH1(page, 'Sign in');
      await snap('idp-sign-in');
      await iinField(page).fill(iin);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await waitForPath(page, '/');
      await expectH1(page, en('status.title'));
      await page.getByText(en('status.none'), { exact: true }).waitFor();
      // Signed in: the menu offers the citizen's pages and signing out.
      const menu = page.getByRole('navigation', { name: en('nav.label') });
      for (const key of ['nav.status', 'nav.history', 'nav.checks', 'nav.statement', 'nav.safety'])
        await menu.getByRole('link', { name: en(key), exact: true }).waitFor();
      await menu.getByRole('button', { name: en('nav.signOut') }).waitFor();
      await snap('status-none');
    });

    await step('places a ban on banks and MFOs, online only, for three months', async () => {
      await page.getByRole('button', { name: en('status.place') }).click();
      await waitForPath(page, '/restriction/edit');
      await expectH1(page, en('edit.titleNew'));
      const types = page.getByRole('group', { name: en('edit.lenderTypes.legend') });
      await types.getByRole('checkbox', { name: en('edit.lenderTypes.bank') }).check();
      await types.getByRole('checkbox', { name: en('edit.lenderTypes.mfo') }).check();
      const channels = page.getByRole('group', { name: en('edit.channels.legend') });
      await channels.getByRole('checkbox', { name: en('edit.channels.remote') }).check();
      await channels.getByRole('checkbox', { name: en('edit.channels.in_person') }).uncheck();
      const term = page.getByRole('group', { name: en('edit.term.legend') });
      await term.getByRole('radio', { name: en('edit.term.months') }).check();
      // The number of months is revealed once its option is chosen.
      await page.getByRole('textbox', { name: en('edit.term.monthsLabel') }).fill('3');
      await snap('edit-filled');
      await page.getByRole('button', { name: en('common.continue') }).click();

      await expectH1(page, en('confirm.title'));
      const summary = page.locator('.govuk-summary-list');
      const scope = en('scope.sentence', { types: en('scope.types.all'), channels: en('scope.channels.remote') });
      assert.match(await readText(summary), literal(scope));
      assert.match(await readText(summary), textPattern(lang, 'term.untilEndOf'));
      await snap('confirm');
      await page.getByRole('button', { name: en('confirm.submitPlace') }).click();
      await waitForPath(page, '/restriction/done');
      await expectH1(page, en('done.titlePlaced'));
      await snap('done');
    });

    await step('sees the ban in force on the status page', async () => {
      await page.getByRole('link', { name: en('done.toStatus') }).click();
      await waitForPath(page, '/');
      await page.getByText(en('status.inForce'), { exact: true }).waitFor();
      const summary = await readText(page.locator('.govuk-summary-list'));
      assert.match(
        summary,
        literal(en('scope.sentence', { types: en('scope.types.all'), channels: en('scope.channels.remote') })),
      );
      // A fixed term of three months, not "until you cancel it".
      assert.match(summary, literal(en('status.term')));
      assert.doesNotMatch(summary, literal(en('status.untilCancelled')));
      await snap('status-in-force');
    });

    await step('a bank’s remote check is refused, and shows on “who checked me” as an attempt', async () => {
      const answer = await shared.portal.check(shared.portal.bank, iin, 'remote', 'APP-JOURNEY-1');
      assert.equal(answer.restricted, true, 'the ban covers banks online');
      await page
        .getByRole('navigation', { name: en('nav.label') })
        .getByRole('link', { name: en('nav.checks') })
        .click();
      await waitForPath(page, '/checks');
      await expectH1(page, en('checks.title'));
      // The attempt is called out above the table, with what to do about it.
      await page.getByRole('heading', { name: en('checks.attempts.title', { count: 1 }) }).waitFor();
      const table = page.getByRole('table', { name: en('checks.caption') });
      const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: literal(shared.portal.bank.name) }) });
      assert.equal(await row.count(), 1);
      const cells = await readText(row);
      assert.match(cells, /APP-JOURNEY-1/);
      assert.match(cells, literal(en('checks.attemptTag')));
      assert.match(cells, literal(en('channel.remote')));
      // Highlighted: the row carries the attempt style, a red bar on its left.
      const bar = await row.evaluate((el) => {
        const s = getComputedStyle(el);
        return { cls: el.className, style: s.borderLeftStyle, color: s.borderLeftColor };
      });
      assert.match(bar.cls, /tyiym-attempt/);
      assert.equal(bar.style, 'solid');
      assert.equal(bar.color, 'rgb(212, 53, 28)');
      await snap('checks-attempt');
    });

    await step('lets the MFO through for 24 hours, and the ban holds for the bank', async () => {
      await page.getByRole('link', { name: en('nav.status') }).click();
      await page.getByRole('button', { name: en('status.exempt') }).click();
      await waitForPath(page, '/exemptions/new');
      await expectH1(page, en('exempt.title'));
      const lenders = page.getByRole('group', { name: en('exempt.lender.legend') });
      await lenders.getByRole('radio', { name: shared.portal.mfo.name }).check();
      await page.getByRole('textbox', { name: en('exempt.hours.label') }).fill('24');
      await snap('exemption-filled');
      await page.getByRole('button', { name: en('exempt.submit') }).click();
      await waitForPath(page, '/');
      await notice(page)
        .getByText(en('notice.exempted.heading', { lender: shared.portal.mfo.name }), { exact: true })
        .waitFor();
      const summary = await readText(page.locator('.govuk-summary-list'));
      assert.match(summary, literal(en('status.exemption')));
      assert.match(summary, literal(`${shared.portal.mfo.name} (BIN ${shared.portal.mfo.bin})`));
      assert.equal(
        (await shared.portal.check(shared.portal.mfo, iin, 'remote', 'APP-JOURNEY-2')).restricted,
        false,
        'the MFO is let through',
      );
      assert.equal(
        (await shared.portal.check(shared.portal.bank, iin, 'remote', 'APP-JOURNEY-3')).restricted,
        true,
        'the bank is not',
      );
      await snap('status-exemption');
    });

    await step('asks to lift the ban: a warning against fraudsters, the safer alternative, then a pending lift', async () => {
      await page.getByRole('button', { name: en('status.lift') }).click();
      await waitForPath(page, '/restriction/lift');
      await expectH1(page, en('lift.title'));
      // The anti-coercion warning, read with its "Warning" prefix.
      await page.getByText(en('lift.warning')).waitFor();
      assert.match(await readText(page.locator('.govuk-warning-text')), literal(en('common.warning')));
      // The alternative: let one lender through instead.
      const alternative = page.getByRole('region', { name: en('lift.alternative.title') });
      await alternative.getByRole('heading', { name: en('lift.alternative.title') }).waitFor();
      assert.equal(
        await alternative.getByRole('button', { name: en('lift.alternative.button') }).getAttribute('href'),
        '/exemptions/new',
      );
      // LIFT_DELAY=2d: the lift is not immediate, and the page says when it would take effect.
      await page.getByText(textPattern(lang, 'lift.whenLater')).waitFor();
      await snap('lift');
      await page.getByRole('button', { name: en('lift.confirm') }).click();
      await waitForPath(page, '/');
      await notice(page).getByText(en('notice.liftRequested.heading'), { exact: true }).waitFor();
      await page.getByText(textPattern(lang, 'status.liftPending')).waitFor();
      await page.getByText(en('status.inForce'), { exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: en('status.lift') }).count(), 0, 'no second lift while one is pending');
      assert.equal(
        (await shared.portal.check(shared.portal.bank, iin, 'remote', 'APP-JOURNEY-4')).restricted,
        true,
        'the ban holds meanwhile',
      );
      await snap('status-lift-pending');
    });

    await step('cancels the pending lift and keeps the ban', async () => {
      await page.getByRole('button', { name: en('status.cancelLift') }).click();
      await waitForPath(page, '/');
      await notice(page).getByText(en('notice.liftCancelled.heading'), { exact: true }).waitFor();
      assert.equal(await page.getByText(textPattern(lang, 'status.liftPending')).count(), 0);
      await page.getByRole('button', { name: en('status.lift') }).waitFor();
      await page.getByText(en('status.inForce'), { exact: true }).waitFor();
      await snap('status-lift-cancelled');
    });

    await step('switches to Kazakh: the page says so in its lang attribute, headings and font', async () => {
      await page
        .getByRole('navigation', { name: en('lang.label') })
        .getByRole('link', { name: 'Қазақша' })
        .click();
      await page.waitForFunction(() => document.documentElement.lang === 'kk');
      await expectH1(page, text('kk', 'status.title'));
      await page.getByText(text('kk', 'status.inForce'), { exact: true }).waitFor();
      // The Kazakh letters are drawn in the portal's own font, Noto Sans, not a fallback.
      const font = await page.evaluate(async () => {
        await document.fonts.ready;
        const family = getComputedStyle(document.querySelector('h1') as Element).fontFamily;
        return { family, covered: document.fonts.check('700 48px "Noto Sans"', 'әғқңөұүһі ӘҒҚҢӨҰҮҺІ') };
      });
      assert.match(font.family, /^"?Noto Sans"?/);
      assert.equal(font.covered, true, 'Noto Sans is loaded for the Kazakh letters');
      await snap('status-kk');
    });

    await step('signs out with one click, of the portal and the provider, back to the start page', async () => {
      await page
        .getByRole('navigation', { name: text('kk', 'nav.label') })
        .getByRole('button', { name: text('kk', 'nav.signOut') })
        .click();
      await expectH1(page, text('kk', 'start.title'));
      await waitForPath(page, '/');
      await page.getByRole('button', { name: text('kk', 'start.signIn') }).waitFor();
      assert.equal(await page.getByRole('button', { name: text('kk', 'nav.signOut') }).count(), 0);
      await snap('start-signed-out');
      // Signed out for real: a citizen's page sends the visitor to sign in again.
      await page.goto(`${shared.portal.url}/history`);
      await waitForPath(page, /^\/dev-idp\/interaction\//);
      await iinField(page, 'kk').waitFor();
    });
  });
});
