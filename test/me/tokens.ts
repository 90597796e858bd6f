import { type CryptoKey, exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import type { Config } from '../../src/config.js';
import { type AccessTokenVerifier, localAccessTokenVerifier } from '../../src/me/access-token.js';
import { TEST_PEPPER } from '../helpers/registry.js';

/** An identity provider's signing key for tests: its private half signs, its public half goes in the JWKS. */
export interface TestSigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
}

export async function testSigningKey(kid = 'test-key-1'): Promise<TestSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] } };
}

export interface MintOptions {
  issuer: string;
  audience: string;
  /** Seconds since the epoch; default five minutes from now. null: no exp claim. */
  exp?: number | null;
  /** Seconds since the epoch; default now. null: no iat claim. */
  iat?: number | null;
  kid?: string;
  /** The `typ` header; default `at+jwt` (RFC 9068 §2.1). null: none. */
  typ?: string | null;
  /** The `client_id` claim; default the mobile app's. null: none. */
  clientId?: string | null;
}

/** The mobile app's client id at the development provider, the default of OIDC_API_CLIENTS. */
export const TEST_CLIENT_ID = 'tyiym-mobile';

/** A signed RFC 9068 access token carrying `claims` (e.g. `{ iin }`). */
export function mintToken(key: TestSigningKey, claims: JWTPayload, options: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const clientId = options.clientId === undefined ? TEST_CLIENT_ID : options.clientId;
  const typ = options.typ === undefined ? 'at+jwt' : options.typ;
  const jwt = new SignJWT({ ...(clientId === null ? {} : { client_id: clientId }), ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, ...(typ === null ? {} : { typ }) })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject('test-subject');
  if (options.iat !== null) jwt.setIssuedAt(options.iat ?? now);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now + 300);
  return jwt.sign(key.privateKey);
}

/** A verifier of the mobile API's tokens as the configuration sets it up, trusting this key instead of a remote key set. */
export function testVerifier(key: TestSigningKey, config: Readonly<Config>): AccessTokenVerifier {
  const { oidc } = config.portal;
  return localAccessTokenVerifier({
    jwks: key.jwks,
    issuer: oidc.issuer,
    audience: oidc.apiAudience,
    clients: oidc.apiClients,
    maxTokenMinutes: oidc.apiMaxTokenMinutes,
    iinClaim: oidc.iinClaim,
    pepper: TEST_PEPPER,
  });
}
