import type pg from 'pg';
import type { LeaseRepository } from '../../schedule/lease.repository.js';

export class PgLeases implements LeaseRepository {
  constructor(private readonly pool: pg.Pool) {}

  async take(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    // One statement: ON CONFLICT locks the row, so of two nodes asking at once the second sees the first's lease
    // and its WHERE fails; RETURNING says whether this one got it.
    const r = await this.pool.query(
      `INSERT INTO job_leases (name, holder, until) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
       WHERE job_leases.until <= $4
       RETURNING holder`,
      [name, holder, until, now],
    );
    return r.rowCount === 1;
  }

  async find(name: string): Promise<{ holder: string; until: Date } | null> {
    const r = (await this.pool.query('SELECT holder, until FROM job_leases WHERE name = $1', [name])).rows[0];
    return r === undefined ? null : { holder: r.holder as string, until: r.until as Date };
  }
}
