import type Database from 'better-sqlite3';
import { AppError } from '../../errors.js';
import type { Lender } from '../../lenders/lender.js';
import type { LenderRepository } from '../../lenders/lender.repository.js';
import type { LenderType } from '../../registry/policy.js';
import { type Durable, date, dateOrNull, ms, type Row } from './rows.js';

function toLender(r: Row): Lender {
  return {
    id: r.id as string,
    name: r.name as string,
    bin: r.bin as string,
    type: r.type as LenderType,
    status: r.status as Lender['status'],
    keyPrefix: r.key_prefix as string,
    createdAt: date(r.created_at),
    revokedAt: dateOrNull(r.revoked_at),
  };
}

export class SqliteLenders implements LenderRepository {
  private readonly byKeyHash: Database.Statement;
  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {
    this.byKeyHash = db.prepare(
      `SELECT * FROM lenders WHERE key_hash = ?
       UNION ALL
       SELECT l.* FROM lender_old_keys k JOIN lenders l ON l.id = k.lender_id WHERE k.key_hash = ? AND k.expires_at > ?
       LIMIT 1`,
    );
  }

  async insert(l: Lender, keyHash: Buffer): Promise<void> {
    try {
      await this.durable(() =>
        this.db
          .prepare(
            `INSERT INTO lenders (id, name, bin, type, status, key_hash, key_prefix, created_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(l.id, l.name, l.bin, l.type, l.status, keyHash, l.keyPrefix, l.createdAt.getTime(), ms(l.revokedAt)),
      );
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AppError('lender_exists');
      throw e;
    }
  }

  async list(): Promise<Lender[]> {
    return (this.db.prepare('SELECT * FROM lenders ORDER BY created_at, id').all() as Row[]).map(toLender);
  }

  async findById(id: string): Promise<Lender | null> {
    const r = this.db.prepare('SELECT * FROM lenders WHERE id = ?').get(id) as Row | undefined;
    return r ? toLender(r) : null;
  }

  async findByBin(bin: string): Promise<Lender | null> {
    const r = this.db.prepare('SELECT * FROM lenders WHERE bin = ?').get(bin) as Row | undefined;
    return r ? toLender(r) : null;
  }

  async findByKeyHash(keyHash: Buffer, at: Date): Promise<Lender | null> {
    const r = this.byKeyHash.get(keyHash, keyHash, at.getTime()) as Row | undefined;
    return r ? toLender(r) : null;
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const res = await this.durable(() =>
      this.db
        .prepare(`UPDATE lenders SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`)
        .run(at.getTime(), id),
    );
    return res.changes === 1;
  }

  async replaceKey(id: string, keyHash: Buffer, keyPrefix: string, keepOldUntil: Date | null): Promise<boolean> {
    const replace = this.db.transaction((): boolean => {
      const old = this.db.prepare(`SELECT key_hash, key_prefix FROM lenders WHERE id = ? AND status = 'active'`).get(id) as
        | Row
        | undefined;
      if (old === undefined) return false;
      // Only the key being replaced overlaps; an older one still in its overlap is cut off now.
      this.db.prepare('DELETE FROM lender_old_keys WHERE lender_id = ?').run(id);
      if (keepOldUntil !== null)
        this.db
          .prepare('INSERT INTO lender_old_keys (key_hash, lender_id, key_prefix, expires_at) VALUES (?, ?, ?, ?)')
          .run(old.key_hash, id, old.key_prefix, keepOldUntil.getTime());
      this.db.prepare('UPDATE lenders SET key_hash = ?, key_prefix = ? WHERE id = ?').run(keyHash, keyPrefix, id);
      return true;
    });
    return this.durable(() => replace.immediate());
  }
}
