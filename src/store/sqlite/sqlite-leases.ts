import type Database from 'better-sqlite3';
import type { LeaseRepository } from '../../schedule/lease.repository.js';
import type { Durable, Row } from './rows.js';

export class SqliteLeases implements LeaseRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {}

  async take(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    // One statement: the upsert's WHERE lets it replace only a lease that has ended, and RETURNING says whether it did.
    const row = await this.durable(
      () =>
        this.db
          .prepare(
            `INSERT INTO job_leases (name, holder, until) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE job_leases.until <= ?
             RETURNING holder`,
          )
          .get(name, holder, until.getTime(), now.getTime()) as Row | undefined,
    );
    return row !== undefined;
  }

  async find(name: string): Promise<{ holder: string; until: Date } | null> {
    const r = this.db.prepare('SELECT holder, until FROM job_leases WHERE name = ?').get(name) as Row | undefined;
    return r === undefined ? null : { holder: r.holder as string, until: new Date(r.until as number) };
  }
}
