import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { buildApiApp } from './app.js';
import { type MintOptions, mintToken, type TestSigningKey, testSigningKey, testVerifier } from './tokens.js';

export const ISSUER = 'https://idp.example.test';

/** A registry serving the mobile API, with tokens signed by a key its verifier trusts. */
export interface Api {
  reg: TestRegistry;
  app: FastifyInstance;
  key: TestSigningKey;
  audience: string;
  /** A valid access token for this IIN, or one with `claims` and `options` changed. */
  token(iin: string, options?: Partial<MintOptions>): Promise<string>;
  close(): Promise<void>;
}

export async function setup(env: Record<string, string> = {}): Promise<Api> {
  const reg = await openTestRegistry({ env: { OIDC_ISSUER: ISSUER, ...env } });
  const { oidc } = reg.services.config.portal;
  const key = await testSigningKey();
  const verifier = testVerifier(key, reg.services.config);
  const app = await buildApiApp(reg.services, verifier);
  return {
    reg,
    app,
    key,
    audience: oidc.apiAudience,
    token: (iin, options = {}) =>
      mintToken(key, { [oidc.iinClaim]: iin }, { issuer: ISSUER, audience: oidc.apiAudience, ...options }),
    close: async () => {
      await app.close();
      await reg.close();
    },
  };
}

export type Method = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

/** One request as the app would send it: a bearer token, a JSON body (or raw text), and any further headers. */
export function call(
  app: FastifyInstance,
  method: Method,
  url: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method,
    url,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

export function ok(res: LightMyRequestResponse, status = 200) {
  assert.equal(res.statusCode, status, res.body);
  return res.json();
}

export function assertError(res: LightMyRequestResponse, status: number, code: string): { code: string; message: string } {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, res.body);
  assert.ok(body.error.message.length > 0);
  return body.error;
}

/** The number of entries in the transparency log, from its public checkpoint (0 before the first). */
export async function logSize(app: FastifyInstance): Promise<number> {
  const res = await app.inject({ url: '/log/checkpoint' });
  if (res.statusCode === 404) return 0;
  assert.equal(res.statusCode, 200, res.body);
  return Number(res.body.split('\n')[1]);
}

/** What a citizen's write may change, read through the API: the ban in force, its history, and the log's size. */
export async function snapshot(app: FastifyInstance, token: string) {
  return {
    restriction: ok(await call(app, 'GET', '/v1/me/restriction', token)).restriction,
    history: ok(await call(app, 'GET', '/v1/me/history', token)).history,
    logSize: await logSize(app),
  };
}
