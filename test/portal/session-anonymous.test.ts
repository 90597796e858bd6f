import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Tokens from '@fastify/csrf';
import { ANONYMOUS, CSRF_COOKIE, csrfOptions } from '../../src/portal/auth/csrf.js';
import { SignInSealer } from '../../src/portal/auth/sign-in-state.js';
import { translator } from '../../src/portal/i18n.js';
import { IIN } from '../helpers/people.js';
import { Browser, csrfOf, openPortal, type PortalApp } from './portal-app.js';

const CSRF_TITLE = translator('en').t('errors.csrf.title');

function setCookies(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie'];
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
}

/** A Cookie header without the named cookies. */
function without(cookieHeader: string, ...names: string[]): string {
  return cookieHeader
    .split('; ')
    .filter((c) => !names.some((name) => c.startsWith(`${name}=`)))
    .join('; ');
}

const cookieValue = (cookieHeader: string, name: string) =>
  cookieHeader.split('; ').find((c) => c.startsWith(`${name}=`)) as string;

describe('CSRF without server state', () => {
  let portal: PortalApp;
  let tokens: Tokens.TokensUserinfo;
  before(async () => {
    portal = await openPortal();
    // The tokens a form on a page for visitors who have not signed in would carry, made as the portal makes them.
    tokens = Tokens(csrfOptions(portal.services.secrets.sessionSecret));
  });
  after(() => portal.close());
  /** How many sessions the registry's store holds live. */
  const storedSessions = () => portal.services.store.sessions.count(new Date());

  async function post(url: string, cookie: string, form: Record<string, string>) {
    return portal.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      payload: new URLSearchParams(form).toString(),
    });
  }

  it('pages for visitors who have not signed in set neither a session nor a CSRF cookie', async () => {
    for (const url of ['/', '/safety', '/no-such-page', '/?lang=kk']) {
      const res = await portal.app.inject({ url });
      const names = setCookies(res.headers).map((c) => c.split('=')[0]);
      assert.deepEqual(names, url.includes('lang=') ? ['lang'] : [], url);
    }
    assert.equal(await storedSessions(), 0);
  });

  it('a form posted without signing in is checked against its own cookie, and nothing is stored', async () => {
    const secret = tokens.secretSync();
    const cookie = `${CSRF_COOKIE}=${secret}`;
    const token = tokens.create(secret, ANONYMOUS);
    const refused: [string, string, Record<string, string>][] = [
      ['no token', cookie, {}],
      ['a forged token', cookie, { _csrf: 'not-a-token' }],
      ['a token altered by one character', cookie, { _csrf: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }],
      ['the token without its cookie', '', { _csrf: token }],
      ['the token with another secret', `${CSRF_COOKIE}=${tokens.secretSync()}`, { _csrf: token }],
      ['a token made for a session', cookie, { _csrf: tokens.create(secret, 'session:someone') }],
    ];
    for (const [what, withCookie, form] of refused) {
      const res = await post('/auth/logout', withCookie, form);
      assert.equal(res.statusCode, 403, what);
      assert.ok(res.body.includes(CSRF_TITLE), what);
    }
    const accepted = await post('/auth/logout', cookie, { _csrf: token });
    assert.equal(accepted.statusCode, 302, 'the token with its own cookie is accepted');
    assert.equal(await storedSessions(), 0, 'and still nothing is stored');
  });

  it("a signed-in citizen's forms take a token bound to both the cookie and the session", async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.alice);
    const token = csrfOf((await browser.get('/restriction/edit')).body);
    const cookie = browser.cookieHeader('/');
    const set = setCookies((await browser.request('GET', '/history')).headers).map((c) => c.split('=')[0]);
    assert.ok(!set.includes(CSRF_COOKIE), 'the secret cookie is set once, not on every page');
    const secret = cookieValue(cookie, CSRF_COOKIE).split('=')[1] as string;
    const form = { lenderTypes: 'bank', channels: 'remote', term: 'indefinite' };

    // A cookie-tossing attacker plants a secret of their own with a token that goes with it.
    const planted = tokens.secretSync();
    const tossed = `${without(cookie, CSRF_COOKIE)}; ${CSRF_COOKIE}=${planted}`;
    const refused: [string, string, string][] = [
      ['a token for the same cookie from before sign-in', cookie, tokens.create(secret, ANONYMOUS)],
      ['the token without its cookie', without(cookie, CSRF_COOKIE), token],
      ['a planted secret and its token', tossed, tokens.create(planted, ANONYMOUS)],
    ];
    for (const [what, withCookie, withToken] of refused) {
      const res = await post('/restriction/edit', withCookie, { ...form, _csrf: withToken });
      assert.equal(res.statusCode, 403, what);
    }
    const edited = await post('/restriction/edit', cookie, { ...form, _csrf: token });
    assert.equal(edited.statusCode, 200, 'the page of the session, with its cookie, is accepted');
    assert.match(edited.body, /action="\/restriction\/confirm"/);
    assert.equal(await storedSessions(), 1, 'the one session is the signed-in citizen’s');
  });
});

