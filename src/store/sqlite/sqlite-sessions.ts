import type Database from 'better-sqlite3';
import type { SessionRepository } from '../../portal/session.repository.js';
import type { Durable, Row } from './rows.js';

export class SqliteSessions implements SessionRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {}

  async find(idHash: Buffer, now: Date): Promise<string | null> {
    const r = this.db.prepare('SELECT data FROM portal_sessions WHERE id_hash = ? AND ends_at > ?').get(idHash, now.getTime()) as
      | Row
      | undefined;
    return r === undefined ? null : (r.data as string);
  }

  async save(idHash: Buffer, data: string, endsAt: Date): Promise<void> {
    await this.durable(() =>
      this.db
        .prepare(
          `INSERT INTO portal_sessions (id_hash, data, ends_at) VALUES (?, ?, ?)
           ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, ends_at = excluded.ends_at`,
        )
        .run(idHash, data, endsAt.getTime()),
    );
  }

  async delete(idHash: Buffer): Promise<void> {
    await this.durable(() => this.db.prepare('DELETE FROM portal_sessions WHERE id_hash = ?').run(idHash));
  }

  async count(now: Date): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM portal_sessions WHERE ends_at > ?').get(now.getTime()) as Row).n as number;
  }

  async purge(before: Date): Promise<number> {
    const res = await this.durable(() => this.db.prepare('DELETE FROM portal_sessions WHERE ends_at <= ?').run(before.getTime()));
    return res.changes;
  }
}
