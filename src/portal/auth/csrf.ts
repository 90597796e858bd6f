import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The cookie that holds a browser's CSRF secret: a random value, and no state on the server. */
export const CSRF_COOKIE = 'tyiym_csrf';

/** What the token of a visitor who has not signed in is bound to: there is no session to bind it to. */
export const ANONYMOUS = 'anonymous';

/**
 * The token rules (@fastify/csrf): each token is an HMAC of the cookie's secret and the binding,
 * keyed by a key derived from the session secret, so a token cannot be made without the server.
 */
export function csrfOptions(sessionSecret: Buffer): { userInfo: true; hmacKey: Buffer } {
  return { userInfo: true, hmacKey: createHmac('sha256', sessionSecret).update('tyiym csrf tokens').digest() };
}

/**
 * What a CSRF token is bound to besides its cookie: a signed-in citizen's session, so that a
 * secret and token planted from another browser are worth nothing against a citizen's forms.
 */
export function csrfBinding(request: FastifyRequest): string {
  const session = request.session;
  return session?.citizen ? `session:${session.sessionId}` : ANONYMOUS;
}

/**
 * The page's token, made when a form first prints it: a page without a form sets no cookie.
 * Made once per page, since a second secret would be set over the first and void its token.
 */
export function lazyCsrfToken(request: FastifyRequest, reply: FastifyReply): { toString(): string } {
  let token: string | undefined;
  return { toString: () => (token ??= reply.generateCsrf({ userInfo: csrfBinding(request) })) };
}
