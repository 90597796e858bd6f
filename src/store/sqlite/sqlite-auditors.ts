import type Database from 'better-sqlite3';
import type { Auditor, AuditorRepository } from '../../auditors/auditor.js';
import type { Durable, Row } from './rows.js';

function toAuditor(r: Row): Auditor {
  return {
    id: r.id as string,
    name: r.name as string,
    status: r.status as Auditor['status'],
    keyPrefix: r.key_prefix as string,
    createdAt: new Date(r.created_at as number),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at as number),
  };
}

export class SqliteAuditors implements AuditorRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {}

  async insert(a: Auditor, keyHash: Buffer): Promise<void> {
    await this.durable(() =>
      this.db
        .prepare(
          `INSERT INTO auditors (id, name, status, key_hash, key_prefix, created_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(a.id, a.name, a.status, keyHash, a.keyPrefix, a.createdAt.getTime(), a.revokedAt?.getTime() ?? null),
    );
  }

  async list(): Promise<Auditor[]> {
    return (this.db.prepare('SELECT * FROM auditors ORDER BY created_at, id').all() as Row[]).map(toAuditor);
  }

  async findById(id: string): Promise<Auditor | null> {
    const r = this.db.prepare('SELECT * FROM auditors WHERE id = ?').get(id) as Row | undefined;
    return r === undefined ? null : toAuditor(r);
  }

  async findByKeyHash(keyHash: Buffer): Promise<Auditor | null> {
    const r = this.db.prepare('SELECT * FROM auditors WHERE key_hash = ?').get(keyHash) as Row | undefined;
    return r === undefined ? null : toAuditor(r);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const res = await this.durable(() =>
      this.db
        .prepare(`UPDATE auditors SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`)
        .run(at.getTime(), id),
    );
    return res.changes === 1;
  }
}
