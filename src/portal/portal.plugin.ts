import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifySession from '@fastify/session';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';
import { errorBody } from '../errors.js';
import type { Services } from '../services.js';
import { CSRF_COOKIE, csrfBinding, csrfOptions } from './auth/csrf.js';
import { OidcClient } from './auth/oidc-client.js';
import { isLang, type Lang, negotiateLang, type Translator, translator } from './i18n.js';
import { asForm, field, isFormType } from './pages/form.js';
import { PAGES } from './pages/index.js';
import { render, VIEWS_DIR } from './render.js';
import { type SessionStore, SharedSessionStore } from './session-store.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// The compiled stylesheet and script come from the build (scripts/build-assets.mjs).
const PUBLIC_DIR = here('../../dist/public/');
const GOVUK_DIR = here('../../node_modules/govuk-frontend/dist/');
const FONTS_DIR = here('../../node_modules/@fontsource/noto-sans/files/');

/** A form's encoding, or no body at all (which only the CSRF check then judges). */
function isFormBody(headers: FastifyRequest['headers']): boolean {
  const type = headers['content-type'];
  if (type !== undefined) return isFormType(type);
  const length = headers['content-length'];
  return headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

export interface PortalOptions {
  services: Services;
  /** Where signed-in sessions live; by default in the registry's store, shared by every node. */
  sessionStore?: SessionStore;
}

/**
 * The citizen portal: server-rendered GOV.UK-style pages in Kazakh, Russian and English,
 * with sessions, CSRF tokens on every form and a strict Content Security Policy. Each
 * journey registers its own routes (portal/pages/).
 */
export async function registerPortal(app: FastifyInstance, { services, sessionStore }: PortalOptions): Promise<void> {
  const { config, secrets } = services;
  const portal = config.portal;
  const idleMs = portal.sessionIdleMinutes * 60_000;
  const store =
    sessionStore ??
    new SharedSessionStore(services.store.sessions, { idleMs, absoluteMs: portal.sessionAbsoluteHours * 3_600_000 });
  app.decorate('portalDevIdp', portal.devIdp);
  app.decorate('oidcClient', new OidcClient(portal, portal.oidc.clientSecret ?? secrets.devIdp?.clientSecret ?? null));

  // Assets: our stylesheet and script, GOV.UK Frontend's script and images, and the font.
  if (!fs.existsSync(`${PUBLIC_DIR}app.css`)) app.log.warn('dist/public/app.css is missing: run npm run build');
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/assets/', index: false, wildcard: false });
  await app.register(fastifyStatic, { root: `${GOVUK_DIR}govuk/`, prefix: '/assets/govuk/', decorateReply: false, index: false });
  await app.register(fastifyStatic, { root: FONTS_DIR, prefix: '/assets/fonts/', decorateReply: false, index: false });

  await app.register(async (scope) => {
    await scope.register(fastifyFormbody);
    await scope.register(fastifyCookie);
    // Only a signed-in citizen has a session: nothing else writes to one (a sign-in under way is in a
    // sealed cookie, a CSRF secret in a cookie of its own), and an unwritten session is never stored.
    await scope.register(fastifySession, {
      secret: secrets.sessionSecret.toString('hex'),
      cookieName: 'tyiym_session',
      store,
      saveUninitialized: false,
      rolling: true,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: portal.secureCookies,
        path: '/',
        // Idle timeout: every request pushes the expiry on (rolling); a quiet session ends.
        maxAge: idleMs,
      },
    });
    // A signed double-submit cookie: the token is an HMAC of the browser's secret cookie, bound to
    // the session once signed in, so checking it needs no server state.
    await scope.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: CSRF_COOKIE,
      cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: portal.secureCookies },
      csrfOpts: csrfOptions(secrets.sessionSecret),
      getUserInfo: csrfBinding,
      getToken: (req) => field(asForm(req.body), '_csrf'),
    });
    const issuerOrigin = portal.oidc.issuer === '' ? [] : [new URL(portal.oidc.issuer).origin];
    await scope.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          frameAncestors: ["'none'"],
          // Sign-in and sign-out leave for the identity provider after a form post.
          formAction: ["'self'", ...issuerOrigin],
          upgradeInsecureRequests: portal.secureCookies ? [] : null,
        },
      },
      strictTransportSecurity: portal.secureCookies,
    });
    const env = nunjucks.configure([VIEWS_DIR, GOVUK_DIR], { autoescape: true, noCache: false });
    await scope.register(fastifyView, { engine: { nunjucks }, templates: [VIEWS_DIR, GOVUK_DIR], options: { env } });

    scope.decorateRequest('tr', null as unknown as Translator);
    scope.addHook('onRequest', async (request, reply) => {
      // ?lang= switches and is remembered in a cookie; otherwise the cookie, else the browser's preference.
      const asked = (request.query as { lang?: string } | undefined)?.lang;
      let lang: Lang;
      if (isLang(asked)) {
        lang = asked;
        reply.setCookie('lang', lang, {
          path: '/',
          sameSite: 'lax',
          httpOnly: true,
          secure: portal.secureCookies,
          maxAge: 365 * 86_400,
        });
      } else {
        const remembered = request.cookies.lang;
        lang = isLang(remembered) ? remembered : negotiateLang(request.headers['accept-language']);
      }
      request.tr = translator(lang);
    });
    // Every portal post is an HTML form: a JSON body, a file or text is refused before it is parsed.
    scope.addHook('preParsing', async (request) => {
      if (request.method === 'POST' && !isFormBody(request.headers))
        throw Object.assign(new Error('A portal form takes application/x-www-form-urlencoded only.'), { statusCode: 415 });
    });
    scope.setErrorHandler(async (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) request.log.error({ err: error }, 'portal error');
      const code = (error as { code?: string }).code;
      const key =
        code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET'
          ? 'errors.csrf'
          : status === 404
            ? 'errors.notFound'
            : status === 415
              ? 'errors.notAForm'
              : 'errors.generic';
      if (!request.tr) request.tr = translator(negotiateLang(request.headers['accept-language']));
      reply.code(code?.startsWith('FST_CSRF') ? 403 : status >= 400 && status < 600 ? status : 500);
      return render(request, reply, 'error.njk', { pageTitle: request.tr.t(`${key}.title`), messageKey: key });
    });

    for (const register of PAGES) await register(scope, services);

    // Any other page: a 404 in the citizen's language; API paths keep their JSON error.
    scope.get('/*', { schema: { hide: true } }, async (request, reply) => {
      if (/^\/(v1|log|openapi)\b/.test(request.url)) {
        return reply.code(404).send(errorBody('not_found', `No route for GET ${request.url.split('?')[0]}.`));
      }
      return render(request, reply.code(404), 'error.njk', {
        pageTitle: request.tr.t('errors.notFound.title'),
        messageKey: 'errors.notFound',
      });
    });
  });
}
