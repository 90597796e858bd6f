import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { containsIin } from '../identity/iin-in-text.js';

/**
 * The request's Idempotency-Key, or null without one. The key is stored as given for 24 hours, so,
 * like a reference, it must not hold an IIN in any spelling (a borrower's IIN is a tempting key).
 */
export function idempotencyKeyOf(idempotency: IdempotencyService, request: FastifyRequest): string | null {
  const key = idempotency.keyOf(request.headers['idempotency-key']);
  if (key !== null && containsIin(key)) {
    throw new AppError(
      'invalid_idempotency_key',
      'The Idempotency-Key must not contain an IIN, in any spelling; use a key of your own, new for each request.',
    );
  }
  return key;
}
