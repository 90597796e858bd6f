import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditorService } from '../auditors/auditor.service.js';
import { AppError } from '../errors.js';
import { bearerChallenge } from './bearer.js';

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/**
 * Only an auditor's key opens what links entries to one pseudonymous citizen (the entry bundles).
 * A lender's key is not an auditor's key, so it is refused like any unknown key.
 */
export async function requireAuditor(auditors: AuditorService, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const header = request.headers.authorization;
  const m = header === undefined ? null : BEARER.exec(header);
  if (m === null) {
    bearerChallenge(reply, false);
    throw new AppError('unauthorized', 'Entry bundles are for auditors: send an auditor key as "Authorization: Bearer <key>".');
  }
  if ((await auditors.authenticate(m[1] as string)) === null) {
    bearerChallenge(reply, true);
    throw new AppError('unauthorized', 'The key is not an active auditor key.');
  }
}
