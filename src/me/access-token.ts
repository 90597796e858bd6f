import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { BackingOff, Backoff, keptWithBackoff } from '../backoff.js';
import { endpointAllowed } from '../config.js';
import { AppError } from '../errors.js';
import { type Citizen, identifyCitizen } from '../identity/citizen.js';

/**
 * Turns an OpenID Connect access token (RFC 9068) into the citizen it was issued to; refuses
 * anything else with 401, and answers 503 while the provider's keys cannot be had.
 */
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
  /** The clients whose access tokens are taken, by `client_id` (RFC 9068 §2.2) or `azp`. */
  clients: readonly string[];
  /** The longest lifetime (`exp - iat`) a token may have: a token that lives for years is a password. */
  maxTokenMinutes: number;
  /** The claim that carries the citizen's IIN. */
  iinClaim: string;
  pepper: Buffer;
}

/** Why a token was refused: for the logs. The response always says 401 unauthorized. */
export type RefusalReason = 'expired' | 'invalid' | 'not_access_token' | 'unknown_client' | 'too_long_lived' | 'no_citizen';

const REFUSAL_MESSAGES: Record<RefusalReason, string> = {
  expired: 'The access token has expired; sign in again.',
  invalid: 'The access token is not valid for this service.',
  not_access_token: 'The token is not an access token (typ at+jwt).',
  unknown_client: 'The access token was issued to an application this service does not serve.',
  too_long_lived: 'The access token lives longer than this service allows; sign in again.',
  no_citizen: 'The access token does not identify a citizen.',
};

export class AccessTokenRefused extends AppError {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, options?: { cause?: unknown }) {
    super('unauthorized', REFUSAL_MESSAGES[reason], options);
    this.reason = reason;
  }
}

/**
 * The identity provider's keys cannot be had now, so the token can be neither taken nor refused:
 * 503, never 401, which would tell the app to throw away a token that may be valid.
 */
export class IdentityProviderUnavailable extends AppError {
  /** When to try again, for Retry-After. */
  readonly retryAfterSeconds: number;
  constructor(retryAfterMs: number, options: { cause: unknown }) {
    super('unavailable', 'The identity provider cannot be reached to check the access token; try again shortly.', options);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

/** The identity provider's keys could not be had: its discovery document or key set did not answer properly. */
class KeySourceError extends Error {
  override name = 'KeySourceError';
}

function refusalOf(e: unknown): AccessTokenRefused | IdentityProviderUnavailable {
  if (e instanceof IdentityProviderUnavailable) return e;
  // Expired, or (with maxTokenAge) issued too long ago.
  if (e instanceof errors.JWTExpired) return new AccessTokenRefused('expired');
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'typ') return new AccessTokenRefused('not_access_token');
  // No cause: a claim validation error carries the token's payload, which holds the IIN.
  return new AccessTokenRefused('invalid');
}

function verifierWith(keys: JWTVerifyGetKey, options: AccessTokenOptions): AccessTokenVerifier {
  const { issuer, audience, clients, maxTokenMinutes, iinClaim, pepper } = options;
  const maxLifetimeSeconds = maxTokenMinutes * 60;
  return {
    async verify(token: string): Promise<Citizen> {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer,
          audience,
          algorithms: [...ACCESS_TOKEN_ALGORITHMS],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'iat'],
          // RFC 9068 §4: the type tells an access token from an ID token or another JWT of the same provider.
          typ: 'at+jwt',
          // Also refuses an iat in the future, beyond the clock tolerance.
          maxTokenAge: maxLifetimeSeconds,
        }));
      } catch (e) {
        throw refusalOf(e);
      }
      if ((payload.exp as number) - (payload.iat as number) > maxLifetimeSeconds) throw new AccessTokenRefused('too_long_lived');
      // RFC 9068 §2.2 names the client in client_id; OpenID Connect in azp. Each one given must be ours.
      const named = [payload.client_id, payload.azp].filter((c) => c !== undefined);
      if (named.length === 0 || !named.every((c) => typeof c === 'string' && clients.includes(c))) {
        throw new AccessTokenRefused('unknown_client');
      }
      const iin = payload[iinClaim];
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
  // Keys fetched in clear could be swapped by anyone on the path, and then sign a token for any IIN.
  if (!endpointAllowed(jwksUri, issuer)) {
    throw new KeySourceError(`the discovery document at ${url} has a jwks_uri that is not https: ${jwksUri}`);
  }
  return new URL(jwksUri);
}

/**
 * The key set's fetch for jose, through the back-off: while the provider is down no request is
 * sent, and a key set that does not parse counts as a failure like a connection refused.
 */
function fetchThrough(backoff: Backoff): typeof fetch {
  return async (input, init) => {
    backoff.check();
    try {
      const res = await fetch(input, init);
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      const text = await res.text();
      const jwks = JSON.parse(text) as { keys?: unknown };
      if (!Array.isArray(jwks?.keys)) throw new Error('not a JSON Web Key Set');
      backoff.succeeded();
      return new Response(text, { status: 200, headers: res.headers });
    } catch (e) {
      backoff.failed(e);
      throw e;
    }
  };
}

/**
 * Verifies against the provider's published keys. The discovery document is fetched on the
 * first token, not here: the provider may be served by this very process, which is not yet
 * listening when this is built. A successful discovery is kept for the life of the process.
 * The key set is cached by jose for 10 minutes, and a token with an unknown key id refetches it
 * at most every 30 s. A failed fetch of either is not tried again until a back-off (1 s,
 * doubling, up to a minute) has passed; meanwhile tokens get 503, never 401.
 */
export function remoteAccessTokenVerifier(options: AccessTokenOptions): AccessTokenVerifier {
  const discoveryBackoff = new Backoff();
  const jwksBackoff = new Backoff();
  const remoteKeys = keptWithBackoff(
    async () =>
      createRemoteJWKSet(await discoverJwksUri(options.issuer), {
        timeoutDuration: FETCH_TIMEOUT_MS,
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
        [customFetch]: fetchThrough(jwksBackoff),
      }),
    discoveryBackoff,
  );
  const unavailable = (e: unknown) =>
    new IdentityProviderUnavailable(Math.max(discoveryBackoff.waitMs(), jwksBackoff.waitMs()), { cause: e });
  const keys: JWTVerifyGetKey = async (header, token) => {
    let jwks: Awaited<ReturnType<typeof remoteKeys>>;
    try {
      jwks = await remoteKeys();
    } catch (e) {
      throw unavailable(e);
    }
    try {
      return await jwks(header, token);
    } catch (e) {
      if (e instanceof BackingOff || isKeySourceFailure(e)) throw unavailable(e);
      throw e;
    }
  };
  return verifierWith(keys, options);
}
