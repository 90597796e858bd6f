import type pg from 'pg';
import { AppError } from '../../errors.js';
import type { Lender } from '../../lenders/lender.js';
import type { LenderRepository } from '../../lenders/lender.repository.js';
import type { LenderType } from '../../registry/policy.js';
import { inTransaction, sqlState, UNIQUE_VIOLATION } from './pg-db.js';
import type { Row } from './pg-rows.js';

function toLender(r: Row): Lender {
  return {
    id: r.id as string,
    name: r.name as string,
    bin: r.bin as string,
    type: r.type as LenderType,
    status: r.status as Lender['status'],
    keyPrefix: r.key_prefix as string,
    createdAt: r.created_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

const COLUMNS = 'id, name, bin, type, status, key_prefix, created_at, revoked_at';

export class PgLenders implements LenderRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(l: Lender, keyHash: Buffer): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO lenders (id, name, bin, type, status, key_hash, key_prefix, created_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [l.id, l.name, l.bin, l.type, l.status, keyHash, l.keyPrefix, l.createdAt, l.revokedAt],
      );
    } catch (e) {
      if (sqlState(e) === UNIQUE_VIOLATION) throw new AppError('lender_exists');
      throw e;
    }
  }

  async list(): Promise<Lender[]> {
    return (await this.pool.query(`SELECT ${COLUMNS} FROM lenders ORDER BY created_at, id`)).rows.map(toLender);
  }

  async findById(id: string): Promise<Lender | null> {
    const r = (await this.pool.query(`SELECT ${COLUMNS} FROM lenders WHERE id = $1`, [id])).rows[0];
    return r ? toLender(r) : null;
  }

  async findByBin(bin: string): Promise<Lender | null> {
    const r = (await this.pool.query(`SELECT ${COLUMNS} FROM lenders WHERE bin = $1`, [bin])).rows[0];
    return r ? toLender(r) : null;
  }

  async findByKeyHash(keyHash: Buffer, at: Date): Promise<Lender | null> {
    const r = (
      await this.pool.query({
        name: 'lender_by_key',
        text: `SELECT ${COLUMNS} FROM lenders WHERE key_hash = $1
               UNION ALL
               SELECT ${COLUMNS.replace(/(\w+)/g, 'l.$1')} FROM lender_old_keys k JOIN lenders l ON l.id = k.lender_id
                WHERE k.key_hash = $1 AND k.expires_at > $2
               LIMIT 1`,
        values: [keyHash, at],
      })
    ).rows[0];
    return r ? toLender(r) : null;
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE lenders SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status = 'active'`,
      [at, id],
    );
    return res.rowCount === 1;
  }

  async replaceKey(id: string, keyHash: Buffer, keyPrefix: string, keepOldUntil: Date | null): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const old = (await c.query(`SELECT key_hash, key_prefix FROM lenders WHERE id = $1 AND status = 'active' FOR UPDATE`, [id]))
        .rows[0];
      if (old === undefined) return false;
      // Only the key being replaced overlaps; an older one still in its overlap is cut off now.
      await c.query('DELETE FROM lender_old_keys WHERE lender_id = $1', [id]);
      if (keepOldUntil !== null)
        await c.query('INSERT INTO lender_old_keys (key_hash, lender_id, key_prefix, expires_at) VALUES ($1, $2, $3, $4)', [
          old.key_hash,
          id,
          old.key_prefix,
          keepOldUntil,
        ]);
      await c.query('UPDATE lenders SET key_hash = $1, key_prefix = $2 WHERE id = $3', [keyHash, keyPrefix, id]);
      return true;
    });
  }
}