describe('a sign-in under way, without server state', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal();
  });
  after(() => portal.close());

  /** Starts a sign-in and types the IIN; returns the callback URL and the sealed cookie sent to it. */
  async function toCallback(browser: Browser): Promise<{ callbackUrl: string; sealed: string }> {
    const start = await browser.request('GET', '/auth/login');
    const sealed = setCookies(start.headers)
      .find((c) => c.startsWith('tyiym_signin='))
      ?.split(';')[0] as string;
    assert.ok(sealed);
    const login = await browser.follow('GET', start.location as string);
    const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1] as string;
    let page = await browser.request('POST', action, { iin: IIN.bob });
    while (page.location !== undefined && !page.location.includes('/auth/callback'))
      page = await browser.request('GET', page.location);
    const url = new URL(page.location as string);
    return { callbackUrl: `${url.pathname}${url.search}`, sealed };
  }

  it('an altered sealed cookie finishes no sign-in', async () => {
    const browser = new Browser(portal.app);
    const { callbackUrl, sealed } = await toCallback(browser);
    const [name, value] = sealed.split('=') as [string, string];
    const altered = `${name}=${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`;
    const res = await portal.app.inject({ url: callbackUrl, headers: { cookie: altered } });
    assert.equal(res.statusCode, 400);
    assert.doesNotMatch(res.body, /\/auth\/logout/);
    assert.ok(!setCookies(res.headers).some((c) => c.startsWith('tyiym_session=')));
  });

  it('the callback clears the sealed cookie, and the cookie replayed with its code signs no one in', async () => {
    const browser = new Browser(portal.app);
    const { callbackUrl, sealed } = await toCallback(browser);
    const done = await portal.app.inject({ url: callbackUrl, headers: { cookie: sealed } });
    assert.equal(done.statusCode, 302);
    const cleared = setCookies(done.headers).find((c) => c.startsWith('tyiym_signin='));
    assert.match(String(cleared), /^tyiym_signin=;.*Path=\/auth/);
    const replay = await portal.app.inject({ url: callbackUrl, headers: { cookie: sealed } });
    assert.equal(replay.statusCode, 400);
    assert.doesNotMatch(replay.body, /\/auth\/logout/);
  });

  it('a sealed sign-in lasts ten minutes, and opens only with the secret that sealed it', () => {
    let now = Date.parse('2026-03-10T06:00:00Z');
    const sealer = new SignInSealer(Buffer.alloc(32, 1), () => now);
    const state = { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/history' };
    const sealed = sealer.seal(state);
    assert.ok(!Buffer.from(sealed, 'base64url').toString('latin1').includes('/history'), 'sealed, not readable');
    now += 9 * 60_000;
    assert.deepEqual(sealer.open(sealed), state);
    assert.equal(new SignInSealer(Buffer.alloc(32, 2), () => now).open(sealed), null);
    for (const bad of [undefined, '', 'x', sealed.slice(0, -2)]) assert.equal(sealer.open(bad), null, String(bad));
    now += 2 * 60_000;
    assert.equal(sealer.open(sealed), null, 'too old');
  });
});
