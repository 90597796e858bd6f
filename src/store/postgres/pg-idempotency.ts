import type pg from 'pg';
import { AppError } from '../../errors.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  type IdempotencyClaim,
  type IdempotencyRecord,
  type IdempotencyRepository,
} from '../../idempotency/idempotency.js';
import type { Statement } from './pg-db.js';

/**
 * Adds the recording of claimed keys to a write's statement, as part `name`. An expired record of the same key
 * makes way; a live one is left as it is and returns no row, which `assertClaimed` turns into a failure of the
 * whole transaction, so a write is never recorded twice under one key. A key claimed twice in one batch is recorded
 * once (ON CONFLICT cannot touch a row twice in one statement), and so fails the batch the same way.
 */
export function claimKeys(
  s: Statement,
  name: string,
  claims: readonly { claim: IdempotencyClaim; checkId?: string | null; receipt?: string | null }[],
): void {
  if (claims.length === 0) return;
  s.with(
    name,
    `INSERT INTO idempotency_keys AS k (caller, key, request_hash, created_at, check_id, receipt, response)
     SELECT DISTINCT ON (u.caller, u.key) u.*, NULL
       FROM unnest(${s.p(claims.map((c) => c.claim.caller))}::text[], ${s.p(claims.map((c) => c.claim.key))}::text[],
         ${s.p(claims.map((c) => c.claim.requestHash))}::bytea[], ${s.p(claims.map((c) => c.claim.at))}::timestamptz[],
         ${s.p(claims.map((c) => c.checkId ?? null))}::text[], ${s.p(claims.map((c) => c.receipt ?? null))}::text[])
         AS u (caller, key, request_hash, created_at, check_id, receipt)
     ON CONFLICT (caller, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
       check_id = EXCLUDED.check_id, receipt = EXCLUDED.receipt, response = NULL
     WHERE k.created_at < EXCLUDED.created_at - ${s.p(`${IDEMPOTENCY_WINDOW_MS} milliseconds`)}::interval
     RETURNING 1`,
  );
}

/** Throws (and so rolls the transaction back) when fewer keys were recorded than claimed. */
export function assertClaimed(claimed: number, wanted: number): void {
  if (claimed < wanted) throw new AppError('unavailable', 'Another request with this Idempotency-Key was recorded meanwhile.');
}

export class PgIdempotency implements IdempotencyRepository {
  constructor(private readonly pool: pg.Pool) {}

  async find(caller: string, key: string, notBefore: Date): Promise<IdempotencyRecord | null> {
    const r = (
      await this.pool.query('SELECT * FROM idempotency_keys WHERE caller = $1 AND key = $2 AND created_at >= $3', [
        caller,
        key,
        notBefore,
      ])
    ).rows[0];
    if (r === undefined) return null;
    return {
      caller: r.caller,
      key: r.key,
      requestHash: r.request_hash,
      at: r.created_at,
      checkId: r.check_id ?? null,
      receipt: r.receipt ?? null,
      response: r.response ?? null,
    };
  }

  async saveResponse(caller: string, key: string, response: string): Promise<void> {
    await this.pool.query('UPDATE idempotency_keys SET response = $1 WHERE caller = $2 AND key = $3', [response, caller, key]);
  }

  async purge(before: Date): Promise<number> {
    return (await this.pool.query('DELETE FROM idempotency_keys WHERE created_at < $1', [before])).rowCount ?? 0;
  }
}
