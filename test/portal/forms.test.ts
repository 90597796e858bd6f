import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Lender } from '../../src/lenders/lender.js';
import { translator } from '../../src/portal/i18n.js';
import {
  type BanFormValues,
  banFormFrom,
  banFormValues,
  emptyBanForm,
  lastDayBounds,
  parseBanForm,
} from '../../src/portal/pages/ban-form.js';
import { searchLenders } from '../../src/portal/pages/exemption.routes.js';
import { asForm } from '../../src/portal/pages/form.js';
import { loanPolicy } from '../../src/registry/policy.js';
import type { Restriction } from '../../src/registry/restriction.js';
import { BIN, IIN } from '../helpers/people.js';
import { Browser, csrfOf, openPortal, type PortalApp } from './portal-app.js';

// 11:00 on 10 March 2026 in Almaty.
const NOW = new Date('2026-03-10T06:00:00Z');
const policy = loanPolicy();

function form(over: Partial<BanFormValues>): BanFormValues {
  return { ...emptyBanForm(policy), ...over };
}

const emptyForm: BanFormValues = { lenderTypes: [], channels: [], term: '', months: '', day: '', month: '', year: '' };

function errorsOf(values: BanFormValues, p = policy) {
  const parsed = parseBanForm(values, p, NOW);
  return parsed.errors.map((e) => `${e.field}:${e.key.replace('edit.errors.', '')}`);
}

