import * as oidc from 'openid-client';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';

/**
 * The portal as an OpenID Connect relying party: Authorization Code flow with PKCE against
 * the configured issuer (the national identity provider, or the development one).
 */
export class OidcClient {
  private configuration: Promise<oidc.Configuration> | null = null;

  constructor(
    private readonly settings: Readonly<Config['portal']>,
    private readonly clientSecret: string | null,
  ) {}

  /** Discovered on first use: the development provider is served by this very process. */
  private config(): Promise<oidc.Configuration> {
    const { issuer, clientId } = this.settings.oidc;
    if (issuer === '') return Promise.reject(new AppError('unavailable', 'No identity provider is configured (OIDC_ISSUER).'));
    this.configuration ??= oidc
      .discovery(new URL(issuer), clientId, this.clientSecret ?? undefined, undefined, {
        // Plain http is accepted only for a provider on this machine (the development one).
        execute: issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [],
      })
      .catch((e: unknown) => {
        this.configuration = null;
        throw e;
      });
    return this.configuration;
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
export type SignInFailure = 'cancelled' | 'expired' | 'failed';

export function signInFailure(e: unknown): SignInFailure {
  if (e instanceof oidc.AuthorizationResponseError) return e.error === 'access_denied' ? 'cancelled' : 'failed';
  // The code was used already, has expired, or does not match the verifier.
  if (e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant') return 'expired';
  return 'failed';
}
