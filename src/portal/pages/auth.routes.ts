import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { identifyCitizen } from '../../identity/citizen.js';
import { type SignInFailure, signInFailure } from '../auth/oidc-client.js';
import { HOME, safeReturnTo } from '../auth/return-to.js';
import { SIGN_IN_COOKIE, SIGN_IN_MINUTES, SignInSealer } from '../auth/sign-in-state.js';
import { type PageRoutes, render } from '../render.js';

declare module 'fastify' {
  interface Session {
    /** The provider's ID token: the hint that lets sign-out end the provider's session too. */
    idToken?: string;
  }
}

const FAILURE_PAGES: Record<SignInFailure | 'unavailable', string> = {
  cancelled: 'errors.signInCancelled',
  expired: 'errors.signInExpired',
  failed: 'errors.signIn',
  unavailable: 'errors.signInUnavailable',
};

function regenerate(request: FastifyRequest): Promise<void> {
  return new Promise((resolve, reject) => request.session.regenerate((e) => (e ? reject(e) : resolve())));
}

function failurePage(request: FastifyRequest, reply: FastifyReply, why: SignInFailure | 'unavailable', status = 400) {
  const messageKey = FAILURE_PAGES[why];
  return render(request, reply.code(status), 'error.njk', { pageTitle: request.tr.t(`${messageKey}.title`), messageKey });
}

/** Sign-in and sign-out with the identity provider (Authorization Code flow with PKCE). */
export const authPages: PageRoutes = async (app, services) => {
  const { publicUrl, secureCookies } = services.config.portal;
  const sealer = new SignInSealer(services.secrets.sessionSecret);
  // Sent back only to /auth/callback (a top-level GET from the provider, so SameSite=Lax lets it through).
  const signInCookie = { path: '/auth', httpOnly: true, sameSite: 'lax', secure: secureCookies } as const;

  app.get<{ Querystring: { returnTo?: unknown } }>('/auth/login', { schema: { hide: true } }, async (request, reply) => {
    let flow: Awaited<ReturnType<typeof app.oidcClient.start>>;
    try {
      flow = await app.oidcClient.start(request.tr.lang);
    } catch (e) {
      request.log.warn({ err: e instanceof AppError ? e.message : (e as Error).name }, 'identity provider unavailable');
      return failurePage(request, reply, 'unavailable', 503);
    }
    const sealed = sealer.seal({
      state: flow.state,
      nonce: flow.nonce,
      codeVerifier: flow.codeVerifier,
      returnTo: safeReturnTo(request.query.returnTo, publicUrl),
    });
    reply.setCookie(SIGN_IN_COOKIE, sealed, { ...signInCookie, maxAge: SIGN_IN_MINUTES * 60 });
    return reply.redirect(flow.url);
  });

  app.get<{ Querystring: { state?: unknown } }>('/auth/callback', { schema: { hide: true } }, async (request, reply) => {
    const expected = sealer.open(request.cookies[SIGN_IN_COOKIE]);
    // A sign-in is finished once: a second callback in this browser finds nothing to finish, and a
    // replayed cookie brings a code the provider redeems only once.
    if (request.cookies[SIGN_IN_COOKIE] !== undefined) reply.clearCookie(SIGN_IN_COOKIE, signInCookie);
    if (!expected) return failurePage(request, reply, 'expired');
    if (request.query.state !== expected.state) return failurePage(request, reply, 'expired');
    let signedIn: { iin: string; idToken: string | undefined };
    try {
      signedIn = await app.oidcClient.finish(new URL(request.url, publicUrl), expected);
    } catch (e) {
      request.log.warn({ err: e instanceof AppError ? e.message : (e as Error).name }, 'sign-in failed');
      const why = signInFailure(e);
      return failurePage(request, reply, why, why === 'unavailable' ? 503 : 400);
    }
    let citizen: ReturnType<typeof identifyCitizen>;
    try {
      citizen = identifyCitizen(services.secrets.pepper, signedIn.iin);
    } catch {
      return failurePage(request, reply, 'failed');
    }
    // A new session id at sign-in, so a session fixed before sign-in is worth nothing.
    await regenerate(request);
    request.session.citizen = { key: citizen.key.toString('hex'), birthYear: citizen.facts.birthYear, sex: citizen.facts.sex };
    if (signedIn.idToken !== undefined) request.session.idToken = signedIn.idToken;
    // Checked again, so the Location header never carries what sign-in would refuse.
    return reply.redirect(safeReturnTo(expected.returnTo, publicUrl));
  });

  app.post('/auth/logout', { schema: { hide: true }, preHandler: app.csrfProtection }, async (request, reply) => {
    const { idToken } = request.session;
    const lang = request.tr.lang;
    await request.session.destroy();
    // Both sessions end in one step: the provider's too, with the ID token as proof of whose.
    const providerLogout = await app.oidcClient.logoutUrl(idToken, lang);
    return reply.redirect(providerLogout ?? HOME);
  });
};
