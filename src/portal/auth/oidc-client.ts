import * as oidc from 'openid-client';
import { BackingOff, keptWithBackoff } from '../../backoff.js';
import { type Config, endpointAllowed } from '../../config.js';
import { AppError } from '../../errors.js';

/** How long a request to the provider may take (discovery, and then every request of the flow). */
const PROVIDER_TIMEOUT_SECONDS = 5;

/**
 * The portal as an OpenID Connect relying party: Authorization Code flow with PKCE against
 * the configured issuer (the national identity provider, or the development one).
 */
export class OidcClient {
  /** Discovered on first use and kept; after a failure the provider is not asked again until a back-off has passed. */
  private readonly discovered: () => Promise<oidc.Configuration>;

  constructor(
    private readonly settings: Readonly<Config['portal']>,
    private readonly clientSecret: string | null,
  ) {
    this.discovered = keptWithBackoff(() => this.discover());
  }

  private async discover(): Promise<oidc.Configuration> {
    const { issuer, clientId } = this.settings.oidc;
    let configuration: oidc.Configuration;
    try {
      configuration = await oidc.discovery(new URL(issuer), clientId, this.clientSecret ?? undefined, undefined, {
        // Plain http only for an http issuer, which the configuration allows only outside production.
        execute: issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [],
        timeout: PROVIDER_TIMEOUT_SECONDS,
      });
    } catch (e) {
      throw new AppError('unavailable', `OpenID Connect discovery at ${issuer} failed: ${(e as Error).message}`, { cause: e });
    }
    // The code is exchanged with the client secret, and the IIN read, at these: never in clear.
    const metadata = configuration.serverMetadata();
    for (const name of ['token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const) {
      const endpoint = metadata[name];
      if (endpoint !== undefined && !endpointAllowed(endpoint, issuer)) {
        throw new AppError('unavailable', `The identity provider's ${name} is not https: ${endpoint}`);
      }
    }
    return configuration;
  }

  /** The development provider is served by this very process, so nothing is fetched before the first sign-in. */
  private config(): Promise<oidc.Configuration> {
    if (this.settings.oidc.issuer === '') {
      return Promise.reject(new AppError('unavailable', 'No identity provider is configured (OIDC_ISSUER).'));
    }
    return this.discovered().catch((e: unknown) => {
      if (!(e instanceof BackingOff)) throw e;
      const last = e.cause instanceof Error ? e.cause.message : String(e.cause);
      throw new AppError(
        'unavailable',
        `The identity provider is not asked again for ${Math.ceil(e.retryAfterMs / 1000)} s after: ${last}`,
        {
          cause: e,
        },
      );
    });
  }

  get redirectUri(): string {
    return `${this.settings.publicUrl}/auth/callback`;
  }

  async start(uiLocale: string): Promise<{ url: string; state: string; nonce: string; codeVerifier: string }> {
    const config = await this.config();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ui_locales: uiLocale,
    });
    return { url: url.href, state, nonce, codeVerifier };
  }

  /**
   * Exchanges the code and returns the IIN from the configured claim (ID token, else userinfo),
   * with the ID token itself, which is the hint for signing out at the provider.
   */
  async finish(
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<{ iin: string; idToken: string | undefined }> {
    const config = await this.config();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: expected.codeVerifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const claim = this.settings.oidc.iinClaim;
    let iin = claims?.[claim];
    if (typeof iin !== 'string' && claims?.sub) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      iin = info[claim];
    }
    if (typeof iin !== 'string') throw new AppError('unauthorized', `The identity provider sent no "${claim}" claim.`);
    return { iin, idToken: tokens.id_token };
  }

  /**
   * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the ID token as the hint
   * proves which session to end, so the provider need not ask the citizen to confirm again.
   */
  async logoutUrl(idToken: string | undefined, uiLocale: string): Promise<string | null> {
    try {
      const config = await this.config();
      if (!config.serverMetadata().end_session_endpoint) return null;
      return oidc.buildEndSessionUrl(config, {
        ...(idToken === undefined ? {} : { id_token_hint: idToken }),
        post_logout_redirect_uri: `${this.settings.publicUrl}/`,
        ui_locales: uiLocale,
      }).href;
    } catch {
      return null;
    }
  }
}

/** Why a sign-in failed, in the words the citizen is shown. */
export type SignInFailure = 'cancelled' | 'expired' | 'failed' | 'unavailable';

export function signInFailure(e: unknown): SignInFailure {
  if (e instanceof oidc.AuthorizationResponseError) return e.error === 'access_denied' ? 'cancelled' : 'failed';
  // The code was used already, has expired, or does not match the verifier.
  if (e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant') return 'expired';
  if (providerUnreachable(e)) return 'unavailable';
  return 'failed';
}

/** The provider did not answer (a network failure, a timeout) or answered with a server error. */
function providerUnreachable(e: unknown): boolean {
  // undici's network failure; the signal's timeout.
  if (e instanceof TypeError && e.message === 'fetch failed') return true;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return true;
  return e instanceof oidc.ClientError && e.cause instanceof Response && e.cause.status >= 500;
}
