import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEV_IDP_MESSAGES } from '../../src/idp/dev-idp-messages.js';
import { SIGN_OUT_SCRIPT_PATH } from '../../src/idp/dev-idp-pages.js';
import { safeReturnTo } from '../../src/portal/auth/return-to.js';
import { LANGUAGES, type Lang, translator } from '../../src/portal/i18n.js';
import { IIN } from '../helpers/people.js';
import { Browser, csrfOf, openPortal, type Page, type PortalApp } from './portal-app.js';

const PUBLIC_URL = 'http://127.0.0.1:8080';

/** Each hostile value as it is written in the query string, and where sign-in must end. */
const RETURN_TO: [query: string, expected: string][] = [
  ['%2F%09%2Fexample.com', '/'],
  ['%2F%0A%2Fx', '/'],
  ['%2F%0D%0ASet-Cookie:%20x=1', '/'],
  ['//example.com', '/'],
  [encodeURIComponent('/\\example.com'), '/'],
  ['/%5C%5Cexample.com', '/'],
  [encodeURIComponent('https://example.com/'), '/'],
  [encodeURIComponent('javascript:alert(1)'), '/'],
  ['/%2F%2Fexample.com', '/'], // decoded: ///example.com
  [encodeURIComponent('/%2F%2Fexample.com'), '/%2F%2Fexample.com'], // a path on the portal itself
  [encodeURIComponent('/..//example.com'), '/'],
  ['%2Fhistory%7F', '/'],
  ['/history', '/history'],
  [encodeURIComponent('/checks?page=2'), '/checks?page=2'],
];

const pageTitle = (lang: Lang, key: string) => translator(lang).t(`${key}.title`);

/** Follows redirects by hand; returns the portal's answer at /auth/callback and the page after it. */
async function throughCallback(browser: Browser, first: Page): Promise<{ callback: Page; callbackUrl: string }> {
  let page = first;
  for (let hops = 0; hops < 12; hops++) {
    const location = page.location;
    assert.ok(
      location !== undefined && page.status >= 300 && page.status < 400,
      `stopped at ${page.status}: ${page.body.slice(0, 200)}`,
    );
    page = await browser.request('GET', location);
    if (new URL(location, PUBLIC_URL).pathname === '/auth/callback') return { callback: page, callbackUrl: location };
  }
  throw new Error('never reached /auth/callback');
}

/** Starts sign-in at `loginUrl` and types the IIN at the development provider. */
async function signInFrom(browser: Browser, loginUrl: string, iin = IIN.alice) {
  const login = await browser.follow('GET', loginUrl);
  const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1];
  assert.ok(action, `no sign-in form: ${login.status} ${login.body.slice(0, 200)}`);
  return throughCallback(browser, await browser.request('POST', action, { iin }));
}

describe('returnTo accepts only a path on the portal', () => {
  it('refuses control characters, backslashes, other origins and schemes', () => {
    for (const [query, expected] of RETURN_TO) {
      assert.equal(safeReturnTo(decodeURIComponent(query), PUBLIC_URL), expected, query);
    }
    for (const value of [undefined, '', 'history', ['/history'], '/\u0085x', '/\u2028x']) {
      const got = safeReturnTo(value, PUBLIC_URL);
      assert.ok(got.startsWith('/') && !got.startsWith('//') && /^[\x21-\x7e]+$/.test(got), `${JSON.stringify(value)} → ${got}`);
    }
  });
});

