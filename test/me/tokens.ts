import { type CryptoKey, exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';

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
  kid?: string;
}

/** A signed access token carrying `claims` (e.g. `{ iin }`). */
export function mintToken(key: TestSigningKey, claims: JWTPayload, options: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, typ: 'at+jwt' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject('test-subject')
    .setIssuedAt(now);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now + 300);
  return jwt.sign(key.privateKey);
}
