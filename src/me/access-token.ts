import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { AppError } from '../errors.js';
import { type Citizen, identifyCitizen } from '../identity/citizen.js';

/** Turns an OpenID Connect access token into the citizen it was issued to; refuses anything else with 401. */
export interface AccessTokenVerifier {
  verify(token: string): Promise<Citizen>;
}

/** Asymmetric only: a shared-secret (HS*) or unsigned ("none") token could be forged by anyone holding the secret or by no one at all. */
export const ACCESS_TOKEN_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** Clocks of the identity provider and the registry may differ by this much. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** How long one request for the discovery document or the key set may take. */
const FETCH_TIMEOUT_MS = 5_000;

export interface AccessTokenOptions {
  /** The identity provider's issuer identifier, compared exactly with the token's `iss`. */
  issuer: string;
  /** The audience an access token for this API must carry. */
  audience: string;
  /** The claim that carries the citizen's IIN. */
  iinClaim: string;
  pepper: Buffer;
}

/** Why a token was refused: for the logs. The response always says 401 unauthorized. */
export type RefusalReason = 'expired' | 'invalid' | 'no_citizen' | 'keys_unavailable';

const REFUSAL_MESSAGES: Record<RefusalReason, string> = {
  expired: 'The access token has expired; sign in again.',
  invalid: 'The access token is not valid for this service.',
  no_citizen: 'The access token does not identify a citizen.',
  keys_unavailable: 'The access token cannot be checked at the moment; try again shortly.',
};

export class AccessTokenRefused extends AppError {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, options?: { cause?: unknown }) {
    super('unauthorized', REFUSAL_MESSAGES[reason], options);
    this.reason = reason;
  }
}

/** The identity provider's keys could not be had: its discovery document or key set did not answer properly. */
class KeySourceError extends Error {
  override name = 'KeySourceError';
}

function refusalOf(e: unknown): AccessTokenRefused {
  if (e instanceof KeySourceError) return new AccessTokenRefused('keys_unavailable', { cause: e });
  if (e instanceof errors.JWTExpired) return new AccessTokenRefused('expired');
  // No cause: a claim validation error carries the token's payload, which holds the IIN.
  return new AccessTokenRefused('invalid');
}

function verifierWith(keys: JWTVerifyGetKey, options: AccessTokenOptions): AccessTokenVerifier {
  const { issuer, audience, iinClaim, pepper } = options;
  return {
    async verify(token: string): Promise<Citizen> {
      let iin: unknown;
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer,
          audience,
          algorithms: [...ACCESS_TOKEN_ALGORITHMS],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp'],
        });
        iin = payload[iinClaim];
      } catch (e) {
        throw refusalOf(e);
      }
      // A number would have lost the leading zero of an IIN of someone born in 2000-2009.
      if (typeof iin !== 'string') throw new AccessTokenRefused('no_citizen');
      try {
        return identifyCitizen(pepper, iin);
      } catch {
        throw new AccessTokenRefused('no_citizen');
      }
    },
  };
}

/** Verifies against a key set held in memory: for tests, and for a provider whose keys are configured by hand. */
export function localAccessTokenVerifier(options: AccessTokenOptions & { jwks: JSONWebKeySet }): AccessTokenVerifier {
  return verifierWith(createLocalJWKSet(options.jwks), options);
}

function isKeySourceFailure(e: unknown): boolean {
  // Network errors are not JOSE errors; a non-200 or unparsable key set is a plain JOSEError.
  return (
    !(e instanceof errors.JOSEError) ||
    e instanceof errors.JWKSTimeout ||
    e instanceof errors.JWKSInvalid ||
    e.code === errors.JOSEError.code
  );
}

/** The key set's address from the provider's discovery document (OpenID Connect Discovery 1.0 §4). */
async function discoverJwksUri(issuer: string): Promise<URL> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let doc: unknown;
  try {
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    doc = await res.json();
  } catch (e) {
    throw new KeySourceError(`OpenID Connect discovery at ${url} failed`, { cause: e });
  }
  const { issuer: named, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  // §4.3: the document must name exactly the issuer it was fetched for, or its keys are not that issuer's.
  if (named !== issuer) throw new KeySourceError(`the discovery document at ${url} names another issuer`);
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) {
    throw new KeySourceError(`the discovery document at ${url} has no valid jwks_uri`);
  }
  const parsed = new URL(jwksUri);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new KeySourceError(`the discovery document at ${url} has a jwks_uri that is not http(s)`);
  }
  return parsed;
}

/**
 * Verifies against the provider's published keys. The discovery document is fetched on the
 * first token, not here: the provider may be served by this very process, which is not yet
 * listening when this is built. A successful discovery is kept for the life of the process;
 * a failed one is tried again on the next token. The key set itself is cached and refreshed
 * by jose (a token with an unknown key id triggers a refetch, at most every 30 s).
 */
export function remoteAccessTokenVerifier(options: AccessTokenOptions): AccessTokenVerifier {
  let discovered: Promise<JWTVerifyGetKey> | null = null;
  const remoteKeys = (): Promise<JWTVerifyGetKey> => {
    if (discovered === null) {
      const pending = discoverJwksUri(options.issuer).then((uri) =>
        createRemoteJWKSet(uri, { timeoutDuration: FETCH_TIMEOUT_MS }),
      );
      discovered = pending;
      pending.catch(() => {
        if (discovered === pending) discovered = null;
      });
    }
    return discovered;
  };
  const keys: JWTVerifyGetKey = async (header, token) => {
    const jwks = await remoteKeys();
    try {
      return await jwks(header, token);
    } catch (e) {
      if (isKeySourceFailure(e)) throw new KeySourceError('the identity provider’s key set could not be fetched', { cause: e });
      throw e;
    }
  };
  return verifierWith(keys, options);
}
