import type pg from 'pg';
import type { CheckRecord, CheckWithLender } from '../../checks/check.js';
import type { CheckRepository, DecidedCheck, LoggedCheck, PendingCheck } from '../../checks/check.repository.js';
import type { CitizenKey } from '../../identity/citizen-key.js';
import { logCheck } from '../../log/entries.js';
import type { Receipt } from '../../log/sequencer.js';
import type { Channel, LenderType } from '../../registry/policy.js';
import type { CurrentBan } from '../../registry/restriction.repository.js';
import { decideCheck, type Interval } from '../../registry/restriction.rules.js';
import { Statement } from './pg-db.js';
import { assertClaimed, claimKeys } from './pg-idempotency.js';
import type { LockedState, PgLog } from './pg-log.js';
import type { PgRestrictions } from './pg-restrictions.js';
import type { Row } from './pg-rows.js';

function toCheck(r: Row): CheckRecord {
  return {
    id: r.id as string,
    lenderId: r.lender_id as string,
    citizenKey: r.citizen_key as Buffer,
    channel: r.channel as Channel,
    reference: r.reference as string,
    restricted: r.restricted as boolean,
    checkedAt: r.checked_at as Date,
    restrictionId: (r.restriction_id as string | null) ?? null,
    restrictionVersion: (r.restriction_version as number | null) ?? null,
    logIndex: (r.log_index as number | null) ?? null,
  };
}

function toCheckWithLender(r: Row): CheckWithLender {
  return {
    ...toCheck(r),
    lender: {
      id: r.lender_id as string,
      name: r.lender_name as string,
      bin: r.lender_bin as string,
      type: r.lender_type as LenderType,
    },
  };
}

const WITH_LENDER = `SELECT c.*, l.name AS lender_name, l.bin AS lender_bin, l.type AS lender_type
  FROM checks c JOIN lenders l ON l.id = c.lender_id WHERE c.citizen_key = $1`;

export class PgChecks implements CheckRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly log: PgLog,
    private readonly restrictions: PgRestrictions,
  ) {}

  /**
   * Decides a batch under the tree-state lock, so that no ban change can be logged between a check's decision and
   * its entry, whichever node made it: every check's ban and exemptions in one read, then every write in one
   * statement, so the lock is held for two round trips and the commit.
   */
  async decideBatch(batch: readonly PendingCheck[], now: Date): Promise<DecidedCheck[]> {
    return this.log.locked(async (c, state) => {
      // The log's instants never go backwards, whatever this node's clock says.
      const at = now.getTime() >= state.lastAt.getTime() ? now : state.lastAt;
      // Each check's ban and, where one exists, this lender's open exemptions from it, in one round trip under the lock.
      const found = await this.restrictions.bansFor(c, batch, at);
      const logged = batch.map((p, i): LoggedCheck => {
        const { ban, exemptions } = found[i] as { ban: CurrentBan | null; exemptions: Interval[] };
        const restricted = decideCheck(ban, exemptions, p.lender.type, p.channel, at);
        const record: CheckRecord = {
          id: p.id,
          lenderId: p.lender.id,
          citizenKey: p.citizenKey,
          channel: p.channel,
          reference: p.reference,
          restricted,
          checkedAt: at,
          restrictionId: ban?.id ?? null,
          restrictionVersion: ban?.version ?? null,
        };
        const entry = logCheck(record, p.lender.type);
        if (p.idempotency !== undefined) entry.idempotency = p.idempotency;
        return entry;
      });
      const receipts = await this.write(c, state, logged);
      return logged.map((l, i) => ({ record: l.record, receipt: receipts[i] as Receipt }));
    });
  }

  async insertBatch(batch: readonly LoggedCheck[]): Promise<Receipt[]> {
    if (batch.length === 0) return [];
    return this.log.locked((c, state) => this.write(c, state, batch));
  }

  /** One batch's writes in one statement: the checks, their log entries, the checkpoint and any Idempotency-Keys. */
  async write(c: pg.PoolClient, state: LockedState, batch: readonly LoggedCheck[]): Promise<Receipt[]> {
    const last = batch[batch.length - 1];
    const append = this.log.plan(
      state,
      batch.map((b) => b.entry),
    );
    const { receipts } = append;
    const s = new Statement();
    const records = batch.map((b) => b.record);
    s.with(
      'checks',
      `INSERT INTO checks (id, lender_id, citizen_key, channel, reference, restricted, checked_at, restriction_id,
         restriction_version, log_index)
       SELECT * FROM unnest(${s.p(records.map((r) => r.id))}::text[], ${s.p(records.map((r) => r.lenderId))}::text[],
         ${s.p(records.map((r) => r.citizenKey))}::bytea[], ${s.p(records.map((r) => r.channel))}::text[],
         ${s.p(records.map((r) => r.reference))}::text[], ${s.p(records.map((r) => r.restricted))}::boolean[],
         ${s.p(records.map((r) => r.checkedAt))}::timestamptz[], ${s.p(records.map((r) => r.restrictionId))}::text[],
         ${s.p(records.map((r) => r.restrictionVersion))}::integer[], ${s.p(receipts.map((r) => r.logIndex))}::bigint[])`,
    );
    this.log.write(s, append, last ? last.record.checkedAt : new Date());
    const claims = batch.flatMap((b, i) =>
      b.idempotency === undefined ? [] : [{ claim: b.idempotency, checkId: b.record.id, receipt: receipts[i]?.receipt ?? null }],
    );
    claimKeys(s, 'claims', claims);
    const result = await c.query(
      s.text(claims.length === 0 ? 'SELECT 0 AS claimed' : 'SELECT count(*) AS claimed FROM claims'),
      s.params,
    );
    assertClaimed(result.rows[0].claimed, claims.length);
    return receipts;
  }

  async findById(id: string): Promise<CheckRecord | null> {
    const r = (await this.pool.query('SELECT * FROM checks WHERE id = $1', [id])).rows[0];
    return r ? toCheck(r) : null;
  }

  async count(): Promise<number> {
    return (await this.pool.query('SELECT count(*) AS n FROM checks')).rows[0].n;
  }

  async listByCitizen(citizenKey: CitizenKey): Promise<CheckWithLender[]> {
    const { rows } = await this.pool.query(`${WITH_LENDER} ORDER BY c.checked_at, c.id`, [citizenKey]);
    return rows.map(toCheckWithLender);
  }

  async pageByCitizen(
    citizenKey: CitizenKey,
    page: { offset: number; limit: number },
  ): Promise<{ checks: CheckWithLender[]; total: number }> {
    const { rows } = await this.pool.query(`${WITH_LENDER} ORDER BY c.checked_at DESC, c.id DESC LIMIT $2 OFFSET $3`, [
      citizenKey,
      page.limit,
      page.offset,
    ]);
    const total = (await this.pool.query('SELECT count(*) AS n FROM checks WHERE citizen_key = $1', [citizenKey])).rows[0].n;
    return { checks: rows.map(toCheckWithLender), total };
  }
}
