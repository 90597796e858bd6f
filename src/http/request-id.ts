import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { containsIin } from '../identity/iin-in-text.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller's id may be: short, printable ASCII, safe to echo in a header and a log line. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;
/** Twelve digits, however separated: the least an IIN needs, tested before the full rule. */
const TWELVE_DIGITS = /(?:\d[^\d]*){12}/;

/**
 * A caller's id is kept only when it is well formed and holds no IIN in any spelling: it is written
 * in every log line of the request, and the raw IIN is never logged.
 */
export function isWellFormedRequestId(value: unknown): value is string {
  return typeof value === 'string' && WELL_FORMED.test(value) && !(TWELVE_DIGITS.test(value) && containsIin(value));
}

/**
 * Fastify's genReqId: the caller's X-Request-Id when it is well formed, else a fresh UUID.
 * Fastify's own requestIdHeader option is not used because it takes the header as it comes,
 * so a hostile value would reach every log line and the response.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return isWellFormedRequestId(given) ? given : randomUUID();
}

/** Every response carries the request's id, so a caller can quote it and it can be found in the logs. */
export function installRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    // Set on the raw response so that replies handed over to another handler (hijacked) carry it too.
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
  });
}
