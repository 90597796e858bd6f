import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { RATE_LIMIT_WINDOW_MS } from '../ratelimit/rate-limit.plugin.js';
import type { Store } from '../store/store.js';
import type { Job } from './scheduler.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The housekeeping every registry runs, once per period across all its nodes. Later reminders and
 * notifications are added here as jobs of their own.
 */
export function housekeepingJobs(deps: { store: Store; idempotency: IdempotencyService }): Job[] {
  const { store, idempotency } = deps;
  return [
    { name: 'idempotency-keys.purge', everyMs: HOUR, run: (now) => idempotency.purgeExpired(now) },
    {
      name: 'rate-limit-windows.purge',
      everyMs: 10 * MINUTE,
      // The window under way and the one before it are kept; older ones count for nothing.
      run: (now) => store.rateLimits.purge(new Date(now.getTime() - 2 * RATE_LIMIT_WINDOW_MS)),
    },
    { name: 'portal-sessions.purge', everyMs: 15 * MINUTE, run: (now) => store.sessions.purge(now) },
    { name: 'dev-idp-records.purge', everyMs: 15 * MINUTE, run: (now) => store.devIdp.purge(now) },
  ];
}
