import type { FastifyRequest } from 'fastify';
import type { IdempotencyClaim } from '../idempotency/idempotency.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import type { Citizen } from '../identity/citizen.js';

/**
 * Runs a citizen's write at most once per Idempotency-Key. The key is recorded in the write's own
 * transaction, and the answer right after it; a retry gets that answer back. Should the process die
 * between the two, the write happened once and a retry is answered with the record as it is now.
 */
export async function idempotently<B>(
  idempotency: IdempotencyService,
  request: FastifyRequest,
  citizen: Citizen,
  write: (claim: IdempotencyClaim | undefined) => Promise<B>,
  asItIsNow: () => Promise<B>,
): Promise<B> {
  const key = idempotency.keyOf(request.headers['idempotency-key']);
  if (key === null) return write(undefined);
  const path = request.routeOptions.url ?? request.url;
  const claim = idempotency.claim(`citizen:${citizen.key.toString('base64url')}`, key, [
    request.method,
    path,
    request.body ?? null,
  ]);
  return idempotency.serially(claim, async () => {
    const prior = await idempotency.prior(claim);
    if (prior !== null) return prior.response === null ? asItIsNow() : (JSON.parse(prior.response) as B);
    const answer = await write(claim);
    await idempotency.saveResponse(claim, answer);
    return answer;
  });
}
