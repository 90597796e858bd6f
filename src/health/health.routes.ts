import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { errorResponses } from '../http/schemas.js';

const Status = Type.Object({ status: Type.String() });

/** The one thing readiness asks of the store. */
export interface Pingable {
  ping(): Promise<void>;
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ store: Pingable }> = async (app, { store }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['service'], summary: 'The process is alive', response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: { tags: ['service'], summary: 'The store answers', response: { 200: Status, ...errorResponses(503) } },
    },
    async () => {
      try {
        await store.ping();
      } catch (e) {
        throw new AppError('unavailable', 'The store does not answer.', { cause: e });
      }
      return { status: 'ready' };
    },
  );
};
