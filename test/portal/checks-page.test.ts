import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LANGUAGES, type Lang, translator } from '../../src/portal/i18n.js';
import { BIN, IIN } from '../helpers/people.js';
import { Browser, openPortal, type Page, type PortalApp } from './portal-app.js';

function html(lang: Lang, key: string, params?: Record<string, string | number>): string {
  return translator(lang)
    .t(key, params)
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The application references in the table of checks, in the order shown. */
function referencesOf(page: Page): string[] {
  const table = /<tbody[\s\S]*<\/tbody>/.exec(page.body)?.[0] ?? '';
  return [...table.matchAll(/\bREF-\d{2}\b/g)].map((m) => m[0]);
}

const ref = (n: number) => `REF-${String(n).padStart(2, '0')}`;

describe('who checked me, a page at a time', () => {
  let portal: PortalApp;
  let browser: Browser;

  before(async () => {
    portal = await openPortal();
    const { lender } = await portal.services.lenders.register({ name: 'Alpha Bank JSC', bin: BIN.bank, type: 'bank' });
    browser = new Browser(portal.app);
    await browser.signIn(IIN.dan);
    // 45 checks, a minute apart: REF-45 is the newest. The oldest one was refused, under a ban since lifted.
    await portal.services.restrictions.place(IIN.dan, { term: { kind: 'indefinite' } }, { kind: 'citizen' });
    for (let n = 1; n <= 45; n++) {
      if (n === 2) await portal.services.restrictions.lift(IIN.dan, { kind: 'citizen' });
      await portal.services.checks.check(lender, { iin: IIN.dan, channel: 'remote', reference: ref(n) });
      portal.reg.clock.advance(60_000);
    }
  });
  after(() => portal?.close());

  it('shows 20 checks a page, newest first, with GOV.UK pagination in each language', async () => {
    const first = await browser.get('/checks?lang=en');
    assert.equal(first.status, 200);
    assert.deepEqual(
      referencesOf(first),
      Array.from({ length: 20 }, (_, i) => ref(45 - i)),
    );
    assert.match(first.body, /<nav class="govuk-pagination"/);
    assert.ok(first.body.includes(html('en', 'checks.showing', { from: 1, to: 20, total: 45 })));
    assert.ok(first.body.includes('href="/checks?page=2" rel="next"'), 'a link to the next page');
    assert.ok(!first.body.includes('rel="prev"'), 'no previous page on the first');
    assert.ok(first.body.includes('aria-current="page"'));

    const last = await browser.get('/checks?page=3');
    assert.deepEqual(referencesOf(last), ['REF-05', 'REF-04', 'REF-03', 'REF-02', 'REF-01']);
    assert.ok(last.body.includes(html('en', 'checks.showing', { from: 41, to: 45, total: 45 })));
    assert.ok(last.body.includes('href="/checks?page=2" rel="prev"') && !last.body.includes('rel="next"'));
    assert.match(last.body, /<tr class="govuk-table__row tyiym-attempt"[ >]/, 'the refused check is flagged on its page');
    assert.ok(last.body.includes(html('en', 'checks.attempts.onThisPage')));

    for (const lang of LANGUAGES) {
      const page = await browser.get(`/checks?page=2&lang=${lang}`);
      assert.equal(page.status, 200);
      assert.deepEqual(
        referencesOf(page),
        Array.from({ length: 20 }, (_, i) => ref(25 - i)),
      );
      assert.ok(page.body.includes(`aria-label="${html(lang, 'pagination.label')}"`), `${lang}: the landmark is named`);
      assert.ok(page.body.includes(html(lang, 'pagination.previous')) && page.body.includes(html(lang, 'pagination.next')));
      assert.ok(page.body.includes(`aria-label="${html(lang, 'pagination.page', { number: 3 })}"`));
      const title = `${html(lang, 'checks.title')} (${html(lang, 'pagination.pageOf', { page: 2, last: 3 })})`;
      assert.ok(
        page.body.includes(`<title>${title} – ${html(lang, 'brand.name')}</title>`),
        `${lang}: the title says which page`,
      );
      assert.ok(
        page.body.includes(`href="?page=2&amp;lang=${lang === 'en' ? 'kk' : 'en'}"`),
        'switching language keeps the page',
      );
    }
  });

  it('answers a bad or missing page with a clear page, never a fault', async () => {
    for (const [query, status] of [
      ['page=0', 400],
      ['page=-1', 400],
      ['page=abc', 400],
      ['page=1.5', 400],
      ['page=02', 400],
      ['page=1e3', 400],
      ['page=99999999999999999999', 400],
      ['page=1&page=2', 400],
      ['page=4', 404],
      ['page=999999999', 404],
    ] as const) {
      for (const lang of LANGUAGES) {
        const page = await browser.get(`/checks?${query}&lang=${lang}`);
        assert.equal(page.status, status, `${query} in ${lang}`);
        assert.ok(page.body.includes(html(lang, 'checks.noSuchPage.title')), `${query} in ${lang}: says so`);
        assert.ok(page.body.includes(html(lang, 'checks.noSuchPage.body', { last: 3 })), `${query}: names the last page`);
        assert.ok(page.body.includes(`<a class="govuk-link" href="/checks">${html(lang, 'checks.noSuchPage.first')}</a>`));
      }
    }
  });

  it('shows no pagination when every check fits on one page', async () => {
    const other = new Browser(portal.app);
    await other.signIn(IIN.carol);
    const empty = await other.get('/checks?lang=en');
    assert.ok(empty.body.includes(html('en', 'checks.empty')) && !empty.body.includes('govuk-pagination'));
    assert.equal((await other.get('/checks?page=1')).status, 200);
    assert.equal((await other.get('/checks?page=2')).status, 404);
  });
});
