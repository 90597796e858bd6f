import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DEFAULT_API_CLIENT } from '../../src/config.js';
import { MOBILE_CLIENT_ID } from '../../src/idp/dev-idp.js';
import { type SecurityServer, startSecurityServer } from '../security/server.js';

// The development provider issues the mobile app RFC 9068 access tokens that the mobile API takes as they are.

describe('access tokens from the development provider', () => {
  let server: SecurityServer;
  before(async () => {
    server = await startSecurityServer();
  });
  after(() => server?.close());

  it('are typed at+jwt, name the mobile client, and live no longer than the maximum', () => {
    const { token } = server.citizenA;
    assert.equal(decodeProtectedHeader(token).typ, 'at+jwt');
    const claims = decodeJwt(token);
    assert.equal(claims.client_id, MOBILE_CLIENT_ID);
    assert.equal(MOBILE_CLIENT_ID, DEFAULT_API_CLIENT, 'the default allow-list names the development provider’s client');
    const { apiMaxTokenMinutes } = server.services.config.portal.oidc;
    assert.ok((claims.exp as number) - (claims.iat as number) <= apiMaxTokenMinutes * 60);
  });

  it('are taken by the mobile API', async () => {
    const res = await fetch(`${server.origin}/v1/me/restriction`, {
      headers: { authorization: `Bearer ${server.citizenA.token}` },
    });
    assert.equal(res.status, 200, await res.text());
  });
});

describe('with OIDC_API_CLIENTS naming another app', () => {
  let server: SecurityServer;
  before(async () => {
    server = await startSecurityServer({ env: { OIDC_API_CLIENTS: 'kz.other.app, kz.another.app' } });
  });
  after(() => server?.close());

  it('the mobile app’s tokens are refused with 401 invalid_token', async () => {
    const res = await fetch(`${server.origin}/v1/me/restriction`, {
      headers: { authorization: `Bearer ${server.citizenA.token}` },
    });
    assert.equal(res.status, 401);
    assert.match(String(res.headers.get('www-authenticate')), /invalid_token/);
    assert.deepEqual(server.services.config.portal.oidc.apiClients, ['kz.other.app', 'kz.another.app']);
  });
});
