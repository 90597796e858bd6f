import type pg from 'pg';
import type { SessionRepository } from '../../portal/session.repository.js';

export class PgSessions implements SessionRepository {
  constructor(private readonly pool: pg.Pool) {}

  async find(idHash: Buffer, now: Date): Promise<string | null> {
    const r = (await this.pool.query('SELECT data FROM portal_sessions WHERE id_hash = $1 AND ends_at > $2', [idHash, now]))
      .rows[0];
    return r === undefined ? null : (r.data as string);
  }

  async save(idHash: Buffer, data: string, endsAt: Date): Promise<void> {
    await this.pool.query(
      `INSERT INTO portal_sessions (id_hash, data, ends_at) VALUES ($1, $2, $3)
       ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, ends_at = excluded.ends_at`,
      [idHash, data, endsAt],
    );
  }

  async delete(idHash: Buffer): Promise<void> {
    await this.pool.query('DELETE FROM portal_sessions WHERE id_hash = $1', [idHash]);
  }

  async count(now: Date): Promise<number> {
    return Number((await this.pool.query('SELECT count(*) AS n FROM portal_sessions WHERE ends_at > $1', [now])).rows[0].n);
  }

  async purge(before: Date): Promise<number> {
    return (await this.pool.query('DELETE FROM portal_sessions WHERE ends_at <= $1', [before])).rowCount ?? 0;
  }
}
