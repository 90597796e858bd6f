import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { OidcClient, signInFailure } from '../../src/portal/auth/oidc-client.js';
import { FakeIdentityProvider } from '../helpers/fake-idp.js';
import { Browser, openPortal, type PortalApp } from './portal-app.js';

// The portal's sign-in while the identity provider is down: a clear 503 page, and the provider is not
// asked again on every request but after a back-off.

describe('OidcClient while the provider is down', () => {
  const idp = new FakeIdentityProvider();
  before(() => idp.start());
  after(() => idp.stop());

  it('a failed discovery is unavailable, and is tried again only after a back-off', async () => {
    const client = new OidcClient(loadConfig({ OIDC_ISSUER: idp.issuer }).portal, 'secret');
    idp.discoveryStatus = 500;
    for (let i = 0; i < 3; i++) {
      await assert.rejects(client.start('en'), (e: unknown) => e instanceof AppError && e.code === 'unavailable');
    }
    assert.equal(idp.count('/.well-known/openid-configuration'), 1);
    idp.discoveryStatus = 200;
    await sleep(1_100);
    const flow = await client.start('en');
    assert.ok(flow.url.startsWith(`${idp.issuer}/auth?`));
    await client.start('en');
    assert.equal(idp.count('/.well-known/openid-configuration'), 2, 'a discovery that worked is kept');
  });

  it('a token endpoint that fails or cannot be reached is "unavailable", not a failed sign-in', async () => {
    assert.equal(signInFailure(new TypeError('fetch failed')), 'unavailable');
    assert.equal(signInFailure(new DOMException('timed out', 'TimeoutError')), 'unavailable');
    assert.equal(signInFailure(new Error('anything else')), 'failed');
  });
});

describe('the portal’s sign-in while the provider is down', () => {
  const idp = new FakeIdentityProvider();
  let portal: PortalApp;
  before(async () => {
    await idp.start();
    portal = await openPortal({ env: { DEV_IDP: 'false', OIDC_ISSUER: idp.issuer, OIDC_CLIENT_SECRET: 'portal-secret' } });
  });
  after(async () => {
    await portal?.close();
    await idp.stop();
  });

  it('answers a clear 503 page at the start and when the code cannot be redeemed', async () => {
    idp.discoveryStatus = 500;
    const browser = new Browser(portal.app);
    const down = await browser.get('/auth/login');
    assert.equal(down.status, 503);
    assert.match(down.body, /<h1[^>]*>[^<]+<\/h1>/);
    assert.equal(idp.count('/.well-known/openid-configuration'), 1);
    assert.equal((await browser.get('/auth/login')).status, 503);
    assert.equal(idp.count('/.well-known/openid-configuration'), 1, 'not asked again within the back-off');

    idp.discoveryStatus = 200;
    await sleep(1_100);
    const login = await browser.request('GET', '/auth/login');
    assert.equal(login.status, 302, login.body);
    const state = new URL(login.location as string).searchParams.get('state');
    // The provider sends the citizen back with a code, but its token endpoint is down.
    const callback = await browser.request('GET', `/auth/callback?code=abc&state=${state}`);
    assert.equal(idp.count('/token'), 1);
    assert.equal(callback.status, 503, callback.body);
  });
});
