import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, type ErrorCode, errorBody } from '../errors.js';
import { containsIin } from '../identity/iin-in-text.js';
import { maskDigits } from '../logger.js';
import { bearerChallenge } from './bearer.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** Fastify's own errors that a client causes, with the catalogue code (and a plainer message) for each. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_BAD_URL: { code: 'invalid_request', message: 'The URL is malformed: it holds an invalid percent-encoding.' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_request', message: 'The body does not match its Content-Length.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_request', message: 'The body is empty; send a JSON document.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_request', message: 'The body is not valid JSON.' },
};

/** Client errors from elsewhere (plugins, libraries) by status; any other 4xx is 400 invalid_request. */
const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

interface Answer {
  code: ErrorCode;
  message?: string;
  /** A fault of ours rather than the client's: it is logged, and nothing of it is shown. */
  fault: boolean;
}

function answerFor(error: FastifyError | AppError): Answer {
  if (error instanceof AppError) return { code: error.code, message: error.message, fault: error.statusCode >= 500 };
  const known = Object.hasOwn(FASTIFY_ERRORS, error.code) ? FASTIFY_ERRORS[error.code] : undefined;
  if (known) return { ...known, fault: false };
  if (error.validation) return { code: 'invalid_request', message: `The request is invalid: ${error.message}.`, fault: false };
  const status = error.statusCode ?? (error as { status?: number }).status ?? 500;
  if (status >= 400 && status < 500) return { code: BY_STATUS[status] ?? 'invalid_request', fault: false };
  return { code: status === 503 ? 'unavailable' : 'internal_error', fault: true };
}

function send(request: FastifyRequest, reply: FastifyReply, { code, message }: Answer): FastifyReply {
  const { status } = ERRORS[code];
  // RFC 6750 §3: a 401 always says how to authenticate, whichever hook refused.
  if (status === 401 && !reply.hasHeader('www-authenticate')) {
    bearerChallenge(reply, /^Bearer\s/i.test(request.headers.authorization ?? ''));
  }
  return reply.code(status).send(errorBody(code, message));
}

/** Whether a path holds an IIN in any spelling, percent-encoded or not. */
function pathHoldsIin(path: string): boolean {
  if (containsIin(path)) return true;
  try {
    return containsIin(decodeURIComponent(path));
  } catch {
    return false;
  }
}

/**
 * The path of a request as it may be shown back: without the query, 12-digit runs masked, and short;
 * a path that spells an IIN some other way (with separators, in other digits, percent-encoded) is not shown.
 */
function shownPath(request: FastifyRequest): string {
  const raw = request.url.split('?')[0] ?? '';
  if (pathHoldsIin(raw)) return 'this path';
  const path = maskDigits(raw);
  return path.length > 100 ? `${path.slice(0, 100)}…` : path;
}

/** A route's path as a pattern: `:param` is one segment, `*` anything. */
function routePattern(url: string): RegExp {
  const segments = url
    .split('/')
    .map((s) => (s === '*' ? '.*' : s.includes(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}$`);
}

/** GET catch-alls under these prefixes answer in JSON, ahead of the portal's page catch-all. */
const JSON_PREFIXES = ['/v1/*', '/docs/*'];
/** Catch-alls say nothing about which methods a path allows. */
const CATCH_ALLS = new Set(['/*', ...JSON_PREFIXES]);

/**
 * One place turns every failure into `{ error: { code, message } }` with a catalogue code:
 * the routes' own errors, Fastify's (bad JSON, wrong content type, too large), unknown routes
 * (404, or 405 with Allow when the path exists for other methods), and requests that arrive
 * while the server shuts down (503). Anything unforeseen is a 500 that shows nothing internal.
 * The portal's pages set their own handler in their scope; this one stays behind it.
 */
export function installErrorHandler(app: FastifyInstance): void {
  const routes: { methods: string[]; pattern: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    if (CATCH_ALLS.has(route.url ?? '')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ methods, pattern: routePattern(route.url ?? route.path) });
  });

  // In place of Fastify's return503OnClosing, whose answer is not in the catalogue's shape.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.code(503).header('connection', 'close').send(errorBody('unavailable', 'The registry is shutting down; try again.'));
    return reply;
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const answer = answerFor(error);
    if (answer.fault) {
      const cause = error instanceof AppError ? (error.cause ?? error) : error;
      request.log.error({ err: cause }, error instanceof AppError ? error.message : 'unhandled error');
    }
    if (reply.sent) return;
    return send(request, reply, answer);
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods));
    if (allowed.size > 0 && !allowed.has(request.method)) {
      // RFC 9110 §15.5.6: a 405 lists the methods the resource does allow.
      reply.header('allow', [...allowed].sort().join(', '));
      return send(request, reply, { code: 'method_not_allowed', fault: false });
    }
    return send(request, reply, {
      code: 'not_found',
      message: `No route for ${request.method} ${shownPath(request)}.`,
      fault: false,
    });
  };
  app.setNotFoundHandler(notFound);
  for (const url of JSON_PREFIXES) app.get(url, { schema: { hide: true } }, notFound);
}

/**
 * Fastify's frameworkErrors option: errors the router raises before any hook runs, such as a
 * malformed percent-encoding in the path (FST_ERR_BAD_URL).
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header(REQUEST_ID_HEADER, request.id);
  const answer = answerFor(error);
  if (answer.fault) request.log.error({ err: error }, 'router error');
  send(request, reply, answer);
}

/**
 * Fastify's clientErrorHandler option: a request Node's HTTP parser refused (a control character
 * in a header, headers over the limit, a timeout). There is no request object, so the answer is
 * written to the socket by hand, with a fresh request id.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'request_timeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 'headers_too_large'
        : 'invalid_request';
  const message = code === 'invalid_request' ? 'The request is not valid HTTP.' : undefined;
  const id = randomUUID();
  // Only the parser's code is logged: the error also holds the raw bytes received, which may hold an IIN.
  this.log.info({ reqId: id, parserError: error.code }, 'client error');
  if (!socket.writable) return void socket.destroy();
  const { status } = ERRORS[code];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${id}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
