import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { identifyCitizen } from '../../identity/citizen.js';
import { type PageRoutes, render } from '../render.js';

function safeReturnTo(value: unknown): string {
  // Only paths on this site: never an open redirect.
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

function regenerate(request: FastifyRequest): Promise<void> {
  return new Promise((resolve, reject) => request.session.regenerate((e) => (e ? reject(e) : resolve())));
}

/** Sign-in and sign-out with the identity provider (Authorization Code flow with PKCE). */
export const authPages: PageRoutes = async (app, services) => {
  app.get<{ Querystring: { returnTo?: string } }>('/auth/login', { schema: { hide: true } }, async (request, reply) => {
    const flow = await app.oidcClient.start(request.tr.lang);
    request.session.oidc = {
      state: flow.state,
      nonce: flow.nonce,
      codeVerifier: flow.codeVerifier,
      returnTo: safeReturnTo(request.query.returnTo),
    };
    return reply.redirect(flow.url);
  });

  app.get('/auth/callback', { schema: { hide: true } }, async (request, reply) => {
    const expected = request.session.oidc;
    const fail = () =>
      render(request, reply.code(400), 'error.njk', {
        pageTitle: request.tr.t('errors.signIn.title'),
        messageKey: 'errors.signIn',
      });
    if (!expected) return fail();
    let iin: string;
    try {
      iin = await app.oidcClient.finish(new URL(request.url, services.config.portal.publicUrl), expected);
    } catch (e) {
      request.log.warn({ err: e instanceof AppError ? e.message : (e as Error).name }, 'sign-in failed');
      return fail();
    }
    let citizen: ReturnType<typeof identifyCitizen>;
    try {
      citizen = identifyCitizen(services.secrets.pepper, iin);
    } catch {
      return fail();
    }
    // A new session id at sign-in, so a session fixed before sign-in is worth nothing.
    await regenerate(request);
    request.session.citizen = { key: citizen.key.toString('hex'), birthYear: citizen.facts.birthYear, sex: citizen.facts.sex };
    return reply.redirect(expected.returnTo);
  });

  app.post('/auth/logout', { schema: { hide: true }, preHandler: app.csrfProtection }, async (request, reply) => {
    const providerLogout = await app.oidcClient.logoutUrl();
    await request.session.destroy();
    return reply.redirect(providerLogout ?? '/');
  });
};
