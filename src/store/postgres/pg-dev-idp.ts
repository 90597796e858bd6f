import type pg from 'pg';
import type { DevIdpRecord, DevIdpRepository, FoundDevIdpRecord } from '../../idp/dev-idp.repository.js';
import type { Row } from './pg-rows.js';

const LIVE = '(expires_at IS NULL OR expires_at > $3)';

function toFound(r: Row | undefined): FoundDevIdpRecord | null {
  if (r === undefined) return null;
  return { idHash: r.id_hash as Buffer, payload: r.payload as Buffer, consumedAt: (r.consumed_at as Date | null) ?? null };
}

export class PgDevIdp implements DevIdpRepository {
  constructor(private readonly pool: pg.Pool) {}

  async upsert(r: DevIdpRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO dev_idp_records (model, id_hash, payload, uid, user_code, grant_id, consumed_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)
       ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload, uid = excluded.uid,
         user_code = excluded.user_code, grant_id = excluded.grant_id, consumed_at = NULL, expires_at = excluded.expires_at`,
      [r.model, r.idHash, r.payload, r.uid, r.userCode, r.grantId, r.expiresAt],
    );
  }

  async find(model: string, idHash: Buffer, now: Date): Promise<FoundDevIdpRecord | null> {
    const q = `SELECT id_hash, payload, consumed_at FROM dev_idp_records WHERE model = $1 AND id_hash = $2 AND ${LIVE}`;
    return toFound((await this.pool.query(q, [model, idHash, now])).rows[0]);
  }

  async findByUid(model: string, uid: string, now: Date): Promise<FoundDevIdpRecord | null> {
    const q = `SELECT id_hash, payload, consumed_at FROM dev_idp_records WHERE model = $1 AND uid = $2 AND ${LIVE} LIMIT 1`;
    return toFound((await this.pool.query(q, [model, uid, now])).rows[0]);
  }

  async findByUserCode(model: string, userCode: string, now: Date): Promise<FoundDevIdpRecord | null> {
    const q = `SELECT id_hash, payload, consumed_at FROM dev_idp_records WHERE model = $1 AND user_code = $2 AND ${LIVE} LIMIT 1`;
    return toFound((await this.pool.query(q, [model, userCode, now])).rows[0]);
  }

  async consume(model: string, idHash: Buffer, at: Date): Promise<void> {
    await this.pool.query('UPDATE dev_idp_records SET consumed_at = $1 WHERE model = $2 AND id_hash = $3', [at, model, idHash]);
  }

  async destroy(model: string, idHash: Buffer): Promise<void> {
    await this.pool.query('DELETE FROM dev_idp_records WHERE model = $1 AND id_hash = $2', [model, idHash]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.pool.query('DELETE FROM dev_idp_records WHERE grant_id = $1', [grantId]);
  }

  async purge(before: Date): Promise<number> {
    return (await this.pool.query('DELETE FROM dev_idp_records WHERE expires_at <= $1', [before])).rowCount ?? 0;
  }
}
