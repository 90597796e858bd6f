import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { translator } from '../../src/portal/i18n.js';
import { BIN, IIN } from '../helpers/people.js';
import { Browser, csrfOf, openPortal, type PortalApp } from './portal-app.js';

// Forms posted over HTTP: what is not a form is refused, and the change form sent as it came
// changes nothing in substance.

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
