import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { expectH1, LANGS, newIin, newPage, portalAndBrowser, SKIP, shot, signIn, text, waitForPath } from './harness.js';

// WCAG 1.4.10 (reflow): no signed-in page scrolls sideways, on a phone 320 CSS px wide or on a
// desktop, in any language, even with a lender's reference of 64 characters and no space. And
// the header is set in the brand font, not the browser's default serif.

const PAGES: [name: string, path: string][] = [
  ['status', '/'],
  ['change', '/restriction/edit'],
  ['lift', '/restriction/lift'],
  ['exemptions', '/exemptions/new'],
  ['history', '/history'],
  ['checks', '/checks'],
  ['statement', '/statement'],
  ['safety', '/safety'],
];
const WIDTHS = [320, 1280];
const LONG_REFERENCE = `APP-${'ABCDEFGHJKLMNPQRSTUVWXYZ'.repeat(3)}`.slice(0, 64);

/** How wide the document is, and how wide the window: the page scrolls sideways when the first is larger. */
function widths(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() =>
    document.fonts.ready.then(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })),
  );
}

/** The computed font family of every text element in the header, and whether Noto Sans is loaded for it. */
function headerFonts(page: Page): Promise<{ what: string; family: string; loaded: boolean }[]> {
  return page.evaluate(() =>
    document.fonts.ready.then(() =>
      Array.from(document.querySelectorAll('.tyiym-header a, .tyiym-header button')).map((el) => {
        const s = getComputedStyle(el);
        return {
          what: `<${el.tagName.toLowerCase()}> ${(el.textContent ?? '').trim()}`,
          family: s.fontFamily,
          loaded: document.fonts.check(`${s.fontWeight} ${s.fontSize} "Noto Sans"`, el.textContent ?? ''),
        };
      }),
    ),
  );
}

describe('reflow at 320 px and the brand font', { skip: SKIP }, () => {
  const shared = portalAndBrowser();

  for (const lang of LANGS) {
    test(`in ${lang}`, async (t) => {
      const { context, page } = await newPage(shared.browser);
      t.after(() => context.close());
      const tx = (key: string) => text(lang, key);
      const iin = newIin();

      // A ban in force, a refused check with a long reference and an allowed one: every page has its fullest content.
      // Signed in through the provider in English; every page of the portal is then asked for in `lang`.
      await signIn(page, shared.portal.url, iin);
      await page.goto(`${shared.portal.url}/restriction/edit?lang=${lang}`);
      await page.getByRole('radio', { name: tx('edit.term.indefinite') }).check();
      await page.getByRole('button', { name: tx('common.continue') }).click();
      await expectH1(page, tx('confirm.title'));
      await page.getByRole('button', { name: tx('confirm.submitPlace') }).click();
      await waitForPath(page, '/restriction/done');
      assert.equal(LONG_REFERENCE.length, 64);
      await shared.portal.check(shared.portal.bank, iin, 'remote', LONG_REFERENCE);
      await shared.portal.check(shared.portal.mfo, iin, 'in_person', `${LONG_REFERENCE.slice(0, 60)}-MFO`);

      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 800 });
        for (const [name, path] of PAGES) {
          await page.goto(`${shared.portal.url}${path}?lang=${lang}`);
          assert.equal(await page.locator('html').getAttribute('lang'), lang);
          if (name === 'checks') await page.getByText(LONG_REFERENCE, { exact: true }).first().waitFor();
          await shot(page, `reflow-${lang}-${width}-${name}`);
          const seen = await widths(page);
          await t.test(`${width} px: ${name}`, () => {
            assert.ok(
              seen.scrollWidth <= seen.innerWidth,
              `${lang} ${path} at ${width} px is ${seen.scrollWidth} px wide: it scrolls sideways`,
            );
          });
        }
      }

      await t.test('the header is in Noto Sans', async () => {
        const fonts = await headerFonts(page);
        assert.ok(fonts.length >= 6, 'the service name, the links and the sign-out button');
        for (const f of fonts) {
          assert.match(f.family, /^"?Noto Sans"?,/, `${f.what} is set in ${f.family}`);
          assert.ok(f.loaded, `${f.what}: Noto Sans is loaded for it`);
        }
      });
    });
  }
});
