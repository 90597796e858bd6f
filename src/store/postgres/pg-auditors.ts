import type pg from 'pg';
import type { Auditor, AuditorRepository } from '../../auditors/auditor.js';
import type { Row } from './pg-rows.js';

function toAuditor(r: Row): Auditor {
  return {
    id: r.id as string,
    name: r.name as string,
    status: r.status as Auditor['status'],
    keyPrefix: r.key_prefix as string,
    createdAt: r.created_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

const COLUMNS = 'id, name, status, key_prefix, created_at, revoked_at';

export class PgAuditors implements AuditorRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(a: Auditor, keyHash: Buffer): Promise<void> {
    await this.pool.query(
      `INSERT INTO auditors (id, name, status, key_hash, key_prefix, created_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [a.id, a.name, a.status, keyHash, a.keyPrefix, a.createdAt, a.revokedAt],
    );
  }

  async list(): Promise<Auditor[]> {
    return (await this.pool.query(`SELECT ${COLUMNS} FROM auditors ORDER BY created_at, id`)).rows.map(toAuditor);
  }

  async findById(id: string): Promise<Auditor | null> {
    const r = (await this.pool.query(`SELECT ${COLUMNS} FROM auditors WHERE id = $1`, [id])).rows[0];
    return r === undefined ? null : toAuditor(r);
  }

  async findByKeyHash(keyHash: Buffer): Promise<Auditor | null> {
    const r = (await this.pool.query(`SELECT ${COLUMNS} FROM auditors WHERE key_hash = $1`, [keyHash])).rows[0];
    return r === undefined ? null : toAuditor(r);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE auditors SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status = 'active'`,
      [at, id],
    );
    return res.rowCount === 1;
  }
}
