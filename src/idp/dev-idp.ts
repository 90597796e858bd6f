import { createHash } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import { validateIin } from '../identity/iin.js';

/**
 * The development identity provider: a real OpenID Connect provider (oidc-provider) with a
 * sign-in page that accepts any valid IIN. It stands in for the national identity provider
 * in the demo and in tests; config.ts refuses to start with it in production.
 */
export const DEV_IDP_PATH = '/dev-idp';
export const MOBILE_CLIENT_ID = 'tyiym-mobile';
export const MOBILE_REDIRECT_URI = 'kz.tyiym.app:/oauth/callback';

export interface DevIdpSecrets {
  clientSecret: string;
  signingJwk: Record<string, unknown>;
}

/** The provider's subject for an IIN: stable, and not the IIN itself. */
export function devSubject(iin: string): string {
  return `dev-${createHash('sha256').update(`tyiym dev idp ${iin}`).digest('hex').slice(0, 24)}`;
}

export function createDevProvider(
  config: Readonly<Config>,
  secrets: DevIdpSecrets,
  publicUrl = config.portal.publicUrl,
): Provider {
  const issuer = `${publicUrl}${DEV_IDP_PATH}`;
  const { iinClaim, apiAudience, clientId } = config.portal.oidc;
  const configuration: Configuration = {
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
    // The IIN claim goes into the ID token itself, so the portal needs no userinfo call.
    conformIdTokenClaims: false,
    async findAccount(_ctx, id) {
      return { accountId: id, claims: async () => ({ sub: devSubject(id), [iinClaim]: id }) };
    },
    async extraTokenClaims(_ctx, token) {
      // JWT access tokens for the mobile API carry the IIN claim too.
      const accountId = (token as { accountId?: string }).accountId;
      return accountId ? { [iinClaim]: accountId } : {};
    },
    interactions: { url: (_ctx, interaction) => `${DEV_IDP_PATH}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = devPage(
            'Sign out of the development identity provider',
            `<p class="govuk-body">Sign out of the development identity provider too?</p>
             ${form.replace('<form', '<form class="govuk-!-display-inline"')}
             <button class="govuk-button" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = devPage('Signed out', '<p class="govuk-body">You are signed out of the development identity provider.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => apiAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== apiAudience) throw new Error('unknown resource');
          return { scope: 'openid', audience: apiAudience, accessTokenFormat: 'jwt', accessTokenTTL: 600 };
        },
      },
    },
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      // First-party clients only: the grant is given without a consent screen.
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
      grant.addResourceScope(apiAudience, 'openid');
      await grant.save();
      return grant;
    },
    ttl: { Session: 15 * 60, Interaction: 10 * 60, Grant: 15 * 60, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = devPage('Sign-in error', `<p class="govuk-body">${escapeHtml(String(out.error_description ?? out.error))}</p>`);
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = publicUrl.startsWith('https://');
  return provider;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Every page of the development provider says, first, that it is one. */
export function devPage(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en" class="govuk-template"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} – DEVELOPMENT identity provider</title>
<link rel="stylesheet" href="/assets/app.css"></head><body class="govuk-template__body">
<div class="tyiym-dev-banner" role="region" aria-label="Development notice"><strong>DEVELOPMENT identity provider</strong> — for testing only. It accepts any valid IIN without a password and is switched off in production.</div>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content"><h1 class="govuk-heading-l">${escapeHtml(title)}</h1>${body}</main></div></body></html>`;
}

export interface DevCitizen {
  label: string;
  iin: string;
}

/** Mounts the provider at /dev-idp, with its sign-in page. */
export async function registerDevIdp(app: FastifyInstance, provider: Provider, demoCitizens: DevCitizen[]): Promise<void> {
  const callback = provider.callback();
  const handOver = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const req = request.raw as typeof request.raw & { originalUrl?: string };
    // As a mounted app would see it: the provider builds its URLs from originalUrl.
    req.originalUrl = req.url;
    req.url = (req.url ?? '/').slice(DEV_IDP_PATH.length) || '/';
    callback(req, reply.raw);
  };

  // The provider reads request bodies itself, so this scope parses none.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    scope.all(DEV_IDP_PATH, { schema: { hide: true } }, handOver);
    scope.all(`${DEV_IDP_PATH}/*`, { schema: { hide: true } }, handOver);
  });

  await app.register(async (scope) => {
    await scope.register(fastifyFormbody);
    const page = (uid: string, error: string | null, value = '') =>
      devPage(
        'Sign in',
        `${
          error
            ? `<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list"><li><a href="#iin">${escapeHtml(error)}</a></li></ul></div></div></div>`
            : ''
        }
        <form method="post" action="${DEV_IDP_PATH}/interaction/${escapeHtml(uid)}/login" novalidate>
          <div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">
            <label class="govuk-label govuk-label--m" for="iin">IIN</label>
            <div class="govuk-hint" id="iin-hint">Any valid 12-digit IIN. No password: this provider is for testing.</div>
            ${error ? `<p class="govuk-error-message" id="iin-error"><span class="govuk-visually-hidden">Error:</span> ${escapeHtml(error)}</p>` : ''}
            <input class="govuk-input govuk-input--width-20${error ? ' govuk-input--error' : ''}" id="iin" name="iin" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" value="${escapeHtml(value)}" aria-describedby="iin-hint${error ? ' iin-error' : ''}">
          </div>
          <button class="govuk-button" type="submit">Sign in</button>
        </form>
        <h2 class="govuk-heading-m">Demo citizens</h2>
        <ul class="govuk-list">${demoCitizens
          .map(
            (c) =>
              `<li><form method="post" action="${DEV_IDP_PATH}/interaction/${escapeHtml(uid)}/login"><input type="hidden" name="iin" value="${c.iin}"><button class="govuk-button govuk-button--secondary govuk-!-margin-bottom-1" type="submit">${escapeHtml(c.label)} — ${c.iin}</button></form></li>`,
          )
          .join('')}</ul>`,
      );

    scope.get<{ Params: { uid: string } }>(
      `${DEV_IDP_PATH}/interaction/:uid`,
      { schema: { hide: true } },
      async (request, reply) => {
        const details = await provider.interactionDetails(request.raw, reply.raw);
        if (details.prompt.name !== 'login') {
          // Consent is never asked of first-party clients; finish with what the grant loader gave.
          const result = await provider.interactionResult(request.raw, reply.raw, {}, { mergeWithLastSubmission: true });
          return reply.redirect(result);
        }
        return reply.type('text/html').send(page(request.params.uid, null));
      },
    );

    scope.post<{ Params: { uid: string }; Body: { iin?: string } }>(
      `${DEV_IDP_PATH}/interaction/:uid/login`,
      { schema: { hide: true } },
      async (request, reply) => {
        const iin = String(request.body?.iin ?? '').trim();
        const check = validateIin(iin);
        if (!check.ok)
          return reply
            .code(400)
            .type('text/html')
            .send(page(request.params.uid, check.message, iin));
        await provider.interactionDetails(request.raw, reply.raw);
        const redirectTo = await provider.interactionResult(
          request.raw,
          reply.raw,
          { login: { accountId: iin } },
          { mergeWithLastSubmission: false },
        );
        return reply.redirect(redirectTo);
      },
    );
  });
}
