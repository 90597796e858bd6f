import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import {
  type AccessTokenOptions,
  AccessTokenRefused,
  type AccessTokenVerifier,
  IdentityProviderUnavailable,
  localAccessTokenVerifier,
  remoteAccessTokenVerifier,
} from '../../src/me/access-token.js';
import { freePort } from '../helpers/cli.js';
import { FakeIdentityProvider } from '../helpers/fake-idp.js';
import { IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER } from '../helpers/registry.js';
import { buildApiApp } from './app.js';
import { TEST_CLIENT_ID as CLIENT, mintToken, type TestSigningKey, testSigningKey } from './tokens.js';

const AUDIENCE = 'tyiym-api';

/** The verifier's settings for a provider at this issuer, as the configuration's defaults give them. */
const optionsFor = (issuer: string): AccessTokenOptions => ({
  issuer,
  audience: AUDIENCE,
  clients: [CLIENT],
  maxTokenMinutes: 60,
  iinClaim: 'iin',
  pepper: TEST_PEPPER,
});

/** The token is neither taken nor refused: 503, so that the app keeps it and tries again later. */
async function unavailable(verifier: AccessTokenVerifier, token: string): Promise<IdentityProviderUnavailable> {
  try {
    await verifier.verify(token);
  } catch (e) {
    assert.ok(e instanceof IdentityProviderUnavailable, String(e));
    assert.equal(e.code, 'unavailable');
    assert.equal(e.statusCode, 503);
    assert.ok(e.retryAfterSeconds >= 1);
    assert.ok(!e.message.includes('127.0.0.1') && !/\b50\d\b/.test(e.message), e.message);
    return e;
  }
  assert.fail('the token was accepted');
}

async function refusal(verifier: AccessTokenVerifier, token: string): Promise<AccessTokenRefused> {
  try {
    await verifier.verify(token);
  } catch (e) {
    assert.ok(e instanceof AccessTokenRefused, String(e));
    assert.equal(e.code, 'unauthorized');
    assert.equal(e.statusCode, 401);
    return e;
  }
  assert.fail('the token was accepted');
}

