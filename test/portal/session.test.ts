import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { IIN } from '../helpers/people.js';
import { Browser, openPortal, type PortalApp } from './portal-app.js';

function sessionCookie(headers: Record<string, unknown>): string | undefined {
  const raw = headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  return all.find((c: string) => c.startsWith('tyiym_session='));
}

describe('portal sessions', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal({ env: { SESSION_IDLE_MINUTES: '15' } });
  });
  after(() => portal.close());

  it('gives a new session id at sign-in, in an httpOnly SameSite=Lax cookie that lapses after 15 idle minutes', async () => {
    const browser = new Browser(portal.app);
    const start = await browser.request('GET', '/auth/login');
    const before = sessionCookie(start.headers);
    assert.ok(before, 'the sign-in flow keeps its state in a session');
    const signedIn = await browser.signIn(IIN.alice);
    assert.ok(signedIn.body.includes('/auth/logout'));
    const page = await browser.request('GET', '/history');
    const afterCookie = sessionCookie(page.headers);
    assert.ok(afterCookie, 'every response renews the idle timeout (rolling)');
    const id = (c: string) => c.split(';')[0]?.split('=')[1]?.split('.')[0];
    assert.notEqual(id(afterCookie), id(before), 'the session id is renewed at sign-in');
    assert.match(afterCookie, /HttpOnly/i);
    assert.match(afterCookie, /SameSite=Lax/i);
    assert.doesNotMatch(afterCookie, /Secure/i, 'plain http in tests: no Secure flag');
    const expires = /Expires=([^;]+)/i.exec(afterCookie)?.[1];
    assert.ok(expires);
    const minutes = (new Date(expires).getTime() - Date.now()) / 60_000;
    assert.ok(minutes > 14 && minutes <= 15.1, `the cookie lapses after the idle timeout, not ${minutes} minutes`);
  });

  it('the old session id is worth nothing after sign-in', async () => {
    const browser = new Browser(portal.app);
    const start = await browser.request('GET', '/auth/login');
    const stale = sessionCookie(start.headers)?.split(';')[0];
    await browser.signIn(IIN.bob);
    const replay = await portal.app.inject({ url: '/history', headers: { cookie: stale ?? '' } });
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
      () => loadConfig({ NODE_ENV: 'production', DEV_IDP: 'true', TYIYM_PEPPER: 'ab'.repeat(32) }),
      (e: unknown) => e instanceof ConfigError && /DEV_IDP/.test(e.message),
    );
    assert.equal(loadConfig({ DEV_IDP: 'true' }).portal.devIdp, true);
    assert.equal(loadConfig({}).portal.devIdp, false, 'off unless asked for');
  });
});
