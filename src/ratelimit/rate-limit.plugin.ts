import fastifyRateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { RateLimitRepository } from './rate-limit.repository.js';

/** A lender's budget is counted per route in fixed windows of one minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** How long a start waits for Redis before serving without it (the limit bites once Redis answers). */
const REDIS_READY_WAIT_MS = 2_000;

export interface RateLimitDeps {
  /** Redis counts when set; otherwise the store does. */
  redisUrl: string | null;
  redisKeyPrefix: string;
  rateLimits: RateLimitRepository;
  clock: Clock;
}

/**
 * @fastify/rate-limit's store on a RateLimitRepository: one upsert per request, in the window of the clock's
 * instant, so that every node on the store shares one count. The plugin makes one child per route.
 */
function storeCounter(repo: RateLimitRepository, clock: Clock) {
  return class StoreCounter implements FastifyRateLimitStore {
    constructor(
      _options: unknown,
      private readonly route = '',
    ) {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number) {
      const now = clock.now().getTime();
      const start = now - (now % timeWindow);
      repo.increment(`${this.route}${key}`, new Date(start)).then(
        (current) => callback(null, { current, ttl: start + timeWindow - now }),
        (e: Error) => callback(e),
      );
    }

    child(routeOptions: { method: string | string[]; url?: string }): FastifyRateLimitStore {
      return new StoreCounter(undefined, `${[routeOptions.method].flat().join(',')} ${routeOptions.url ?? ''} `);
    }
  };
}

/**
 * Registers @fastify/rate-limit (routes opt in with `config.rateLimit`), counting in Redis when configured,
 * otherwise in the store.
 *
 * When the count cannot be read (Redis unreachable, or the store failing) the request goes through
 * unlimited: the limit fails open. Lenders must call this API before every loan, so refusing every check while
 * a counter is down would stop lending across the country; an unlimited check is still authenticated,
 * recorded and logged under the lender's name, so abuse in that time remains visible and attributable.
 */
export async function registerRateLimit(app: FastifyInstance, deps: RateLimitDeps): Promise<void> {
  if (deps.redisUrl === null) {
    await app.register(fastifyRateLimit, { global: false, skipOnError: true, store: storeCounter(deps.rateLimits, deps.clock) });
    return;
  }
  const redis = new Redis(deps.redisUrl, {
    // Fail at once rather than queue: while Redis is away, a check must not wait for it.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 100,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (err) => {
    if (down) return;
    down = true;
    app.log.warn({ err }, 'Redis is unreachable: the rate limit is not enforced until it is back');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    app.log.info('Redis is reachable again: the rate limit is enforced');
  });
  app.addHook('onClose', async () => {
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  });
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, REDIS_READY_WAIT_MS);
    redis.once('ready', done);
  });
  await app.register(fastifyRateLimit, {
    global: false,
    skipOnError: true,
    redis,
    nameSpace: `${deps.redisKeyPrefix}rate:`,
  });
}
