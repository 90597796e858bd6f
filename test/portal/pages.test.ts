import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Lender } from '../../src/lenders/lender.js';
import { LANGUAGES, type Lang, translator } from '../../src/portal/i18n.js';
import { verifyReceipt } from '../../src/verify/index.js';
import { BIN, IIN } from '../helpers/people.js';
import { Browser, csrfOf, openPortal, type Page, type PortalApp } from './portal-app.js';

/** A message as it appears in the HTML, escaped as the templates escape it. */
function html(lang: Lang, key: string, params?: Record<string, string | number>): string {
  return translator(lang)
    .t(key, params)
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function mainOf(page: Page): string {
  return /<main[\s\S]*<\/main>/.exec(page.body)?.[0] ?? '';
}

function assertErrorPage(page: Page, lang: Lang, message: string, href: string): void {
  assert.equal(page.status, 400, `400 for "${message}"`);
  assert.match(page.body, new RegExp(`<html lang="${lang}"`));
  assert.ok(page.body.includes(`<title>${html(lang, 'common.errorPrefix')} `), 'the title starts with the error prefix');
  assert.ok(page.body.includes('govuk-error-summary'), 'the error summary is shown');
  assert.ok(page.body.includes(html(lang, 'common.errorSummaryTitle')));
  assert.ok(page.body.includes(`<a href="${href}">${message}</a>`), `the summary links "${message}" to ${href}`);
  assert.ok(page.body.includes('govuk-error-message'), 'the field shows its own error');
}

interface Lenders {
  alpha: Lender;
  quick: Lender;
  gone: Lender;
}

async function registerLenders(portal: PortalApp): Promise<Lenders> {
  const { lenders } = portal.services;
  const alpha = (await lenders.register({ name: 'Alpha Bank JSC', bin: BIN.bank, type: 'bank' })).lender;
  const quick = (await lenders.register({ name: 'Quick Money MFO', bin: BIN.mfo, type: 'mfo' })).lender;
  const gone = (await lenders.register({ name: 'Gone Bank', bin: BIN.otherBank, type: 'bank' })).lender;
  await lenders.revoke(gone.id);
  return { alpha, quick, gone };
}

async function historyLength(portal: PortalApp, iin: string): Promise<number> {
  return (await portal.services.restrictions.record(iin)).history.length;
}

const citizen = { kind: 'citizen' as const };

describe('the citizen portal', () => {
  let portal: PortalApp;
  let lenders: Lenders;

  before(async () => {
    portal = await openPortal();
    lenders = await registerLenders(portal);
  });
  after(async () => {
    await portal?.close();
  });

  it('pages other than the start page and the advice need sign-in', async () => {
    const browser = new Browser(portal.app);
    for (const path of [
      '/restriction/edit',
      '/restriction/lift',
      '/restriction/done',
      '/exemptions/new',
      '/history',
      '/checks',
      '/statement',
    ]) {
      const page = await browser.request('GET', path);
      assert.equal(page.status, 302, path);
      assert.equal(page.location, `/auth/login?returnTo=${encodeURIComponent(path)}`);
    }
    const safety = await browser.get('/safety');
    assert.equal(safety.status, 200);
    assert.ok(safety.body.includes(html('en', 'safety.neverLift.warning')));
    const before = await historyLength(portal, IIN.dan);
    const post = await browser.request('POST', '/restriction/confirm', {
      term: 'indefinite',
      lenderTypes: 'bank',
      channels: 'remote',
    });
    assert.equal(post.status, 302, 'a post without a session goes to sign in');
    assert.equal(await historyLength(portal, IIN.dan), before);
  });

  it('places a ban: form, confirmation in plain words, then the result', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.carol);
    const form = await browser.get('/restriction/edit');
    assert.equal(form.status, 200);
    assert.ok(form.body.includes(`<h1 class="govuk-heading-l">${html('en', 'edit.titleNew')}</h1>`));
    for (const label of ['lenderTypes.legend', 'channels.legend', 'term.legend'])
      assert.ok(form.body.includes(html('en', `edit.${label}`)), label);
    const csrf = csrfOf(form.body);
    const answers = { _csrf: csrf, lenderTypes: 'mfo', channels: ['remote', 'in_person'], term: 'months', months: '3' };

    const confirm = await browser.request('POST', '/restriction/edit', answers);
    assert.equal(confirm.status, 200);
    assert.ok(confirm.body.includes(html('en', 'confirm.title')));
    assert.ok(confirm.body.includes('Microfinance organisations only, online and in person'));
    const lastDay = translator('en').date(new Date('2026-06-10T12:00:00+05:00'));
    assert.ok(confirm.body.includes(html('en', 'confirm.endsOn', { date: lastDay })), 'says when it ends');
    assert.ok(confirm.body.includes(html('en', 'confirm.partial')), 'says what is not covered');
    assert.ok(confirm.body.includes('<input type="hidden" name="months" value="3">'));
    assert.equal(await historyLength(portal, IIN.carol), 0, 'nothing changes before confirming');

    const again = await browser.request('POST', '/restriction/edit', { ...answers, change: '1' });
    assert.equal(again.status, 200, '"Change my answers" brings the form back');
    assert.match(again.body, /id="months" name="months" type="text"[^>]*value="3"/);

    const placed = await browser.request('POST', '/restriction/confirm', answers);
    assert.equal(placed.status, 303);
    assert.equal(placed.location, '/restriction/done');
    const done = await browser.get('/restriction/done');
    assert.equal(done.status, 200);
    assert.ok(done.body.includes(html('en', 'done.titlePlaced')));
    assert.ok(done.body.includes(html('en', 'done.endsOn', { date: lastDay })));

    const record = await portal.services.restrictions.record(IIN.carol);
    assert.deepEqual(record.restriction?.scope, { lenderTypes: ['mfo'], channels: ['remote', 'in_person'] });
    assert.equal(record.restriction?.endsAt?.toISOString(), '2026-06-10T19:00:00.000Z');
    assert.deepEqual(record.history[0]?.actor, citizen);

    const edit = await browser.get('/restriction/edit');
    assert.ok(edit.body.includes(html('en', 'edit.titleChange')), 'a second visit changes the ban');
    assert.match(edit.body, /id="lastDay-day" name="lastDay-day" type="text" value="10"/, 'prefilled from the ban in force');

    const changed = await browser.follow('POST', '/restriction/confirm', {
      _csrf: csrf,
      lenderTypes: ['bank', 'mfo'],
      channels: 'remote',
      term: 'indefinite',
    });
    assert.ok(changed.body.includes(html('en', 'done.titleChanged')));
    assert.ok(changed.body.includes(html('en', 'done.untilCancelled')));
    assert.equal(await historyLength(portal, IIN.carol), 2);
  });

  it('bad answers to the ban form: 400, the error summary in the chosen language, nothing changed', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.bob);
    const csrf = csrfOf((await browser.get('/')).body);
    const ok = { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'] };
    const cases: [Record<string, string | string[]>, string, Record<string, string | number>, string][] = [
      [{ channels: 'remote', term: 'indefinite' }, 'edit.errors.lenderTypes', {}, '#lenderTypes'],
      [{ lenderTypes: 'bank', term: 'indefinite' }, 'edit.errors.channels', {}, '#channels'],
      [{ ...ok }, 'edit.errors.term', {}, '#term'],
      [{ ...ok, term: 'months', months: '' }, 'edit.errors.monthsMissing', { max: 6 }, '#months'],
      [{ ...ok, term: 'months', months: '7' }, 'edit.errors.monthsRange', { max: 6 }, '#months'],
      [{ ...ok, term: 'months', months: 'abc' }, 'edit.errors.monthsRange', { max: 6 }, '#months'],
      [{ ...ok, term: 'until' }, 'edit.errors.dateMissing', {}, '#lastDay-day'],
      [{ ...ok, term: 'until', 'lastDay-day': '1', 'lastDay-year': '2026' }, 'edit.errors.dateIncomplete', {}, '#lastDay-day'],
      [
        { ...ok, term: 'until', 'lastDay-day': '31', 'lastDay-month': '4', 'lastDay-year': '2026' },
        'edit.errors.dateInvalid',
        {},
        '#lastDay-day',
      ],
    ];
    for (const lang of LANGUAGES) {
      const tr = translator(lang);
      const earliest = tr.date(new Date('2026-03-11T12:00:00+05:00'));
      const latest = tr.date(new Date('2026-09-10T12:00:00+05:00'));
      const all: typeof cases = [
        ...cases,
        [
          { ...ok, term: 'until', 'lastDay-day': '1', 'lastDay-month': '1', 'lastDay-year': '2030' },
          'edit.errors.dateRange',
          { earliest, latest },
          '#lastDay-day',
        ],
        [
          { ...ok, term: 'until', 'lastDay-day': '9', 'lastDay-month': '3', 'lastDay-year': '2026' },
          'edit.errors.dateRange',
          { earliest, latest },
          '#lastDay-day',
        ],
      ];
      for (const [answers, key, params, href] of all) {
        for (const path of ['/restriction/edit', '/restriction/confirm']) {
          const page = await browser.request('POST', `${path}?lang=${lang}`, { _csrf: csrf, ...answers });
          assertErrorPage(page, lang, html(lang, key, params), href);
        }
      }
    }
    assert.equal(await historyLength(portal, IIN.bob), 0, 'no bad answer changed anything');
    assert.equal((await portal.services.restrictions.record(IIN.bob)).restriction, null);
  });

  it('lets one lender through: search, choose, errors, then the notice on the status page', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.alice);
    const noBan = await browser.get('/exemptions/new');
    assert.ok(noBan.body.includes(html('en', 'problems.noRestriction.title')), 'there is nothing to exempt from');

    await portal.services.restrictions.place(IIN.alice, { term: { kind: 'max' } }, citizen);
    const all = await browser.get('/exemptions/new');
    assert.equal(all.status, 200);
    assert.ok(all.body.includes('Alpha Bank JSC') && all.body.includes('Quick Money MFO'));
    assert.ok(!all.body.includes('Gone Bank'), 'a revoked lender is not offered');
    const byName = await browser.get('/exemptions/new?q=ALPHA');
    assert.ok(byName.body.includes('Alpha Bank JSC') && !byName.body.includes('Quick Money MFO'));
    const byBin = await browser.get(`/exemptions/new?q=${BIN.mfo.slice(0, 6)}`);
    assert.ok(byBin.body.includes('Quick Money MFO') && !byBin.body.includes('Alpha Bank JSC'));
    const none = await browser.get('/exemptions/new?q=nobody');
    assert.ok(none.body.includes(html('en', 'exempt.noMatch', { q: 'nobody' })));

    const csrf = csrfOf(all.body);
    const before = await historyLength(portal, IIN.alice);
    const bad: [Record<string, string>, string, string][] = [
      [{ hours: '5' }, 'exempt.errors.lender', '#lenderBin'],
      [{ lenderBin: BIN.bank }, 'exempt.errors.hoursMissing', '#hours'],
      [{ lenderBin: BIN.bank, hours: '0' }, 'exempt.errors.hoursRange', '#hours'],
      [{ lenderBin: BIN.bank, hours: '73' }, 'exempt.errors.hoursRange', '#hours'],
      [{ lenderBin: BIN.bank, hours: '1.5' }, 'exempt.errors.hoursRange', '#hours'],
      [{ lenderBin: BIN.otherBank, hours: '5' }, 'exempt.errors.lenderUnknown', '#lenderBin'],
      [{ lenderBin: '123', hours: '5' }, 'exempt.errors.lenderUnknown', '#lenderBin'],
    ];
    for (const lang of LANGUAGES) {
      for (const [answers, key, href] of bad) {
        const page = await browser.request('POST', `/exemptions?lang=${lang}`, { _csrf: csrf, ...answers });
        assertErrorPage(page, lang, html(lang, key, { max: 72 }), href);
      }
    }
    assert.equal(await historyLength(portal, IIN.alice), before, 'no bad answer changed anything');

    const done = await browser.request('POST', '/exemptions?lang=en', { _csrf: csrf, lenderBin: BIN.bank, hours: '5' });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/');
    const status = await browser.get('/');
    assert.ok(status.body.includes(html('en', 'notice.exempted.heading', { lender: 'Alpha Bank JSC' })));
    const record = await portal.services.restrictions.record(IIN.alice);
    assert.equal(record.restriction?.openExemptions[0]?.lender.name, 'Alpha Bank JSC');
    assert.equal(record.restriction?.openExemptions[0]?.endsAt.toISOString(), '2026-03-10T11:00:00.000Z');
    const again = await browser.get('/');
    assert.ok(!again.body.includes('govuk-notification-banner'), 'the notice shows once');
  });

  it('refuses a post without a valid CSRF token (403) and changes nothing', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.dan);
    await portal.services.restrictions.place(IIN.dan, { term: { kind: 'max' } }, citizen);
    const before = await historyLength(portal, IIN.dan);
    const posts: [string, Record<string, string | string[]>][] = [
      ['/restriction/edit', { lenderTypes: 'bank', channels: 'remote', term: 'indefinite' }],
      ['/restriction/confirm', { lenderTypes: 'bank', channels: 'remote', term: 'indefinite' }],
      ['/restriction/lift', {}],
      ['/restriction/lift/cancel', {}],
      ['/exemptions', { lenderBin: BIN.bank, hours: '5' }],
    ];
    const other = new Browser(portal.app);
    await other.signIn(IIN.carol);
    const someoneElsesToken = csrfOf((await other.get('/')).body);
    for (const [path, form] of posts) {
      for (const token of [undefined, 'not-a-token', someoneElsesToken]) {
        const page = await browser.request('POST', path, token === undefined ? form : { ...form, _csrf: token });
        assert.equal(page.status, 403, `${path} with ${token ?? 'no token'}`);
        assert.ok(page.body.includes(html('en', 'errors.csrf.title')));
      }
    }
    assert.equal(await historyLength(portal, IIN.dan), before);
    const record = await portal.services.restrictions.record(IIN.dan);
    assert.equal(record.restriction?.liftEffectiveAt, null);
    assert.equal(record.restriction?.openExemptions.length, 0);
  });

  it("one citizen's session never shows another citizen's data", async () => {
    const alice = new Browser(portal.app);
    const bob = new Browser(portal.app);
    await alice.signIn(IIN.alice);
    await bob.signIn(IIN.bob);
    if ((await portal.services.restrictions.record(IIN.alice)).restriction === null)
      await portal.services.restrictions.place(IIN.alice, { term: { kind: 'max' } }, citizen);
    await portal.services.checks.check(lenders.quick, { iin: IIN.alice, channel: 'remote', reference: 'ALICE-REF-77' });
    await portal.services.checks.check(lenders.alpha, { iin: IIN.bob, channel: 'in_person', reference: 'BOB-REF-42' });

    const aliceChecks = await alice.get('/checks');
    assert.ok(aliceChecks.body.includes('ALICE-REF-77') && !aliceChecks.body.includes('BOB-REF-42'));
    const bobChecks = await bob.get('/checks');
    assert.ok(bobChecks.body.includes('BOB-REF-42') && !bobChecks.body.includes('ALICE-REF-77'));

    assert.ok((await bob.get('/')).body.includes(html('en', 'status.none')), 'bob has no ban');
    assert.ok((await bob.get('/history')).body.includes(html('en', 'history.empty')));
    for (const path of ['/', '/history', '/statement', '/restriction/edit', '/restriction/lift']) {
      const page = mainOf(await bob.get(path));
      assert.ok(!page.includes('Alpha Bank JSC') && !page.includes('Quick Money MFO'), `${path}: no trace of alice's record`);
    }
    const bobStatement = await bob.get('/statement');
    assert.ok(bobStatement.body.includes(html('en', 'statement.none')));
    const aliceStatement = await alice.get('/statement');
    assert.ok(aliceStatement.body.includes(html('en', 'statement.inForce')));

    // Each change on the statement has a receipt from the transparency log that verifies offline.
    const index = /href="\/statement\/receipts\/(\d+)"/.exec(aliceStatement.body)?.[1];
    assert.ok(index, 'the statement links a receipt for each change');
    const file = await alice.request('GET', `/statement/receipts/${index}`);
    assert.equal(file.status, 200);
    const saved = JSON.parse(file.body) as { entry: string; receipt: string; verifierKey: string };
    const verified = verifyReceipt(saved.receipt, Buffer.from(saved.entry, 'base64'), portal.services.log.verifierKey as string);
    assert.equal(verified.entry.type, 'restriction_event');
    assert.equal((await bob.request('GET', `/statement/receipts/${index}`)).status, 404, "bob cannot fetch alice's receipts");

    // Bob's posts act on bob alone, even with alice's ban in force.
    const csrf = csrfOf((await bob.get('/')).body);
    const aliceBefore = await historyLength(portal, IIN.alice);
    assert.equal((await bob.request('POST', '/restriction/lift', { _csrf: csrf })).status, 409);
    assert.equal(await historyLength(portal, IIN.alice), aliceBefore);

    for (const iin of [IIN.alice, IIN.bob]) {
      for (const browser of [alice, bob]) {
        for (const path of ['/', '/history', '/checks', '/statement']) {
          assert.ok(!(await browser.get(path)).body.includes(iin), `${path} never shows an IIN`);
        }
      }
    }
  });

  it('highlights a check answered "restricted" as a possible attempt, with what to do', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.carol);
    const quiet = await browser.get('/checks');
    assert.ok(!quiet.body.includes('tyiym-attempt'));
    const answer = await portal.services.checks.check(lenders.alpha, { iin: IIN.carol, channel: 'remote', reference: 'APP-900' });
    assert.equal(answer.restricted, true);
    for (const lang of LANGUAGES) {
      const page = await browser.get(`/checks?lang=${lang}`);
      assert.equal(page.status, 200);
      assert.match(page.body, /<tr class="govuk-table__row tyiym-attempt"[ >]/);
      assert.ok(page.body.includes(html(lang, 'checks.attemptTag')));
      assert.ok(page.body.includes(html(lang, 'checks.attempts.police')), 'call the police on 102');
      assert.ok(page.body.includes('102'));
      assert.ok(page.body.includes(html(lang, 'checks.attempts.contact')), 'contact the lender');
      assert.ok(page.body.includes('Alpha Bank JSC') && page.body.includes(BIN.bank) && page.body.includes('APP-900'));
    }
  });

  it('renders every page in each language', async () => {
    const browser = new Browser(portal.app);
    const visitor = new Browser(portal.app);
    await browser.signIn(IIN.carol);
    const titles: [string, string][] = [
      ['/', 'status.title'],
      ['/safety', 'safety.title'],
      ['/restriction/edit', 'edit.titleChange'],
      ['/restriction/lift', 'lift.title'],
      ['/exemptions/new', 'exempt.title'],
      ['/history', 'history.title'],
      ['/checks', 'checks.title'],
      ['/statement', 'statement.title'],
      ['/restriction/done', 'done.titlePlaced'],
    ];
    const missingKey =
      /\b(?:common|term|actor|lenderType|channel|lender|edit|confirm|done|problems|lift|exempt|history|checks|statement|safety|notice|status|scope|nav|start|errors)\.[a-zA-Z_]+/;
    for (const lang of LANGUAGES) {
      for (const [path, key] of titles) {
        const page = await browser.get(`${path}?lang=${lang}`);
        assert.equal(page.status, 200, `${lang} ${path}`);
        assert.match(page.body, new RegExp(`<html lang="${lang}" `), `${lang} ${path}`);
        assert.ok(page.body.includes(`<title>${html(lang, key)} – ${html(lang, 'brand.name')}</title>`), `${lang} ${path} title`);
        const text = mainOf(page).replace(/<[^>]+>/g, ' ');
        assert.doesNotMatch(text, missingKey, `${lang} ${path}: every message is translated`);
      }
      const start = await visitor.get(`/?lang=${lang}`);
      assert.match(start.body, new RegExp(`<html lang="${lang}" `));
      assert.ok(start.body.includes(html(lang, 'start.title')));
    }
    const status = await browser.get('/?lang=en');
    for (const href of [
      '/history',
      '/checks',
      '/statement',
      '/safety',
      '/restriction/edit',
      '/exemptions/new',
      '/restriction/lift',
    ])
      assert.ok(status.body.includes(`href="${href}"`), `the status page links to ${href}`);
  });
});

