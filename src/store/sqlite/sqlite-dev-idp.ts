import type Database from 'better-sqlite3';
import type { DevIdpRecord, DevIdpRepository, FoundDevIdpRecord } from '../../idp/dev-idp.repository.js';
import { type Durable, dateOrNull, type Row } from './rows.js';

const LIVE = '(expires_at IS NULL OR expires_at > ?)';

function toFound(r: Row | undefined): FoundDevIdpRecord | null {
  if (r === undefined) return null;
  return { idHash: r.id_hash as Buffer, payload: r.payload as Buffer, consumedAt: dateOrNull(r.consumed_at) };
}

export class SqliteDevIdp implements DevIdpRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {}

  async upsert(r: DevIdpRecord): Promise<void> {
    await this.durable(() =>
      this.db
        .prepare(
          `INSERT INTO dev_idp_records (model, id_hash, payload, uid, user_code, grant_id, consumed_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, NULL, ?)
           ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload, uid = excluded.uid,
             user_code = excluded.user_code, grant_id = excluded.grant_id, consumed_at = NULL, expires_at = excluded.expires_at`,
        )
        .run(r.model, r.idHash, r.payload, r.uid, r.userCode, r.grantId, r.expiresAt?.getTime() ?? null),
    );
  }

  async find(model: string, idHash: Buffer, now: Date): Promise<FoundDevIdpRecord | null> {
    return toFound(
      this.db
        .prepare(`SELECT id_hash, payload, consumed_at FROM dev_idp_records WHERE model = ? AND id_hash = ? AND ${LIVE}`)
        .get(model, idHash, now.getTime()) as Row | undefined,
    );
  }

  async findByUid(model: string, uid: string, now: Date): Promise<FoundDevIdpRecord | null> {
    return toFound(
      this.db
        .prepare(`SELECT id_hash, payload, consumed_at FROM dev_idp_records WHERE model = ? AND uid = ? AND ${LIVE} LIMIT 1`)
        .get(model, uid, now.getTime()) as Row | undefined,
    );
  }

  async findByUserCode(model: string, userCode: string, now: Date): Promise<FoundDevIdpRecord | null> {
    return toFound(
      this.db
        .prepare(
          `SELECT id_hash, payload, consumed_at FROM dev_idp_records WHERE model = ? AND user_code = ? AND ${LIVE} LIMIT 1`,
        )
        .get(model, userCode, now.getTime()) as Row | undefined,
    );
  }

  async consume(model: string, idHash: Buffer, at: Date): Promise<void> {
    await this.durable(() =>
      this.db
        .prepare('UPDATE dev_idp_records SET consumed_at = ? WHERE model = ? AND id_hash = ?')
        .run(at.getTime(), model, idHash),
    );
  }

  async destroy(model: string, idHash: Buffer): Promise<void> {
    await this.durable(() => this.db.prepare('DELETE FROM dev_idp_records WHERE model = ? AND id_hash = ?').run(model, idHash));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.durable(() => this.db.prepare('DELETE FROM dev_idp_records WHERE grant_id = ?').run(grantId));
  }

  async purge(before: Date): Promise<number> {
    const res = await this.durable(() =>
      this.db.prepare('DELETE FROM dev_idp_records WHERE expires_at <= ?').run(before.getTime()),
    );
    return res.changes;
  }
}
