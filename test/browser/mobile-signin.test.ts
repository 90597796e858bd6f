import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MOBILE_REDIRECT_URI } from '../../src/idp/dev-idp.js';
import { startMobileSignIn } from '../helpers/mobile-app.js';
import { expectH1, idpText, iinField, newIin, newPage, portalAndBrowser, SKIP, waitForPath } from './harness.js';

// The mobile app's sign-in, as the app does it: the Authorization Code flow with PKCE for the
// public client tyiym-mobile, in a real browser, then the code redeemed for an access token
// that the /v1/me API accepts. No token is made by the test itself.

describe('the mobile app signs in and reads the citizen’s ban', { skip: SKIP }, () => {
  const shared = portalAndBrowser();

  test('Authorization Code flow with PKCE at the development provider, then GET /v1/me/restriction', async (t) => {
    const { portal } = shared;
    const iin = newIin();
    await portal.sandbox.json([
      'restriction',
      'place',
      '--iin',
      iin,
      '--operator',
      'Aigerim Operator',
      '--indefinite',
      '--lender-types',
      'mfo',
      '--channels',
      'remote',
    ]);

    const { authorizationUrl, state, redeem } = await startMobileSignIn(portal.url, { ui_locales: 'ru' });

    const { context, page } = await newPage(shared.browser);
    t.after(() => context.close());
    // The browser cannot open the app's own scheme; the app gets the redirect from the
    // system, and the test reads it off the provider's answer the same way.
    const redirect = new Promise<string>((resolve) => {
      page.on('response', (response) => {
        const location = response.headers().location;
        if (location?.startsWith(`${MOBILE_REDIRECT_URI}?`)) resolve(location);
      });
    });

    await page.goto(authorizationUrl.href);
    await waitForPath(page, /^\/dev-idp\/interaction\//);
    await expectH1(page, idpText('ru', 'signInTitle'));
    await iinField(page, 'ru').fill(iin);
    await page.getByRole('button', { name: idpText('ru', 'signIn'), exact: true }).click();
    // A native app is asked for once, by name, instead of looping until the request expires.
    await expectH1(page, idpText('ru', 'consentTitle'));
    await page.getByRole('button', { name: idpText('ru', 'allow'), exact: true }).click();
    const callback = new URL(await redirect);
    assert.equal(callback.searchParams.get('state'), state);
    assert.ok(callback.searchParams.get('code'));

    const tokens = await redeem(callback);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');

    const res = await fetch(`${portal.url}/v1/me/restriction`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const body = (await res.json()) as {
      restriction: { lenderTypes: string[]; channels: string[]; endsAt: string | null } | null;
    };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(body.restriction, 'the ban placed for this citizen');
    assert.deepEqual(body.restriction.lenderTypes, ['mfo']);
    assert.deepEqual(body.restriction.channels, ['remote']);
    assert.equal(body.restriction.endsAt, null);

    // The same code twice is refused: it was redeemed once.
    await assert.rejects(redeem(callback));
  });
});
