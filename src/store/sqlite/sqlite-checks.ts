import type Database from 'better-sqlite3';
import type { CheckRecord, CheckWithLender } from '../../checks/check.js';
import type { CheckRepository, DecidedCheck, LoggedCheck, PendingCheck } from '../../checks/check.repository.js';
import type { CitizenKey } from '../../identity/citizen-key.js';
import { logCheck } from '../../log/entries.js';
import type { Receipt } from '../../log/sequencer.js';
import { type Channel, KIND_CHECKED_BY, type LenderType, type RestrictionKind } from '../../registry/policy.js';
import type { CurrentBan } from '../../registry/restriction.repository.js';
import { decideCheck } from '../../registry/restriction.rules.js';
import { type Durable, date, type Row } from './rows.js';
import { insertClaim } from './sqlite-idempotency.js';
import type { SqliteLog } from './sqlite-log.js';
import type { SqliteRestrictions } from './sqlite-restrictions.js';

function toCheck(r: Row): CheckRecord {
  return {
    id: r.id as string,
    lenderId: r.lender_id as string,
    citizenKey: r.citizen_key as Buffer,
    channel: r.channel as Channel,
    reference: r.reference as string,
    restricted: r.restricted === 1,
    checkedAt: date(r.checked_at),
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

export class SqliteChecks implements CheckRepository {
  private readonly insertMany: Database.Transaction<(batch: readonly LoggedCheck[]) => Receipt[]>;
  private readonly decideMany: Database.Transaction<(batch: readonly PendingCheck[], now: Date) => DecidedCheck[]>;
  private readonly insert: Database.Statement;
  private readonly byId: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
    private readonly log: SqliteLog,
    private readonly restrictions: SqliteRestrictions,
  ) {
    this.insert = db.prepare(
      `INSERT INTO checks (id, lender_id, citizen_key, channel, reference, restricted, checked_at,
         restriction_id, restriction_version, log_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertMany = db.transaction((batch: readonly LoggedCheck[]) => this.writeBatch(batch));
    this.decideMany = db.transaction((batch: readonly PendingCheck[], now: Date) => this.decide(batch, now));
    this.byId = db.prepare('SELECT * FROM checks WHERE id = ?');
  }

  /**
   * One group commit's writes: the checks, their log entries and one checkpoint. Inside a write
   * transaction only; insertBatch opens one, and bulk loaders may write many batches in one.
   */
  writeBatch(batch: readonly LoggedCheck[]): Receipt[] {
    const last = batch[batch.length - 1];
    const receipts = this.log.integrate(
      batch.map((b) => b.entry),
      last ? last.record.checkedAt : new Date(),
    );
    batch.forEach(({ record: c, idempotency }, i) => {
      const receipt = receipts[i];
      if (idempotency !== undefined && receipt !== undefined)
        insertClaim(this.db, idempotency, { checkId: c.id, receipt: receipt.receipt });
      this.insert.run(
        c.id,
        c.lenderId,
        c.citizenKey,
        c.channel,
        c.reference,
        c.restricted ? 1 : 0,
        c.checkedAt.getTime(),
        c.restrictionId,
        c.restrictionVersion,
        receipt?.logIndex ?? null,
      );
    });
    return receipts;
  }

  /**
   * Decides a batch under the write lock, so no ban change can be logged between a check's decision and its
   * entry: the bans of all its citizens in one read, exemptions only where a ban would restrict.
   */
  private decide(batch: readonly PendingCheck[], now: Date): DecidedCheck[] {
    const at = this.log.instantFrom(now);
    const bans = new Map<RestrictionKind, Map<string, CurrentBan>>();
    for (const kind of new Set(batch.map((p) => KIND_CHECKED_BY[p.lender.type]))) {
      const keys = new Map<string, CitizenKey>();
      for (const p of batch) if (KIND_CHECKED_BY[p.lender.type] === kind) keys.set(p.citizenKey.toString('hex'), p.citizenKey);
      bans.set(kind, this.restrictions.currentBans([...keys.values()], kind));
    }
    const logged = batch.map((p): LoggedCheck => {
      const ban = bans.get(KIND_CHECKED_BY[p.lender.type])?.get(p.citizenKey.toString('hex')) ?? null;
      let restricted = decideCheck(ban, [], p.lender.type, p.channel, at);
      if (restricted && ban !== null)
        restricted = decideCheck(ban, this.restrictions.openExemptions(ban.id, p.lender.id, at), p.lender.type, p.channel, at);
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
    const receipts = this.writeBatch(logged);
    return logged.map((l, i) => ({ record: l.record, receipt: receipts[i] as Receipt }));
  }

  async decideBatch(batch: readonly PendingCheck[], now: Date): Promise<DecidedCheck[]> {
    return this.durable(() => this.decideMany.immediate(batch, now));
  }

  async insertBatch(batch: readonly LoggedCheck[]): Promise<Receipt[]> {
    // IMMEDIATE: take the write lock up front instead of failing to upgrade a read lock under contention.
    return this.durable(() => this.insertMany.immediate(batch));
  }

  async findById(id: string): Promise<CheckRecord | null> {
    const r = this.byId.get(id) as Row | undefined;
    return r ? toCheck(r) : null;
  }

  async count(): Promise<number> {
    return this.db.prepare('SELECT count(*) FROM checks').pluck().get() as number;
  }

  async listByCitizen(citizenKey: CitizenKey): Promise<CheckWithLender[]> {
    const rows = this.db
      .prepare(
        `SELECT c.*, l.name AS lender_name, l.bin AS lender_bin, l.type AS lender_type
           FROM checks c JOIN lenders l ON l.id = c.lender_id
          WHERE c.citizen_key = ? ORDER BY c.checked_at, c.id`,
      )
      .all(citizenKey) as Row[];
    return rows.map(toCheckWithLender);
  }

  async pageByCitizen(
    citizenKey: CitizenKey,
    page: { offset: number; limit: number },
  ): Promise<{ checks: CheckWithLender[]; total: number }> {
    const rows = this.db
      .prepare(
        `SELECT c.*, l.name AS lender_name, l.bin AS lender_bin, l.type AS lender_type
           FROM checks c JOIN lenders l ON l.id = c.lender_id
          WHERE c.citizen_key = ? ORDER BY c.checked_at DESC, c.id DESC LIMIT ? OFFSET ?`,
      )
      .all(citizenKey, page.limit, page.offset) as Row[];
    const total = this.db.prepare('SELECT count(*) FROM checks WHERE citizen_key = ?').pluck().get(citizenKey) as number;
    return { checks: rows.map(toCheckWithLender), total };
  }
}