describe('the ban form', () => {
  it('reads repeated checkboxes and the date parts from a form body', () => {
    const values = banFormValues({
      lenderTypes: ['bank', 'mfo'],
      channels: 'remote',
      term: 'until',
      'lastDay-day': ' 7 ',
      'lastDay-month': '4',
      'lastDay-year': '2026',
    });
    assert.deepEqual(values, {
      lenderTypes: ['bank', 'mfo'],
      channels: ['remote'],
      term: 'until',
      months: '',
      day: '7',
      month: '4',
      year: '2026',
    });
  });

  it('reads anything but text as absent: numbers, objects, arrays of them', () => {
    const values = banFormValues({
      lenderTypes: [1, { bank: true }, 'mfo'],
      channels: { remote: 'yes' },
      term: 5,
      months: null,
      'lastDay-day': ['7', 8],
      'lastDay-month': true,
    });
    assert.deepEqual(values, { lenderTypes: ['mfo'], channels: [], term: '', months: '', day: '7', month: '', year: '' });
    assert.deepEqual(banFormValues(asForm(['term', 'indefinite'])), emptyForm);
  });

  it('accepts each kind of term and resolves its end in Almaty', () => {
    const months = parseBanForm(form({ term: 'months', months: '3' }), policy, NOW);
    assert.deepEqual(months.request?.term, { kind: 'months', months: 3 });
    assert.equal(months.request?.endsAt?.toISOString(), '2026-06-10T19:00:00.000Z', 'the end of 10 June, Almaty time');
    const until = parseBanForm(form({ term: 'until', day: '11', month: '3', year: '2026' }), policy, NOW);
    assert.deepEqual(until.request?.term, { kind: 'until', date: '2026-03-11' });
    const forever = parseBanForm(form({ term: 'indefinite', lenderTypes: ['mfo'], channels: ['in_person'] }), policy, NOW);
    assert.equal(forever.request?.endsAt, null);
    assert.deepEqual(forever.request?.scope, { lenderTypes: ['mfo'], channels: ['in_person'] });
  });

  it('reports each problem on its own field', () => {
    assert.deepEqual(errorsOf(form({ lenderTypes: [], channels: [], term: '' })), [
      'lenderTypes:lenderTypes',
      'channels:channels',
      'term:term',
    ]);
    assert.deepEqual(errorsOf(form({ lenderTypes: ['bank', 'pawnshop'], term: 'indefinite' })), ['lenderTypes:lenderTypes']);
    assert.deepEqual(errorsOf(form({ channels: ['phone'], term: 'indefinite' })), ['channels:channels']);
    assert.deepEqual(errorsOf(form({ term: 'forever' })), ['term:term']);
  });

  it('checks the number of months against the policy', () => {
    assert.deepEqual(errorsOf(form({ term: 'months', months: '' })), ['months:monthsMissing']);
    for (const bad of ['0', '7', '-1', '2.5', 'three', '1e1'])
      assert.deepEqual(errorsOf(form({ term: 'months', months: bad })), ['months:monthsRange'], bad);
    assert.deepEqual(errorsOf(form({ term: 'months', months: '6' })), []);
    assert.deepEqual(errorsOf(form({ term: 'months', months: '12' }), loanPolicy({ maxTermMonths: 12 })), []);
  });

  it('checks the last day: missing, incomplete, not a date, out of range', () => {
    const until = (day: string, month: string, year: string) => form({ term: 'until', day, month, year });
    assert.deepEqual(errorsOf(until('', '', '')), ['lastDay:dateMissing']);
    assert.deepEqual(errorsOf(until('1', '', '2026')), ['lastDay:dateIncomplete']);
    assert.deepEqual(errorsOf(until('31', '2', '2027')), ['lastDay:dateInvalid']);
    assert.deepEqual(errorsOf(until('x', '4', '2026')), ['lastDay:dateInvalid']);
    assert.deepEqual(errorsOf(until('1', '4', '26')), ['lastDay:dateInvalid']);
    assert.deepEqual(errorsOf(until('10', '3', '2026')), ['lastDay:dateRange'], 'today is too soon: at least one day');
    assert.deepEqual(errorsOf(until('11', '9', '2026')), ['lastDay:dateRange'], 'beyond six months');
    assert.deepEqual(errorsOf(until('10', '9', '2026')), [], 'the last day the policy allows');
    assert.deepEqual(lastDayBounds(policy, NOW), { earliest: '2026-03-11', latest: '2026-09-10' });
  });

  it('refuses "until cancelled" when the policy does not allow it', () => {
    const fixedOnly = loanPolicy({ allowIndefinite: false });
    assert.deepEqual(errorsOf(form({ term: 'indefinite' }), fixedOnly), ['term:term']);
  });

  it('starts a change from the ban in force', () => {
    const base: Restriction = {
      id: 'r',
      kind: 'loan',
      version: 1,
      scope: { lenderTypes: ['mfo'], channels: ['remote'] },
      startsAt: NOW,
      endsAt: new Date('2026-06-10T19:00:00Z'),
      liftRequestedAt: null,
      liftEffectiveAt: null,
      createdAt: NOW,
      updatedAt: NOW,
    };
    assert.deepEqual(banFormFrom(base, policy, NOW), {
      lenderTypes: ['mfo'],
      channels: ['remote'],
      term: 'until',
      months: '',
      day: '10',
      month: '6',
      year: '2026',
    });
    assert.equal(banFormFrom({ ...base, endsAt: null }, policy, NOW).term, 'indefinite');
    assert.deepEqual(banFormFrom(null, policy, NOW), emptyBanForm(policy));
  });

  it('keeps an end that the other choices cannot say today', () => {
    const tonight = new Date('2026-03-10T19:00:00Z'); // the end of 10 March, today in Almaty
    const ban: Restriction = {
      id: 'r',
      kind: 'loan',
      version: 1,
      scope: { lenderTypes: ['bank'], channels: ['remote', 'in_person'] },
      startsAt: NOW,
      endsAt: tonight,
      liftRequestedAt: null,
      liftEffectiveAt: null,
      createdAt: NOW,
      updatedAt: NOW,
    };
    const lastDayToday = banFormFrom(ban, policy, NOW);
    assert.deepEqual(lastDayToday, { ...emptyForm, lenderTypes: ['bank'], channels: ['remote', 'in_person'], term: 'keep' });
    const fixedOnly = loanPolicy({ allowIndefinite: false });
    assert.equal(banFormFrom({ ...ban, endsAt: null }, fixedOnly, NOW).term, 'keep', 'until cancelled, no longer offered');
    const beyond = new Date('2026-12-31T19:00:00Z');
    assert.equal(banFormFrom({ ...ban, endsAt: beyond }, policy, NOW).term, 'keep', 'beyond the maximum allowed today');

    const kept = parseBanForm(lastDayToday, policy, NOW, { endsAt: tonight });
    assert.deepEqual(kept.request, { scope: ban.scope, term: null, endsAt: tonight });
    assert.deepEqual(errorsOf(lastDayToday), ['term:term'], 'nothing to keep without a ban in force');
  });
});

