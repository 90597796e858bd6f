import type Database from 'better-sqlite3';
import type { RateLimitRepository } from '../../ratelimit/rate-limit.repository.js';
import type { Durable, Row } from './rows.js';

interface Pending {
  bucket: string;
  windowStart: number;
  resolve: (count: number) => void;
  reject: (e: unknown) => void;
}

/**
 * The rate limit's windows. Every request is one upsert; the upserts of the requests that arrived in one turn
 * of the event loop share one transaction, since a commit costs about three times the upsert itself, and this
 * is on every check's path. A count is written without waiting for the WAL's fsync: it is worth nothing after
 * a power loss (its window is over by then), and the check it guards waits for its own.
 */
export class SqliteRateLimits implements RateLimitRepository {
  private readonly upsert: Database.Statement;
  private pending: Pending[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {
    this.upsert = db.prepare(
      `INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES (?, ?, 1)
       ON CONFLICT (bucket, window_start) DO UPDATE SET count = count + 1
       RETURNING count`,
    );
  }

  increment(bucket: string, windowStart: Date): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ bucket, windowStart: windowStart.getTime(), resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    let counts: number[];
    try {
      counts = this.db.transaction(() => batch.map((p) => (this.upsert.get(p.bucket, p.windowStart) as Row).count as number))();
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(counts[i] as number);
    });
  }

  async purge(before: Date): Promise<number> {
    return (
      await this.durable(() => this.db.prepare('DELETE FROM rate_limit_windows WHERE window_start < ?').run(before.getTime()))
    ).changes;
  }
}