describe('remoteAccessTokenVerifier', () => {
  let key: TestSigningKey;
  let idp: FakeIdentityProvider;

  before(async () => {
    key = await testSigningKey();
  });

  const fresh = async () => {
    idp = new FakeIdentityProvider(key.jwks);
    await idp.start();
    const verifier = remoteAccessTokenVerifier(optionsFor(idp.issuer));
    const token = (claims: Record<string, unknown> = { iin: IIN.alice }) =>
      mintToken(key, claims, { issuer: idp.issuer, audience: AUDIENCE });
    return { verifier, token };
  };
  after(() => idp?.stop());

  it('discovers the key set on the first token, not before, and only once', async () => {
    const { verifier, token } = await fresh();
    try {
      assert.deepEqual(idp.requests, [], 'nothing is fetched when the verifier is built');
      const citizen = await verifier.verify(await token());
      assert.deepEqual(Object.keys(citizen).sort(), ['facts', 'key']);
      assert.ok(citizen.key.equals(citizenKeyOf(TEST_PEPPER, IIN.alice)));
      assert.deepEqual(citizen.facts, { birthYear: 1958, sex: 'female' });
      const tokens = await Promise.all([token(), token({ iin: IIN.bob }), token()]);
      await Promise.all(tokens.map((t) => verifier.verify(t)));
      assert.equal(idp.count('/.well-known/openid-configuration'), 1);
      assert.equal(idp.count('/jwks'), 1);
    } finally {
      await idp.stop();
    }
  });

  it('a failed discovery is a 503 that shows no internals; the provider is not asked again until a back-off has passed', async () => {
    const { verifier, token } = await fresh();
    try {
      idp.discoveryStatus = 500;
      await unavailable(verifier, await token());
      // Within the back-off (1 s after the first failure) nothing is sent to the provider.
      await Promise.all([unavailable(verifier, await token()), unavailable(verifier, await token())]);
      assert.equal(idp.count('/.well-known/openid-configuration'), 1);
      idp.discoveryStatus = 200;
      await unavailable(verifier, await token());
      assert.equal(idp.count('/.well-known/openid-configuration'), 1);
      await sleep(1_100);
      await verifier.verify(await token());
      assert.equal(idp.count('/.well-known/openid-configuration'), 2);
    } finally {
      await idp.stop();
    }
  });

  it('the back-off doubles with each failure in a row', async () => {
    const { verifier, token } = await fresh();
    try {
      idp.discoveryStatus = 500;
      assert.equal((await unavailable(verifier, await token())).retryAfterSeconds, 1);
      await sleep(1_100);
      assert.equal((await unavailable(verifier, await token())).retryAfterSeconds, 2);
      assert.equal(idp.count('/.well-known/openid-configuration'), 2);
    } finally {
      await idp.stop();
    }
  });

  it('refuses keys from a discovery document that names another issuer (OIDC Discovery §4.3)', async () => {
    const { verifier, token } = await fresh();
    try {
      idp.namedIssuer = 'https://evil.example.test';
      await unavailable(verifier, await token());
      assert.equal(idp.count('/jwks'), 0);
    } finally {
      await idp.stop();
    }
  });

  it('a key set that cannot be fetched is a 503, fetched again only after the back-off; an unreachable provider too', async () => {
    const { verifier, token } = await fresh();
    idp.jwksStatus = 503;
    await unavailable(verifier, await token());
    await unavailable(verifier, await token());
    assert.equal(idp.count('/jwks'), 1);
    idp.jwksStatus = 200;
    await sleep(1_100);
    await verifier.verify(await token());
    assert.equal(idp.count('/jwks'), 2);
    await idp.stop();
    const gone = remoteAccessTokenVerifier(optionsFor(idp.issuer));
    await unavailable(gone, await token());
  });

  it('keeps answering from the cached key set while the provider is down', async () => {
    const { verifier, token } = await fresh();
    await verifier.verify(await token());
    await idp.stop();
    const citizen = await verifier.verify(await token({ iin: IIN.bob }));
    assert.ok(citizen.key.equals(citizenKeyOf(TEST_PEPPER, IIN.bob)));
  });

  it('refuses tokens the provider did not sign, or that carry no valid IIN', async () => {
    const { verifier, token } = await fresh();
    try {
      const other = await testSigningKey(key.kid);
      const forged = await mintToken(other, { iin: IIN.alice }, { issuer: idp.issuer, audience: AUDIENCE });
      assert.equal((await refusal(verifier, forged)).reason, 'invalid');
      assert.equal((await refusal(verifier, await token({ iin: '880101300011' }))).reason, 'no_citizen');
      assert.equal((await refusal(verifier, await token({}))).reason, 'no_citizen');
    } finally {
      await idp.stop();
    }
  });

  it('works when the provider is served by the very app that verifies, discovered once it listens', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}/idp`;
    const reg = await openTestRegistry();
    const verifier = remoteAccessTokenVerifier(optionsFor(issuer));
    let discoveries = 0;
    const app = await buildApiApp(reg.services, verifier, (app) => {
      app.get('/idp/.well-known/openid-configuration', { schema: { hide: true } }, async () => {
        discoveries++;
        return { issuer, jwks_uri: `${issuer}/jwks` };
      });
      app.get('/idp/jwks', { schema: { hide: true } }, async () => key.jwks);
    });
    try {
      await app.listen({ port, host: '127.0.0.1' });
      const token = await mintToken(key, { iin: IIN.carol }, { issuer, audience: AUDIENCE });
      const res = await fetch(`http://127.0.0.1:${port}/v1/me/restriction`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { restriction: null });
      assert.equal(discoveries, 1);
    } finally {
      await app.close();
      await reg.close();
    }
  });
});

describe('the mobile API while the identity provider is down', () => {
  it('answers 503 unavailable with Retry-After, never 401 invalid_token, so the app keeps its token', async () => {
    const key = await testSigningKey();
    const port = await freePort();
    // Nothing listens at this issuer.
    const issuer = `http://127.0.0.1:${port}/idp`;
    const reg = await openTestRegistry();
    const app = await buildApiApp(reg.services, remoteAccessTokenVerifier(optionsFor(issuer)));
    try {
      const token = await mintToken(key, { iin: IIN.alice }, { issuer, audience: AUDIENCE });
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({ url: '/v1/me/restriction', headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.statusCode, 503, res.body);
        assert.equal(res.json().error.code, 'unavailable');
        assert.ok(Number(res.headers['retry-after']) >= 1, String(res.headers['retry-after']));
        assert.equal(res.headers['www-authenticate'], undefined);
        assert.ok(!res.body.includes('127.0.0.1'), res.body);
      }
    } finally {
      await app.close();
      await reg.close();
    }
  });
});

