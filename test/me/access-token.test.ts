import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { AccessTokenRefused, type AccessTokenVerifier, remoteAccessTokenVerifier } from '../../src/me/access-token.js';
import { freePort } from '../helpers/cli.js';
import { IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER } from '../helpers/registry.js';
import { buildApiApp } from './app.js';
import { mintToken, type TestSigningKey, testSigningKey } from './tokens.js';

const AUDIENCE = 'tyiym-api';

/** A tiny identity provider: its discovery document and key set, with a log of what was asked and knobs to break it. */
class FakeProvider {
  readonly requests: string[] = [];
  discoveryStatus = 200;
  jwksStatus = 200;
  /** The issuer the discovery document names; by default the right one. */
  namedIssuer: string | null = null;
  private server: http.Server | null = null;
  issuer = '';

  constructor(readonly key: TestSigningKey) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/idp/.well-known/openid-configuration') {
        send(this.discoveryStatus, { issuer: this.namedIssuer ?? this.issuer, jwks_uri: `${this.issuer}/jwks` });
      } else if (req.url === '/idp/jwks') {
        send(this.jwksStatus, this.key.jwks);
      } else {
        send(404, {});
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/idp`;
  }

  count(path: string): number {
    return this.requests.filter((r) => r === `/idp${path}`).length;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
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
  let idp: FakeProvider;

  before(async () => {
    key = await testSigningKey();
  });

  const fresh = async () => {
    idp = new FakeProvider(key);
    await idp.start();
    const verifier = remoteAccessTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE, iinClaim: 'iin', pepper: TEST_PEPPER });
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

  it('a failed discovery is a 401 that shows no internals, and is tried again on the next token', async () => {
    const { verifier, token } = await fresh();
    try {
      idp.discoveryStatus = 500;
      const e = await refusal(verifier, await token());
      assert.equal(e.reason, 'keys_unavailable');
      assert.ok(!e.message.includes('127.0.0.1') && !e.message.includes('500'), e.message);
      idp.discoveryStatus = 200;
      await verifier.verify(await token());
      assert.equal(idp.count('/.well-known/openid-configuration'), 2);
    } finally {
      await idp.stop();
    }
  });

  it('refuses keys from a discovery document that names another issuer (OIDC Discovery §4.3)', async () => {
    const { verifier, token } = await fresh();
    try {
      idp.namedIssuer = 'https://evil.example.test';
      assert.equal((await refusal(verifier, await token())).reason, 'keys_unavailable');
      assert.equal(idp.count('/jwks'), 0);
    } finally {
      await idp.stop();
    }
  });

  it('a key set that cannot be fetched is keys_unavailable; an unreachable provider too', async () => {
    const { verifier, token } = await fresh();
    idp.jwksStatus = 503;
    assert.equal((await refusal(verifier, await token())).reason, 'keys_unavailable');
    await idp.stop();
    const gone = remoteAccessTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE, iinClaim: 'iin', pepper: TEST_PEPPER });
    assert.equal((await refusal(gone, await token())).reason, 'keys_unavailable');
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
    const verifier = remoteAccessTokenVerifier({ issuer, audience: AUDIENCE, iinClaim: 'iin', pepper: TEST_PEPPER });
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
