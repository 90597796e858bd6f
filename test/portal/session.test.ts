import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { IIN } from '../helpers/people.js';
import { Browser, openPortal, type PortalApp } from './portal-app.js';

function cookieNamed(headers: Record<string, unknown>, name: string): string | undefined {
  const raw = headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  return all.find((c: string) => c.startsWith(`${name}=`));
}

const sessionCookie = (headers: Record<string, unknown>) => cookieNamed(headers, 'tyiym_session');

describe('portal sessions', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal({ env: { SESSION_IDLE_MINUTES: '15' } });
  });
  after(() => portal.close());

  it('keeps a sign-in under way in a sealed cookie for /auth only, and no session until signed in', async () => {
    const browser = new Browser(portal.app);
    const start = await browser.request('GET', '/auth/login');
    assert.equal(sessionCookie(start.headers), undefined, 'no session is stored for a visitor who has not signed in');
    const sealed = cookieNamed(start.headers, 'tyiym_signin');
    assert.ok(sealed, 'the sign-in flow keeps its state in its own cookie');
    assert.match(sealed, /; Path=\/auth(;|$)/);
    assert.match(sealed, /; Max-Age=600(;|$)/);
    assert.match(sealed, /HttpOnly/i);
    assert.match(sealed, /SameSite=Lax/i);
    const state = new URL(String(start.location)).searchParams.get('state') as string;
    const value = sealed.split(';')[0] as string;
    assert.ok(!value.includes(state), 'the state is sealed, not readable in the cookie');
  });

  it('gives a session at sign-in, in an httpOnly SameSite=Lax cookie that lapses after 15 idle minutes', async () => {
    const browser = new Browser(portal.app);
    const signedIn = await browser.signIn(IIN.alice);
    assert.ok(signedIn.body.includes('/auth/logout'));
    const page = await browser.request('GET', '/history');
    const afterCookie = sessionCookie(page.headers);
    assert.ok(afterCookie, 'every response renews the idle timeout (rolling)');
    assert.match(afterCookie, /HttpOnly/i);
    assert.match(afterCookie, /SameSite=Lax/i);
    assert.doesNotMatch(afterCookie, /Secure/i, 'plain http in tests: no Secure flag');
    const expires = /Expires=([^;]+)/i.exec(afterCookie)?.[1];
    assert.ok(expires);
    const minutes = (new Date(expires).getTime() - Date.now()) / 60_000;
    assert.ok(minutes > 14 && minutes <= 15.1, `the cookie lapses after the idle timeout, not ${minutes} minutes`);
  });

  it('a session id planted before sign-in is replaced at sign-in and worth nothing after', async () => {
    const other = new Browser(portal.app);
    await other.signIn(IIN.carol);
    const planted = /tyiym_session=[^;]+/.exec(other.cookieHeader('/'))?.[0] as string;
    const browser = new Browser(portal.app);
    browser.plant(`${planted}; Path=/`);
    await browser.signIn(IIN.bob);
    const mine = /tyiym_session=[^;]+/.exec(browser.cookieHeader('/'))?.[0];
    assert.ok(mine);
    assert.notEqual(mine, planted, 'the session id is renewed at sign-in');
    const replay = await portal.app.inject({ url: '/history', headers: { cookie: planted } });
    assert.equal(replay.statusCode, 302);
    assert.match(String(replay.headers.location), /^\/auth\/login/);
  });

  it('sends a strict Content Security Policy with no inline script', async () => {
    const res = await portal.app.inject({ url: '/' });
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script on the page');
  });
});

describe('portal configuration', () => {
  it('cookies are Secure behind https', () => {
    assert.equal(loadConfig({ PUBLIC_URL: 'https://tyiym.example.kz' }).portal.secureCookies, true);
    assert.equal(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:8080' }).portal.secureCookies, false);
  });

  it('refuses to start in production with the development identity provider on', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', DEV_IDP: 'true', TYIYM_PEPPER: randomBytes(32).toString('hex') }),
      (e: unknown) => e instanceof ConfigError && /DEV_IDP/.test(e.message),
    );
    assert.equal(loadConfig({ DEV_IDP: 'true' }).portal.devIdp, true);
    assert.equal(loadConfig({}).portal.devIdp, false, 'off unless asked for');
  });
});