describe('access tokens per RFC 9068', () => {
  const ISSUER = 'https://idp.example.test';
  let key: TestSigningKey;
  let verifier: AccessTokenVerifier;
  const now = () => Math.floor(Date.now() / 1000);
  const token = (claims: Record<string, unknown> = {}, options: Partial<Parameters<typeof mintToken>[2]> = {}) =>
    mintToken(key, { iin: IIN.alice, ...claims }, { issuer: ISSUER, audience: AUDIENCE, ...options });

  before(async () => {
    key = await testSigningKey();
    verifier = localAccessTokenVerifier({ ...optionsFor(ISSUER), jwks: key.jwks, clients: [CLIENT, 'tyiym-kiosk'] });
  });

  it('takes a token typed at+jwt or application/at+jwt, from an allowed client by client_id or azp', async () => {
    await verifier.verify(await token());
    await verifier.verify(await token({}, { typ: 'application/at+jwt' }));
    await verifier.verify(await token({}, { typ: 'AT+JWT' }));
    await verifier.verify(await token({ client_id: 'tyiym-kiosk' }));
    await verifier.verify(await token({ azp: CLIENT }, { clientId: null }));
    await verifier.verify(await token({ azp: CLIENT }));
  });

  it('refuses a token that is not typed as an access token: an ID token, a plain JWT, or none', async () => {
    for (const typ of [null, 'JWT', 'id_token+jwt', 'at+jwt2']) {
      assert.equal((await refusal(verifier, await token({}, { typ }))).reason, 'not_access_token', String(typ));
    }
  });

  it('refuses a token issued to another client, or naming none', async () => {
    assert.equal((await refusal(verifier, await token({}, { clientId: 'someone-else' }))).reason, 'unknown_client');
    assert.equal((await refusal(verifier, await token({}, { clientId: null }))).reason, 'unknown_client');
    assert.equal((await refusal(verifier, await token({ azp: 'someone-else' }))).reason, 'unknown_client');
    assert.equal((await refusal(verifier, await token({ azp: 'someone-else' }, { clientId: null }))).reason, 'unknown_client');
    assert.equal((await refusal(verifier, await token({ client_id: [CLIENT] }))).reason, 'unknown_client');
  });

  it('refuses a token that lives longer than the maximum, one without iat, and one issued in the future', async () => {
    const t = now();
    await verifier.verify(await token({}, { iat: t, exp: t + 60 * 60 }));
    const century = await refusal(verifier, await token({}, { iat: t, exp: t + 100 * 365 * 24 * 3600 }));
    assert.equal(century.reason, 'too_long_lived');
    assert.equal((await refusal(verifier, await token({}, { iat: t, exp: t + 60 * 60 + 1 }))).reason, 'too_long_lived');
    assert.equal((await refusal(verifier, await token({}, { iat: null }))).reason, 'invalid');
    assert.equal((await refusal(verifier, await token({}, { iat: t + 120, exp: t + 600 }))).reason, 'invalid');
    // Issued an hour and a half ago, still unexpired: older than any token the provider may issue.
    assert.equal((await refusal(verifier, await token({}, { iat: t - 5400, exp: t + 600 }))).reason, 'expired');
  });

  it('takes the maximum lifetime and the clients from the configuration', async () => {
    const short = localAccessTokenVerifier({ ...optionsFor(ISSUER), jwks: key.jwks, clients: ['other'], maxTokenMinutes: 5 });
    assert.equal((await refusal(short, await token())).reason, 'unknown_client');
    const t = now();
    const other = (exp: number) => token({}, { clientId: 'other', iat: t, exp });
    await short.verify(await other(t + 300));
    assert.equal((await refusal(short, await other(t + 301))).reason, 'too_long_lived');
  });
});
