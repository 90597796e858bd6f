import type Database from 'better-sqlite3';
import { AppError } from '../../errors.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  type IdempotencyClaim,
  type IdempotencyRecord,
  type IdempotencyRepository,
} from '../../idempotency/idempotency.js';
import type { Durable, Row } from './rows.js';

/**
 * Records a claimed key inside the caller's own write transaction. An expired record of the same key
 * makes way; a live one makes the insert fail, and with it the transaction, so a write is never
 * recorded twice under one key.
 */
export function insertClaim(
  db: Database.Database,
  claim: IdempotencyClaim,
  result: { checkId?: string; receipt?: string } = {},
): void {
  db.prepare('DELETE FROM idempotency_keys WHERE caller = ? AND key = ? AND created_at < ?').run(
    claim.caller,
    claim.key,
    claim.at.getTime() - IDEMPOTENCY_WINDOW_MS,
  );
  try {
    db.prepare(
      `INSERT INTO idempotency_keys (caller, key, request_hash, created_at, check_id, receipt, response)
       VALUES (?, ?, ?, ?, ?, ?, NULL)`,
    ).run(claim.caller, claim.key, claim.requestHash, claim.at.getTime(), result.checkId ?? null, result.receipt ?? null);
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
      throw new AppError('unavailable', 'Another request with this Idempotency-Key was recorded meanwhile.', { cause: e });
    throw e;
  }
}

export class SqliteIdempotency implements IdempotencyRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {}

  async find(caller: string, key: string, notBefore: Date): Promise<IdempotencyRecord | null> {
    const r = this.db
      .prepare('SELECT * FROM idempotency_keys WHERE caller = ? AND key = ? AND created_at >= ?')
      .get(caller, key, notBefore.getTime()) as Row | undefined;
    if (r === undefined) return null;
    return {
      caller: r.caller as string,
      key: r.key as string,
      requestHash: r.request_hash as Buffer,
      at: new Date(r.created_at as number),
      checkId: (r.check_id as string | null) ?? null,
      receipt: (r.receipt as string | null) ?? null,
      response: (r.response as string | null) ?? null,
    };
  }

  async saveResponse(caller: string, key: string, response: string): Promise<void> {
    await this.durable(() =>
      this.db.prepare('UPDATE idempotency_keys SET response = ? WHERE caller = ? AND key = ?').run(response, caller, key),
    );
  }

  async purge(before: Date): Promise<number> {
    return (await this.durable(() => this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(before.getTime())))
      .changes;
  }
}
