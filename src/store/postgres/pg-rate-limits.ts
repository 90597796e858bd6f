import type pg from 'pg';
import type { RateLimitRepository } from '../../ratelimit/rate-limit.repository.js';

/**
 * The rate limit's windows, in an UNLOGGED table: a count needs no WAL, no fsync at commit and no replica, and
 * a crash that empties the table only forgives the current minute.
 */
export class PgRateLimits implements RateLimitRepository {
  constructor(private readonly pool: pg.Pool) {}

  async increment(bucket: string, windowStart: Date): Promise<number> {
    const r = await this.pool.query({
      name: 'rate_limit_increment',
      text: `INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + 1
             RETURNING count`,
      values: [bucket, windowStart],
    });
    return Number(r.rows[0].count);
  }

  async purge(before: Date): Promise<number> {
    return (await this.pool.query('DELETE FROM rate_limit_windows WHERE window_start < $1', [before])).rowCount ?? 0;
  }
}
