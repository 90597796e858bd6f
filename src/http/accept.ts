import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * Whether an Accept header admits application/json (RFC 9110 §12.5.1): the most specific
 * range that matches decides, and q=0 means "not acceptable". No header accepts anything.
 */
export function acceptsJson(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  let best = -1; // specificity of the best match so far: 0 */*, 1 application/*, 2 application/json
  let weight = 0;
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const specificity = range === 'application/json' ? 2 : range === 'application/*' ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best) continue;
    const q = params.find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    best = specificity;
    weight = Number.isFinite(value) ? value : 0;
  }
  return best >= 0 && weight > 0;
}

/**
 * The JSON API under `prefix` answers 406 to a caller that accepts no JSON, after its key or
 * token is checked and before anything is done or recorded.
 */
export function installJsonAccept(app: FastifyInstance, prefix: string): void {
  app.addHook('preHandler', async (request) => {
    if (request.url.startsWith(prefix) && !acceptsJson(request.headers.accept)) throw new AppError('not_acceptable');
  });
}