describe('citizen sign-in and sign-out', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal();
  });
  after(() => portal.close());

  for (const [query, expected] of RETURN_TO) {
    it(`returnTo=${query} ends on ${expected}`, async () => {
      const browser = new Browser(portal.app);
      const { callback } = await signInFrom(browser, `/auth/login?returnTo=${query}`);
      assert.equal(callback.status, 302, callback.body.slice(0, 200));
      assert.equal(callback.location, expected);
      const landing = new URL(callback.location as string, portal.services.config.portal.publicUrl);
      assert.equal(landing.origin, new URL(portal.services.config.portal.publicUrl).origin);
    });
  }

  it('a callback with no sign-in under way answers 400 with a page in the citizen’s language', async () => {
    const browser = new Browser(portal.app, 'ru');
    const page = await browser.request('GET', '/auth/callback?code=abc&state=def');
    assert.equal(page.status, 400);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.ok(page.body.includes(pageTitle('ru', 'errors.signInExpired')));
    assert.match(page.body, /<html lang="ru"/);
  });

  it('a forged state, duplicated parameters or a provider error without its issuer answer 400', async () => {
    for (const query of ['code=abc&state=forged', 'code=abc&state=x&state=y', 'error=server_error', 'code=%ff%fe&state=%0A']) {
      const browser = new Browser(portal.app, 'kk');
      const start = await browser.request('GET', '/auth/login');
      const state = new URL(start.location as string).searchParams.get('state');
      const page = await browser.request(
        'GET',
        `/auth/callback?${query.replace('error=server_error', `error=server_error&state=${state}`)}`,
      );
      assert.equal(page.status, 400, query);
      assert.match(page.body, /<html lang="kk"/);
    }
  });

  it('a replayed code answers 400, not 500, and signs no one in', async () => {
    const browser = new Browser(portal.app);
    const start = await browser.request('GET', '/auth/login');
    const setCookie = start.headers['set-cookie'];
    const cookie = (Array.isArray(setCookie) ? setCookie : [String(setCookie)])
      .map((c) => c.split(';')[0] as string)
      .find((c) => c.startsWith('tyiym_session='));
    const login = await browser.follow('GET', start.location as string);
    const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1] as string;
    const { callback, callbackUrl } = await throughCallback(browser, await browser.request('POST', action, { iin: IIN.bob }));
    assert.equal(callback.status, 302);
    // Again in the same browser, and with the session the code was asked for.
    const again = await browser.request('GET', callbackUrl);
    assert.equal(again.status, 400);
    assert.ok(again.body.includes(pageTitle('en', 'errors.signInExpired')));
    const url = new URL(callbackUrl, PUBLIC_URL);
    const stale = await portal.app.inject({ url: `${url.pathname}${url.search}`, headers: { cookie: cookie ?? '' } });
    assert.equal(stale.statusCode, 400);
    assert.doesNotMatch(stale.body, /\/auth\/logout/);
  });

  it('cancelling at the provider answers 400 with the portal’s own page', async () => {
    const browser = new Browser(portal.app, 'kk');
    const login = await browser.follow('GET', '/auth/login');
    const abort = /action="(\/dev-idp\/interaction\/[^"]+\/abort)"/.exec(login.body)?.[1];
    assert.ok(abort, 'the provider offers to cancel');
    const { callback } = await throughCallback(browser, await browser.request('POST', abort, { lang: 'kk' }));
    assert.equal(callback.status, 400);
    assert.ok(callback.body.includes(pageTitle('kk', 'errors.signInCancelled')));
  });

  it('sign-out ends the provider’s session too, in one step, and the next sign-in asks again', async () => {
    const browser = new Browser(portal.app, 'ru');
    const home = await browser.signIn(IIN.carol);
    const out = await browser.request('POST', '/auth/logout', { _csrf: csrfOf(home.body) });
    const end = new URL(out.location as string, PUBLIC_URL);
    assert.equal(end.pathname, '/dev-idp/session/end');
    assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${portal.services.config.portal.publicUrl}/`);
    assert.equal(end.searchParams.get('ui_locales'), 'ru');
    const hint = end.searchParams.get('id_token_hint');
    assert.ok(hint, 'the ID token is the hint');
    // The session kept that ID token: it must not carry the IIN.
    assert.doesNotMatch(Buffer.from(hint.split('.')[1] as string, 'base64url').toString(), new RegExp(IIN.carol));

    const confirm = await browser.request('GET', out.location as string);
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /<html lang="ru"/);
    // The page sends itself through a script file (the policy forbids inline script).
    assert.ok(confirm.body.includes(`<script src="${SIGN_OUT_SCRIPT_PATH}" defer></script>`));
    assert.doesNotMatch(confirm.body, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.match(String(confirm.headers['content-security-policy']), /script-src 'self'(;|$)/);
    assert.match(confirm.body, new RegExp(`<noscript><button[^>]*>${DEV_IDP_MESSAGES.ru.signOut}</button></noscript>`));
    const script = await browser.request('GET', SIGN_OUT_SCRIPT_PATH);
    assert.match(script.body, /getElementById\('op\.logoutForm'\)\.submit\(\)/);

    // What the script does: send the form as it is.
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirm.body)?.[1] as string;
    const fields = Object.fromEntries(
      [...confirm.body.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    assert.equal(fields.logout, 'yes');
    const done = await browser.request('POST', action, fields as Record<string, string>);
    assert.equal(done.status, 303);
    assert.equal(done.location, `${portal.services.config.portal.publicUrl}/`);
    const start = await browser.follow('GET', '/');
    assert.doesNotMatch(start.body, /\/auth\/logout/);

    const again = await browser.follow('GET', '/auth/login');
    assert.match(again.body, /action="\/dev-idp\/interaction\/[^"]+\/login"/, 'the provider asks who it is again');
  });

  it('sign-out asked for by anyone else than the service is confirmed in the citizen’s language', async () => {
    const browser = new Browser(portal.app, 'kk');
    await browser.signIn(IIN.dan);
    const page = await browser.follow('GET', `/dev-idp/session/end?client_id=${portal.services.config.portal.oidc.clientId}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<html lang="kk"/);
    assert.ok(page.body.includes(DEV_IDP_MESSAGES.kk.signOutQuestion));
    assert.doesNotMatch(page.body, /<script/);
  });
});

