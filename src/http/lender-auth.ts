import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Lender } from '../lenders/lender.js';
import type { LenderService } from '../lenders/lender.service.js';
import { bearerChallenge } from './bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    lender: Lender | null;
  }
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/** An onRequest hook: the lender is known from its API key before the body is even read. */
export function lenderAuth(lenders: LenderService) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const m = header === undefined ? null : BEARER.exec(header);
    if (m === null) {
      bearerChallenge(reply, false);
      throw new AppError('unauthorized', 'Send the API key as "Authorization: Bearer <key>".');
    }
    const lender = await lenders.authenticate(m[1] as string);
    if (lender === null) {
      bearerChallenge(reply, true);
      throw new AppError('unauthorized', 'The API key is unknown or has been revoked.');
    }
    request.lender = lender;
  };
}

export function requireLender(request: FastifyRequest): Lender {
  if (request.lender === null) throw new AppError('unauthorized');
  return request.lender;
}
