import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What every response carries, whatever route or error produced it. */
const BASELINE: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  // No page of the registry may be framed (clickjacking); the CSP says it for browsers that read it.
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
};

/** Whether the request is a signed-in citizen's, whose every answer is personal. */
function personal(request: FastifyRequest): boolean {
  // The session exists only in the portal's scope; elsewhere this is undefined.
  const session = (request as { session?: { citizen?: unknown } | null }).session;
  return session?.citizen !== undefined && session?.citizen !== null;
}

/** The baseline on a reply built outside the hooks (Fastify's frameworkErrors, which runs none). */
export function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(BASELINE)) reply.header(name, value);
}

/**
 * The headers of every response: nosniff, no framing, and `Cache-Control: no-store` on whatever is
 * answered to a signed-in citizen (pages and downloads alike), so that no cache keeps a citizen's
 * record after they sign out. A scope with its own Content Security Policy (the portal, the
 * identity provider) keeps it: theirs forbid framing too. Install before any route is registered.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  // On the raw response first: a reply handed over to another framework (the identity provider)
  // skips onSend, and a scope's own policy set later on the raw response replaces this one.
  app.addHook('onRequest', async (_request, reply) => {
    for (const [name, value] of Object.entries(BASELINE)) reply.raw.setHeader(name, value);
  });
  // Again before sending, for answers that never ran onRequest (router errors, early 503s).
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', BASELINE['x-content-type-options']);
    // Helmet's default is SAMEORIGIN: nothing here is meant to be framed, even by itself.
    reply.header('x-frame-options', BASELINE['x-frame-options']);
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', BASELINE['content-security-policy']);
    if (personal(request)) reply.header('cache-control', 'no-store');
    return payload;
  });
}
