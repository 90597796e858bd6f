import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { checkRoutes } from './checks/check.routes.js';
import { ConfigError } from './config.js';
import { demoCitizenPlans } from './demo/seed.js';
import { healthRoutes } from './health/health.routes.js';
import { installJsonAccept } from './http/accept.js';
import { clientErrorHandler, frameworkErrors, installErrorHandler } from './http/error-handler.js';
import { installJsonParser } from './http/json-body.js';
import { installRequestId, requestIdOf } from './http/request-id.js';
import { ErrorSchema } from './http/schemas.js';
import { installSecurityHeaders, setSecurityHeaders } from './http/security-headers.js';
import { createDevProvider, registerDevIdp } from './idp/dev-idp.js';
import { logRoutes } from './log/log.routes.js';
import { loggerOptions } from './logger.js';
import { type AccessTokenVerifier, remoteAccessTokenVerifier } from './me/access-token.js';
import { meRoutes } from './me/me.routes.js';
import { registerPortal } from './portal/portal.plugin.js';
import type { SessionStore } from './portal/session-store.js';
import { registerRateLimit } from './ratelimit/rate-limit.plugin.js';
import type { Services } from './services.js';

export interface AppOptions {
  /** A pino logger to use, or false for none; by default one is built at the configured level. */
  logger?: FastifyBaseLogger | false;
  /** How the mobile API checks citizens' access tokens; by default against the configured issuer's keys. */
  verifier?: AccessTokenVerifier;
  /** Where the portal keeps signed-in sessions; by default in the registry's store, shared by every node. */
  sessionStore?: SessionStore;
}

/** Builds the HTTP app from its services. It never listens: server.ts does that. */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    ...(options.logger === undefined
      ? { logger: loggerOptions(config.logLevel) }
      : options.logger === false
        ? { logger: false }
        : { loggerInstance: options.logger }),
    bodyLimit: config.http.bodyLimit,
    // Behind the TLS proxy named by TRUST_PROXY, request.protocol is https, so Secure cookies are set.
    trustProxy: config.http.trustProxy === false ? false : [...config.http.trustProxy],
    // installErrorHandler answers requests that arrive during shutdown with 503 in the catalogue's shape.
    return503OnClosing: false,
    genReqId: requestIdOf,
    frameworkErrors: (error, request, reply) => {
      setSecurityHeaders(reply);
      frameworkErrors(error, request, reply);
    },
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The API speaks JSON only: anything else is 415, not parsed as text.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);
  installRequestId(app);
  installSecurityHeaders(app);
  installErrorHandler(app);
  installJsonAccept(app, '/v1/');
  app.addSchema(ErrorSchema);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tyiym',
        version: '1',
        description:
          "The registry of citizens' voluntary bans on new loans and microloans. Lenders call POST /v1/checks before every loan.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'The lender’s API key' },
          auditorKey: { type: 'http', scheme: 'bearer', description: 'An auditor’s key (tya_…), for the log’s entry bundles' },
          citizenToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'An OpenID Connect access token from the citizen identity provider',
          },
        },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  if (config.rateLimitPerMinute > 0)
    await registerRateLimit(app, {
      redisUrl: config.redisUrl,
      redisKeyPrefix: config.redisKeyPrefix,
      rateLimits: services.store.rateLimits,
      clock: services.clock,
    });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { store: services.store });
  await app.register(checkRoutes, { services, rateLimitPerMinute: config.rateLimitPerMinute });
  await app.register(logRoutes, { services });

  // The mobile app's API, when there is an identity provider to check its tokens against.
  const { oidc } = config.portal;
  const verifier =
    options.verifier ??
    (oidc.issuer === ''
      ? null
      : remoteAccessTokenVerifier({
          issuer: oidc.issuer,
          audience: oidc.apiAudience,
          clients: oidc.apiClients,
          maxTokenMinutes: oidc.apiMaxTokenMinutes,
          iinClaim: oidc.iinClaim,
          pepper: services.secrets.pepper,
        }));
  if (verifier !== null) await app.register(meRoutes, { services, verifier });

  if (config.portal.devIdp) {
    if (services.secrets.devIdp === null)
      throw new ConfigError('The development identity provider needs its keys from the secrets file');
    const provider = createDevProvider(config, services.secrets.devIdp, services.store.devIdp);
    const citizens = demoCitizenPlans().map((c) => ({ label: c.label, iin: c.iin }));
    await registerDevIdp(app, provider, citizens);
  }
  await registerPortal(app, { services, sessionStore: options.sessionStore });
  return app;
}
