import { createHash } from 'node:crypto';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import type { DevIdpRepository } from './dev-idp.repository.js';
import { devIdpAdapter } from './dev-idp-adapter.js';
import { pickLang } from './dev-idp-messages.js';
import { DEV_IDP_PATH, errorPage, signedOutPage, signOutPage } from './dev-idp-pages.js';

export const MOBILE_CLIENT_ID = 'tyiym-mobile';
export const MOBILE_REDIRECT_URI = 'kz.tyiym.app:/oauth/callback';
/** Set by the language switcher, so the next page of the same sign-in keeps the language. */
export const LANG_COOKIE = 'dev_idp_lang';

export interface DevIdpSecrets {
  clientSecret: string;
  signingJwk: Record<string, unknown>;
}

/** The provider's subject for an IIN: stable, and not the IIN itself. */
export function devSubject(iin: string): string {
  return `dev-${createHash('sha256').update(`tyiym dev idp ${iin}`).digest('hex').slice(0, 24)}`;
}

/** The language of a page the provider renders itself, from the request in hand. */
export function langOfContext(ctx: KoaContextWithOIDC) {
  let uiLocales: unknown;
  try {
    uiLocales = ctx.oidc?.params?.ui_locales;
  } catch {
    // Some errors are rendered before the parameters are read.
  }
  return pickLang({ remembered: ctx.cookies.get(LANG_COOKIE), uiLocales, acceptLanguage: ctx.get('accept-language') });
}

/**
 * The provider itself; its sign-in and consent pages are served by dev-idp.ts. Its state (sessions,
 * sign-ins under way, grants, codes, tokens) lives in `state`, the registry's store, so that any node
 * can answer any of its requests.
 */
export function createDevProvider(
  config: Readonly<Config>,
  secrets: DevIdpSecrets,
  state: DevIdpRepository,
  publicUrl = config.portal.publicUrl,
): Provider {
  const issuer = `${publicUrl}${DEV_IDP_PATH}`;
  const { iinClaim, apiAudience, clientId } = config.portal.oidc;
  const configuration: Configuration = {
    adapter: devIdpAdapter(state, secrets.clientSecret),
    clients: [
      {
        client_id: clientId,
        client_secret: secrets.clientSecret,
        redirect_uris: [`${publicUrl}/auth/callback`],
        post_logout_redirect_uris: [`${publicUrl}/`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        // The mobile app: a public client with PKCE, whose access tokens are JWTs for the /v1/me API.
        client_id: MOBILE_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: [MOBILE_REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    jwks: { keys: [secrets.signingJwk as never] },
    cookies: { keys: [secrets.clientSecret] },
    claims: { openid: ['sub', iinClaim] },
    async findAccount(_ctx, id) {
      // The IIN is given at userinfo and in the API's access tokens, never in the ID token: the
      // portal keeps the ID token in its session (the hint for signing out), and no IIN there.
      return {
        accountId: id,
        claims: async (use) => (use === 'id_token' ? { sub: devSubject(id) } : { sub: devSubject(id), [iinClaim]: id }),
      };
    },
    async extraTokenClaims(_ctx, token) {
      // JWT access tokens for the mobile API carry the IIN claim.
      const accountId = (token as { accountId?: string }).accountId;
      return accountId ? { [iinClaim]: accountId } : {};
    },
    interactions: { url: (_ctx, interaction) => `${DEV_IDP_PATH}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          // The service asked, with an ID token of this very account: no need to ask again.
          const hint = ctx.oidc.entities.IdTokenHint?.payload;
          const accountId = ctx.oidc.session?.accountId;
          const asked = hint !== undefined && accountId !== undefined && hint.sub === devSubject(accountId);
          ctx.body = signOutPage(langOfContext(ctx), form, asked);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = signedOutPage(langOfContext(ctx));
        },
      },
      resourceIndicators: {
        enabled: true,
        // Only the mobile app calls the API; the portal's token is for userinfo.
        defaultResource: (_ctx, client) => (client.clientId === MOBILE_CLIENT_ID ? apiAudience : (undefined as never)),
        useGrantedResource: (ctx) => ctx.oidc.client?.clientId === MOBILE_CLIENT_ID,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== apiAudience) throw new Error('unknown resource');
          return { scope: 'openid', audience: apiAudience, accessTokenFormat: 'jwt', accessTokenTTL: 600 };
        },
      },
    },
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      // First-party clients: everything is granted without asking (a native app is asked, see dev-idp.ts).
      const session = ctx.oidc.session;
      const client = ctx.oidc.client;
      if (!session?.accountId || !client) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid');
      grant.addOIDCClaims(['sub', iinClaim]);
      if (client.clientId === MOBILE_CLIENT_ID) grant.addResourceScope(apiAudience, 'openid');
      await grant.save();
      return grant;
    },
    ttl: { Session: 15 * 60, Interaction: 10 * 60, Grant: 15 * 60, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    renderError: async (ctx, out, error) => {
      ctx.type = 'html';
      const expired = error instanceof errors.SessionNotFound || /expired/.test(String(out.error_description));
      ctx.body = errorPage(langOfContext(ctx), expired, `${out.error}: ${out.error_description ?? ''}`);
    },
  };
  const provider = new Provider(issuer, configuration);
  // X-Forwarded-* are believed, but dev-idp.ts sets them from the public URL before the provider sees a request.
  provider.proxy = true;
  return provider;
}