describe('lifting a ban', () => {
  let portal: PortalApp;

  before(async () => {
    portal = await openPortal({ env: { LIFT_DELAY: '2d' } });
    await registerLenders(portal);
  });
  after(async () => {
    await portal?.close();
  });

  it('warns against coercion, offers one lender instead, and says when the lift takes effect', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.alice);
    await portal.services.restrictions.place(IIN.alice, { term: { kind: 'indefinite' } }, citizen);
    for (const lang of LANGUAGES) {
      const page = await browser.get(`/restriction/lift?lang=${lang}`);
      assert.equal(page.status, 200);
      assert.match(page.body, /class="govuk-warning-text"/);
      assert.ok(page.body.includes(html(lang, 'lift.warning')));
      assert.match(page.body, new RegExp(`<a href="/exemptions/new"[^>]*>\\s*${html(lang, 'lift.alternative.button')}\\s*</a>`));
      // Two calendar days after 10 March in Almaty: the start of 12 March, 00:00 (+05:00).
      const at = translator(lang).dateTime(new Date('2026-03-11T19:00:00Z'));
      assert.ok(page.body.includes(html(lang, 'lift.whenLater', { at })), `${lang}: when the lift takes effect`);
    }

    const csrf = csrfOf((await browser.get('/')).body);
    const lifted = await browser.request('POST', '/restriction/lift', { _csrf: csrf });
    assert.equal(lifted.status, 303);
    assert.equal(lifted.location, '/');
    const status = await browser.get('/?lang=ru');
    assert.ok(status.body.includes(html('ru', 'notice.liftRequested.heading')));
    const record = await portal.services.restrictions.record(IIN.alice);
    assert.equal(record.restriction?.liftEffectiveAt?.toISOString(), '2026-03-11T19:00:00.000Z');
    const history = record.history.length;

    const twice = await browser.request('POST', '/restriction/lift?lang=kk', { _csrf: csrf });
    assert.equal(twice.status, 409);
    assert.ok(twice.body.includes(html('kk', 'problems.liftPending.title')));
    assert.equal(await historyLength(portal, IIN.alice), history);

    const pendingPage = await browser.get('/restriction/lift?lang=en');
    assert.ok(pendingPage.body.includes('action="/restriction/lift/cancel"'), 'a pending lift can be cancelled from here');

    // Changing the ban while a lift is pending keeps the protection: the lift is cancelled.
    const confirm = await browser.request('POST', '/restriction/edit?lang=en', {
      _csrf: csrf,
      lenderTypes: ['bank', 'mfo'],
      channels: ['remote', 'in_person'],
      term: 'indefinite',
    });
    assert.ok(confirm.body.includes(html('en', 'confirm.liftCancelled')));

    const cancelled = await browser.request('POST', '/restriction/lift/cancel', { _csrf: csrf });
    assert.equal(cancelled.status, 303);
    assert.ok((await browser.get('/?lang=en')).body.includes(html('en', 'notice.liftCancelled.heading')));
    assert.equal((await portal.services.restrictions.record(IIN.alice)).restriction?.liftEffectiveAt, null);

    const nothing = await browser.request('POST', '/restriction/lift/cancel?lang=ru', { _csrf: csrf });
    assert.equal(nothing.status, 409);
    assert.ok(nothing.body.includes(html('ru', 'problems.noPendingLift.title')));
  });

  it('shows who made each version in the history', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.bob);
    await portal.services.restrictions.place(IIN.bob, { term: { kind: 'max' } }, { kind: 'operator', name: 'Aigerim S.' });
    const csrf = csrfOf((await browser.get('/')).body);
    await browser.request('POST', '/restriction/lift', { _csrf: csrf });
    for (const lang of LANGUAGES) {
      const page = await browser.get(`/history?lang=${lang}`);
      const text = mainOf(page);
      assert.ok(text.includes(html(lang, 'actor.operator', { name: 'Aigerim S.' })));
      assert.ok(text.includes(html(lang, 'actor.citizen')));
      assert.ok(text.includes(html(lang, 'history.actions.placed')));
      assert.ok(text.includes(html(lang, 'history.actions.lift_requested')));
      assert.ok(
        text.indexOf(html(lang, 'history.actions.lift_requested')) < text.indexOf(html(lang, 'history.actions.placed')),
        'newest first',
      );
    }
  });
});

