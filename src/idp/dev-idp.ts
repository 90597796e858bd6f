import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { validateIin } from '../identity/iin.js';
import { isLang, type Lang } from '../portal/i18n.js';
import { DEV_IDP_MESSAGES, iinFailureMessage, pickLang } from './dev-idp-messages.js';
import {
  consentPage,
  DEV_IDP_PATH,
  type DevCitizen,
  devIdpCsp,
  errorPage,
  SIGN_OUT_SCRIPT,
  SIGN_OUT_SCRIPT_PATH,
  signInPage,
} from './dev-idp-pages.js';
import { LANG_COOKIE, MOBILE_REDIRECT_URI } from './dev-idp-provider.js';

/**
 * The development identity provider: a real OpenID Connect provider (oidc-provider) with a
 * sign-in page that accepts any valid IIN, in Kazakh, Russian and English. It stands in for the
 * national identity provider in the demo and in tests; config.ts refuses it in production.
 */
export { DEV_IDP_PATH, type DevCitizen } from './dev-idp-pages.js';
export {
  createDevProvider,
  type DevIdpSecrets,
  devSubject,
  MOBILE_CLIENT_ID,
  MOBILE_REDIRECT_URI,
} from './dev-idp-provider.js';

type Form = { lang?: unknown; iin?: unknown; decision?: unknown };
type InteractionRequest = FastifyRequest<{ Params: { uid: string }; Querystring: { lang?: unknown }; Body: Form | undefined }>;

function rememberedLang(cookieHeader: string | undefined): string | undefined {
  return new RegExp(`(?:^|;\\s*)${LANG_COOKIE}=(kk|ru|en)(?:;|$)`).exec(cookieHeader ?? '')?.[1];
}

function langOf(request: InteractionRequest, uiLocales?: unknown): Lang {
  return pickLang({
    chosen: request.query?.lang ?? request.body?.lang,
    remembered: rememberedLang(request.headers.cookie),
    uiLocales,
    acceptLanguage: request.headers['accept-language'],
  });
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** Mounts the provider at /dev-idp, with its sign-in and consent pages. */
export async function registerDevIdp(app: FastifyInstance, provider: Provider, demoCitizens: DevCitizen[]): Promise<void> {
  const callback = provider.callback();
  const secure = provider.issuer.startsWith('https://');
  // A form's redirects may end at the mobile app's own scheme: the policy must let them.
  const csp = devIdpCsp([new URL(MOBILE_REDIRECT_URI).protocol]);
  const published = new URL(provider.issuer);
  const protect = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.raw.setHeader('content-security-policy', csp);
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    // The provider builds its URLs and decides on Secure cookies from these: they say the public
    // URL, never what a client claims (a forged X-Forwarded-Host), and the client's address as
    // Fastify judged it under TRUST_PROXY.
    const headers = request.raw.headers;
    headers['x-forwarded-proto'] = published.protocol.slice(0, -1);
    headers['x-forwarded-host'] = published.host;
    headers['x-forwarded-for'] = request.ip;
  };
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
    scope.addHook('onRequest', protect);
    scope.all(DEV_IDP_PATH, { schema: { hide: true } }, handOver);
    scope.all(`${DEV_IDP_PATH}/*`, { schema: { hide: true } }, handOver);
  });

  await app.register(async (scope) => {
    await scope.register(fastifyFormbody);
    scope.addHook('onRequest', protect);
    scope.setErrorHandler(async (error, request, reply) => {
      const lang = langOf(request as InteractionRequest);
      if (error instanceof errors.OIDCProviderError) {
        const expired = error instanceof errors.SessionNotFound;
        return html(reply, error.statusCode, errorPage(lang, expired, `${error.error}: ${error.error_description ?? ''}`));
      }
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) request.log.error({ err: error }, 'development identity provider error');
      const detail = status >= 500 ? 'server_error' : (error as Error).message;
      return html(reply, status >= 400 && status < 600 ? status : 500, errorPage(lang, false, detail));
    });

    scope.get(SIGN_OUT_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(SIGN_OUT_SCRIPT),
    );

    const base = `${DEV_IDP_PATH}/interaction/:uid`;
    const finish = async (
      request: InteractionRequest,
      reply: FastifyReply,
      result: Parameters<Provider['interactionResult']>[2],
    ) => {
      const redirectTo = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: true });
      return reply.redirect(redirectTo, 303);
    };

    scope.get(base, { schema: { hide: true } }, async (request: InteractionRequest, reply) => {
      const details = await provider.interactionDetails(request.raw, reply.raw);
      const lang = langOf(request, details.params.ui_locales);
      if (isLang(request.query.lang)) {
        reply.header(
          'set-cookie',
          `${LANG_COOKIE}=${lang}; Path=${DEV_IDP_PATH}; Max-Age=600; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
        );
      }
      const { uid } = request.params;
      if (details.prompt.name === 'login') return html(reply, 200, signInPage(lang, uid, demoCitizens, null));
      // A native app cannot prove who it is (any app may claim its redirect URI), so the citizen
      // says yes to it; the portal, a confidential client, is first-party and is not asked.
      if (details.prompt.reasons.includes('native_client_prompt')) return html(reply, 200, consentPage(lang, uid));
      if (details.grantId === undefined) throw new errors.InvalidRequest('nothing was granted to consent to');
      return finish(request, reply, { consent: { grantId: details.grantId } });
    });

    scope.post(`${base}/login`, { schema: { hide: true } }, async (request: InteractionRequest, reply) => {
      const iin = String(request.body?.iin ?? '').trim();
      const check = validateIin(iin);
      if (!check.ok) {
        const lang = langOf(request);
        const message = iinFailureMessage(DEV_IDP_MESSAGES[lang], check.failure);
        return html(reply, 400, signInPage(lang, request.params.uid, demoCitizens, message, iin));
      }
      await provider.interactionDetails(request.raw, reply.raw);
      const redirectTo = await provider.interactionResult(
        request.raw,
        reply.raw,
        { login: { accountId: iin } },
        { mergeWithLastSubmission: false },
      );
      return reply.redirect(redirectTo, 303);
    });

    scope.post(`${base}/consent`, { schema: { hide: true } }, async (request: InteractionRequest, reply) => {
      const details = await provider.interactionDetails(request.raw, reply.raw);
      if (request.body?.decision !== 'allow') {
        return finish(request, reply, { error: 'access_denied', error_description: 'The citizen did not allow the app.' });
      }
      if (details.grantId === undefined) throw new errors.InvalidRequest('nothing was granted to consent to');
      return finish(request, reply, { consent: { grantId: details.grantId } });
    });

    scope.post(`${base}/abort`, { schema: { hide: true } }, async (request: InteractionRequest, reply) => {
      await provider.interactionDetails(request.raw, reply.raw);
      return finish(request, reply, { error: 'access_denied', error_description: 'The citizen cancelled signing in.' });
    });
  });
}
