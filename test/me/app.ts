import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { AccessTokenVerifier } from '../../src/me/access-token.js';
import type { Services } from '../../src/services.js';

/** The real app with a chosen token verifier, and optionally more routes (e.g. an identity provider). */
export async function buildApiApp(
  services: Services,
  verifier: AccessTokenVerifier,
  more?: (app: FastifyInstance) => void,
): Promise<FastifyInstance> {
  const app = await buildApp(services, { logger: false, verifier });
  more?.(app);
  await app.ready();
  return app;
}
