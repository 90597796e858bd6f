import * as oidc from 'openid-client';
import { MOBILE_CLIENT_ID, MOBILE_REDIRECT_URI } from '../../src/idp/dev-idp.js';

/**
 * How the mobile app starts its sign-in at the development provider: discovery, then an Authorization
 * Code request with PKCE for the public client tyiym-mobile. The app keeps the verifier and the state to
 * redeem the code it gets back at MOBILE_REDIRECT_URI.
 */
export interface MobileSignIn {
  authorizationUrl: URL;
  state: string;
  /** Redeems the code the provider sent the app, as the app does. */
  redeem(callback: URL): Promise<oidc.TokenEndpointResponse>;
}

export async function startMobileSignIn(origin: string, extra: Record<string, string> = {}): Promise<MobileSignIn> {
  const config = await oidc.discovery(new URL(`${origin}/dev-idp`), MOBILE_CLIENT_ID, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: MOBILE_REDIRECT_URI,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  const redeem = (callback: URL) =>
    oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state });
  return { authorizationUrl, state, redeem };
}
