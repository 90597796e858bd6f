import type { FastifyReply } from 'fastify';

export const BEARER_REALM = 'tyiym';

/**
 * Adds the challenge every 401 of a bearer-protected resource carries (RFC 6750 §3). `given`:
 * a bearer credential was sent but refused, so the challenge says error="invalid_token";
 * without one (or with another scheme) it carries no error code (RFC 6750 §3.1).
 * Call it from an auth hook just before throwing AppError('unauthorized').
 */
export function bearerChallenge(reply: FastifyReply, given: boolean): FastifyReply {
  return reply.header(
    'www-authenticate',
    given ? `Bearer realm="${BEARER_REALM}", error="invalid_token"` : `Bearer realm="${BEARER_REALM}"`,
  );
}