describe('the development identity provider speaks the citizen’s language', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal();
  });
  after(() => portal.close());

  for (const lang of LANGUAGES) {
    it(`in ${lang}: the language the portal passes, clearly marked as for development`, async () => {
      const browser = new Browser(portal.app, 'en');
      const page = await browser.follow('GET', `/auth/login?lang=${lang}`);
      const m = DEV_IDP_MESSAGES[lang];
      assert.equal(page.status, 200);
      assert.match(page.body, new RegExp(`<html lang="${lang}"`));
      assert.ok(page.body.includes(`<title>${m.signInTitle} – ${m.name}</title>`));
      assert.ok(page.body.includes(`class="tyiym-dev-banner" role="region" aria-label="${m.bannerLabel}"`));
      assert.ok(page.body.includes(`for="iin">${m.iinLabel}</label>`));
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
      // A wrong IIN is explained in the same language.
      const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(page.body)?.[1] as string;
      const wrong = await browser.request('POST', action, { iin: '12345', lang });
      assert.equal(wrong.status, 400);
      assert.ok(wrong.body.includes(m.iin_format));
    });
  }

  it('switches language on its own pages, and keeps the choice for the rest of the sign-in', async () => {
    const browser = new Browser(portal.app, 'en');
    const page = await browser.follow('GET', '/auth/login?lang=en');
    const uidPath = /action="(\/dev-idp\/interaction\/[^"/]+)\/login"/.exec(page.body)?.[1] as string;
    assert.ok(page.body.includes(`href="${uidPath}?lang=kk"`));
    const kk = await browser.request('GET', `${uidPath}?lang=kk`);
    assert.match(kk.body, /<html lang="kk"/);
    const again = await browser.request('GET', uidPath);
    assert.match(again.body, /<html lang="kk"/);
  });

  it('answers an expired or unknown request with a page in words, not a 500', async () => {
    const browser = new Browser(portal.app, 'ru');
    const gone = await browser.request('GET', '/dev-idp/interaction/no-such-interaction');
    assert.equal(gone.status, 400);
    assert.match(gone.body, /<html lang="ru"/);
    assert.ok(gone.body.includes(DEV_IDP_MESSAGES.ru.errorExpired));
    const unknown = await browser.request('GET', '/dev-idp/auth?client_id=nobody&response_type=code&scope=openid&ui_locales=kk');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /<html lang="kk"/);
    assert.ok(unknown.body.includes(DEV_IDP_MESSAGES.kk.errorTitle));
  });
});