describe('finding a lender', () => {
  const lender = (name: string, bin: string, status: 'active' | 'revoked' = 'active'): Lender => ({
    id: bin,
    name,
    bin,
    type: 'bank',
    status,
    keyPrefix: 'tyk_',
    createdAt: NOW,
    revokedAt: null,
  });
  const all = [
    lender('Alpha Bank', '990140000017'),
    lender('Әлем Қаржы', '990240000020'),
    lender('Gone Bank', '990340000031', 'revoked'),
  ];

  it('matches the name case-insensitively, or the BIN, among active lenders only', () => {
    assert.deepEqual(
      searchLenders(all, 'ALPHA').map((l) => l.name),
      ['Alpha Bank'],
    );
    assert.deepEqual(
      searchLenders(all, 'әлем').map((l) => l.name),
      ['Әлем Қаржы'],
    );
    assert.deepEqual(
      searchLenders(all, '9902400').map((l) => l.name),
      ['Әлем Қаржы'],
    );
    assert.deepEqual(searchLenders(all, 'gone'), []);
    assert.deepEqual(
      searchLenders(all, '').map((l) => l.name),
      ['Alpha Bank', 'Әлем Қаржы'],
    );
  });
});

describe('a post that is not a form', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal();
    await portal.services.lenders.register({ name: 'Alpha Bank JSC', bin: BIN.bank, type: 'bank' });
  });
  after(() => portal?.close());

  const POSTS = ['/restriction/edit', '/restriction/confirm', '/restriction/lift', '/restriction/lift/cancel', '/exemptions'];

  it('answers 415 with the error page in words, before reading it, and changes nothing', async () => {
    const browser = new Browser(portal.app, 'ru');
    await browser.signIn(IIN.alice);
    await portal.services.restrictions.place(IIN.alice, { term: { kind: 'indefinite' } }, { kind: 'citizen' });
    const before = (await portal.services.restrictions.record(IIN.alice)).history.length;
    const _csrf = csrfOf((await browser.get('/')).body);
    const json = JSON.stringify({ _csrf, lenderTypes: ['bank'], channels: 'remote', term: 5, lenderBin: BIN.bank, hours: 2 });
    const bodies: [string, string][] = [
      ['application/json', json],
      ['application/json; charset=utf-8', json],
      ['application/json', '{"_csrf": '],
      ['text/plain', `_csrf=${_csrf}&term=indefinite`],
      ['application/xml', '<form/>'],
      ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${_csrf}\r\n--x--\r\n`],
    ];
    const title = translator('ru').t('errors.notAForm.title');
    for (const url of POSTS) {
      for (const [type, payload] of bodies) {
        const res = await portal.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': type, 'accept-language': 'ru', cookie: browser.cookieHeader(url) },
          payload,
        });
        assert.equal(res.statusCode, 415, `${url} with ${type}: ${res.body.slice(0, 300)}`);
        assert.match(res.headers['content-type'] as string, /^text\/html/);
        assert.ok(res.body.includes('<html lang="ru"') && res.body.includes(title), `${url} with ${type}: the page says why`);
      }
    }
    const record = await portal.services.restrictions.record(IIN.alice);
    assert.equal(record.history.length, before);
    assert.equal(record.restriction?.liftEffectiveAt, null);
  });

  it('still takes a form whose type names its charset', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.bob);
    const _csrf = csrfOf((await browser.get('/restriction/edit')).body);
    const form = new URLSearchParams({ _csrf, lenderTypes: 'bank', channels: 'remote', term: 'indefinite' });
    const res = await portal.app.inject({
      method: 'POST',
      url: '/restriction/edit',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', cookie: browser.cookieHeader('/') },
      payload: form.toString(),
    });
    assert.equal(res.statusCode, 200);
    assert.ok(res.body.includes('action="/restriction/confirm"'));
  });
});

/** What a browser would send from the form posting to `action`, untouched: checked boxes and radios, every other input's value. */
function formFields(html: string, action: string): Record<string, string[]> {
  const form = new RegExp(`<form method="post" action="${action}"[\\s\\S]*?</form>`).exec(html)?.[0];
  assert.ok(form, `a form posting to ${action}`);
  const sent: Record<string, string[]> = {};
  for (const [input] of form.matchAll(/<input\b[^>]*>/g)) {
    const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(input)?.[1];
    const name = attr('name');
    const type = attr('type') ?? 'text';
    if (name === undefined || ((type === 'checkbox' || type === 'radio') && !/\schecked\b/.test(input))) continue;
    sent[name] = [...(sent[name] ?? []), attr('value') ?? ''];
  }
  return sent;
}

describe('the change form sent unchanged', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal();
  });
  after(() => portal?.close());

  const citizen = { kind: 'citizen' as const };

  /** Opens the change form, sends it as it came, confirms, and returns the ban before and after. */
  async function sendUnchanged(browser: Browser, iin: string) {
    const before = (await portal.services.restrictions.record(iin)).restriction;
    const edit = await browser.get('/restriction/edit?lang=en');
    const confirm = await browser.request('POST', '/restriction/edit', formFields(edit.body, '/restriction/edit'));
    assert.equal(
      confirm.status,
      200,
      `the form as it came is valid: ${/govuk-error-message[\s\S]{0,200}/.exec(confirm.body)?.[0]}`,
    );
    const done = await browser.follow('POST', '/restriction/confirm', formFields(confirm.body, '/restriction/confirm'));
    assert.ok(done.body.includes(translator('en').t('done.titleChanged')), 'the change is made');
    return { before, after: (await portal.services.restrictions.record(iin)).restriction };
  }

  it('keeps the scope and the end of a ban, whatever its term', async () => {
    const bans: [string, Parameters<PortalApp['services']['restrictions']['place']>[1]][] = [
      [IIN.alice, { scope: { lenderTypes: ['mfo'], channels: ['remote'] }, term: { kind: 'months', months: 2 } }],
      [IIN.bob, { scope: { lenderTypes: ['bank'], channels: ['in_person'] }, term: { kind: 'indefinite' } }],
      [IIN.carol, { term: { kind: 'max' } }],
    ];
    for (const [iin, request] of bans) {
      const browser = new Browser(portal.app);
      await browser.signIn(iin);
      await portal.services.restrictions.place(iin, request, citizen);
      const { before, after } = await sendUnchanged(browser, iin);
      assert.deepEqual(after?.scope, before?.scope);
      assert.equal(after?.endsAt?.toISOString(), before?.endsAt?.toISOString());
      assert.equal(after?.version, (before?.version ?? 0) + 1);
    }
  });

  it('keeps an end on its last day, which no other choice can say', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.dan);
    const scope = { lenderTypes: ['bank' as const], channels: ['remote' as const, 'in_person' as const] };
    await portal.services.restrictions.place(IIN.dan, { scope, term: { kind: 'until', date: '2026-03-11' } }, citizen);
    portal.reg.clock.advance(24 * 3_600_000); // 11 March, the ban's last day
    const edit = await browser.get('/restriction/edit?lang=en');
    assert.match(edit.body, /<input class="govuk-radios__input" id="term" name="term" type="radio" value="keep" checked/);
    assert.ok(edit.body.includes(translator('en').t('edit.term.keep', { term: 'Until the end of 11 March 2026' })));
    const { before, after } = await sendUnchanged(browser, IIN.dan);
    assert.deepEqual(after?.scope, scope);
    assert.equal(after?.endsAt?.toISOString(), before?.endsAt?.toISOString());
  });
});