describe('lifting with no delay', () => {
  it('ends the ban at once, and then there is nothing to lift or exempt from', async () => {
    const portal = await openPortal();
    try {
      const browser = new Browser(portal.app);
      await browser.signIn(IIN.carol);
      await portal.services.restrictions.place(IIN.carol, { term: { kind: 'max' } }, citizen);
      const page = await browser.get('/restriction/lift?lang=en');
      assert.ok(page.body.includes(html('en', 'lift.whenNow')));
      const csrf = csrfOf(page.body);
      const lifted = await browser.follow('POST', '/restriction/lift', { _csrf: csrf });
      assert.ok(lifted.body.includes(html('en', 'notice.lifted.heading')));
      assert.ok(lifted.body.includes(html('en', 'status.none')));
      assert.equal((await portal.services.restrictions.record(IIN.carol)).restriction, null);
      const history = await historyLength(portal, IIN.carol);

      const again = await browser.request('POST', '/restriction/lift?lang=ru', { _csrf: csrf });
      assert.equal(again.status, 409);
      assert.ok(again.body.includes(html('ru', 'problems.noRestriction.title')));
      const exempt = await browser.request('POST', '/exemptions?lang=kk', { _csrf: csrf, lenderBin: BIN.bank, hours: '2' });
      assert.equal(exempt.status, 409);
      assert.ok(exempt.body.includes(html('kk', 'problems.noRestriction.title')));
      assert.equal(await historyLength(portal, IIN.carol), history);
      assert.ok((await browser.get('/restriction/lift?lang=en')).body.includes(html('en', 'problems.noRestriction.title')));
      const done = await browser.request('GET', '/restriction/done');
      assert.equal(done.status, 303, 'no result page without a ban');
      assert.equal(done.location, '/');
    } finally {
      await portal.close();
    }
  });
});
