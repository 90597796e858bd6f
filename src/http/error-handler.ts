import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, type ErrorCode, errorBody } from '../errors.js';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * One place turns every failure into `{ error: { code, message } }`. Known client errors
 * keep their message; anything else is a 500 that shows nothing of the internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      if (error.statusCode >= 500) request.log.error({ err: error.cause ?? error }, error.message);
      return reply.code(error.statusCode).send(errorBody(error.code, error.message));
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      return reply.code(400).send(errorBody('invalid_request', `The request is invalid: ${fe.message}.`));
    }
    const status = fe.statusCode ?? 500;
    const code = status < 500 ? BY_STATUS[status] : undefined;
    if (code !== undefined) {
      const message = status === 400 ? `The request is invalid: ${fe.message}` : undefined;
      return reply.code(status).send(errorBody(code, message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody('internal_error'));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`));
  });
}
