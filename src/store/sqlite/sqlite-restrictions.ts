import type Database from 'better-sqlite3';
import type { IdempotencyClaim } from '../../idempotency/idempotency.js';
import type { CitizenKey } from '../../identity/citizen-key.js';
import type { Channel, LenderType, RestrictionKind } from '../../registry/policy.js';
import type { CitizenFacts, Exemption, Mutation, Restriction, RestrictionEvent } from '../../registry/restriction.js';
import type { CurrentBan, LoggedMutation, RestrictionRepository } from '../../registry/restriction.repository.js';
import type { Interval } from '../../registry/restriction.rules.js';
import { actorOf, type Durable, date, dateOrNull, list, ms, type Row, scopeOf } from './rows.js';
import { insertClaim } from './sqlite-idempotency.js';
import type { SqliteLog } from './sqlite-log.js';

function toRestriction(r: Row): Restriction {
  return {
    id: r.id as string,
    kind: r.kind as RestrictionKind,
    version: r.version as number,
    scope: scopeOf(r),
    startsAt: date(r.starts_at),
    endsAt: dateOrNull(r.ends_at),
    liftRequestedAt: dateOrNull(r.lift_requested_at),
    liftEffectiveAt: dateOrNull(r.lift_effective_at),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

/** Citizen keys per query when a batch's bans are read: well under SQLite's limit on parameters. */
const BAN_CHUNK = 500;

function toBan(r: unknown[]): CurrentBan {
  return {
    id: r[0] as string,
    version: r[1] as number,
    scope: { lenderTypes: list<LenderType>(r[2] as string), channels: list<Channel>(r[3] as string) },
    startsAt: date(r[4]),
    endsAt: dateOrNull(r[5]),
    liftEffectiveAt: dateOrNull(r[6]),
  };
}

export class SqliteRestrictions implements RestrictionRepository {
  private readonly bansStmts = new Map<number, Database.Statement>();
  private readonly latestStmt: Database.Statement;
  private readonly exemptionStmt: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
    private readonly log: SqliteLog,
  ) {
    this.latestStmt = db.prepare('SELECT * FROM restrictions WHERE citizen_key = ? AND kind = ? ORDER BY seq DESC LIMIT 1');
    this.exemptionStmt = db.prepare(
      'SELECT starts_at, ends_at FROM exemptions WHERE restriction_id = ? AND lender_id = ? AND ends_at > ?',
    );
  }

  async mutate(
    citizenKey: CitizenKey,
    kind: RestrictionKind,
    facts: CitizenFacts,
    plan: (current: Restriction | null, notBefore: Date) => LoggedMutation,
    claim?: IdempotencyClaim,
  ): Promise<Mutation> {
    const run = this.db.transaction((): Mutation => {
      if (claim !== undefined) insertClaim(this.db, claim);
      const row = this.latestStmt.get(citizenKey, kind) as Row | undefined;
      const { mutation: m, entries } = plan(row ? toRestriction(row) : null, this.log.lastInstant());
      const r = m.restriction;
      if (m.isNew) {
        this.db
          .prepare(
            `INSERT INTO restrictions (id, citizen_key, kind, version, lender_types, channels, starts_at, ends_at,
               lift_requested_at, lift_effective_at, birth_year, sex, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            r.id,
            citizenKey,
            r.kind,
            r.version,
            r.scope.lenderTypes.join(','),
            r.scope.channels.join(','),
            r.startsAt.getTime(),
            ms(r.endsAt),
            ms(r.liftRequestedAt),
            ms(r.liftEffectiveAt),
            facts.birthYear,
            facts.sex,
            r.createdAt.getTime(),
            r.updatedAt.getTime(),
          );
      } else {
        this.db
          .prepare(
            `UPDATE restrictions SET version = ?, lender_types = ?, channels = ?, ends_at = ?,
               lift_requested_at = ?, lift_effective_at = ?, updated_at = ? WHERE id = ?`,
          )
          .run(
            r.version,
            r.scope.lenderTypes.join(','),
            r.scope.channels.join(','),
            ms(r.endsAt),
            ms(r.liftRequestedAt),
            ms(r.liftEffectiveAt),
            r.updatedAt.getTime(),
            r.id,
          );
      }
      const insertEvent = this.db.prepare(
        `INSERT INTO restriction_events (id, restriction_id, citizen_key, version, action, lender_types, channels,
           ends_at, lift_effective_at, exemption_lender_id, exemption_ends_at, actor_kind, actor_name, at, log_index)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      // Every change goes into the transparency log in the same transaction.
      const receipts = this.log.integrate(entries, m.events[0]?.at ?? r.updatedAt);
      for (const [i, e] of m.events.entries()) {
        e.logIndex = receipts[i]?.logIndex ?? null;
        insertEvent.run(
          e.id,
          e.restrictionId,
          citizenKey,
          e.version,
          e.action,
          e.scope.lenderTypes.join(','),
          e.scope.channels.join(','),
          ms(e.endsAt),
          ms(e.liftEffectiveAt),
          e.exemption?.lenderId ?? null,
          e.exemption ? e.exemption.endsAt.getTime() : null,
          e.actor.kind,
          e.actor.kind === 'operator' ? e.actor.name : null,
          e.at.getTime(),
          e.logIndex ?? null,
        );
      }
      if (m.exemption) {
        const x = m.exemption;
        this.db
          .prepare(
            `INSERT INTO exemptions (id, restriction_id, lender_id, starts_at, ends_at, actor_kind, actor_name)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            x.id,
            x.restrictionId,
            x.lenderId,
            x.startsAt.getTime(),
            x.endsAt.getTime(),
            x.actor.kind,
            x.actor.kind === 'operator' ? x.actor.name : null,
          );
      }
      return m;
    });
    return this.durable(() => run.immediate());
  }

  async latest(citizenKey: CitizenKey, kind: RestrictionKind): Promise<Restriction | null> {
    const row = this.latestStmt.get(citizenKey, kind) as Row | undefined;
    return row ? toRestriction(row) : null;
  }

  async exemptions(restrictionId: string): Promise<Exemption[]> {
    const rows = this.db
      .prepare('SELECT * FROM exemptions WHERE restriction_id = ? ORDER BY starts_at, id')
      .all(restrictionId) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      restrictionId: r.restriction_id as string,
      lenderId: r.lender_id as string,
      startsAt: date(r.starts_at),
      endsAt: date(r.ends_at),
      actor: actorOf(r),
    }));
  }

  async history(citizenKey: CitizenKey): Promise<RestrictionEvent[]> {
    const rows = this.db.prepare('SELECT * FROM restriction_events WHERE citizen_key = ? ORDER BY seq').all(citizenKey) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      restrictionId: r.restriction_id as string,
      version: r.version as number,
      action: r.action as RestrictionEvent['action'],
      scope: scopeOf(r),
      endsAt: dateOrNull(r.ends_at),
      liftEffectiveAt: dateOrNull(r.lift_effective_at),
      exemption:
        r.exemption_lender_id === null ? null : { lenderId: r.exemption_lender_id as string, endsAt: date(r.exemption_ends_at) },
      actor: actorOf(r),
      at: date(r.at),
      logIndex: (r.log_index as number | null) ?? null,
    }));
  }

  /**
   * The latest ban of `kind` of each citizen, keyed by the citizen key in hex; one query per chunk of
   * keys, under SQLite's limit on parameters. Inside the checks' write transaction.
   */
  currentBans(citizenKeys: readonly CitizenKey[], kind: RestrictionKind): Map<string, CurrentBan> {
    const bans = new Map<string, CurrentBan>();
    for (let i = 0; i < citizenKeys.length; i += BAN_CHUNK) {
      const keys = citizenKeys.slice(i, i + BAN_CHUNK);
      for (const r of this.bansStmt(keys.length).all(kind, ...keys) as unknown[][])
        bans.set((r[7] as Buffer).toString('hex'), toBan(r));
    }
    return bans;
  }

  private bansStmt(n: number): Database.Statement {
    let stmt = this.bansStmts.get(n);
    if (stmt === undefined) {
      // SQLite takes the bare columns of an aggregate query from the row holding max(seq): the latest ban.
      stmt = this.db
        .prepare(
          `SELECT id, version, lender_types, channels, starts_at, ends_at, lift_effective_at, citizen_key, max(seq)
             FROM restrictions WHERE kind = ? AND citizen_key IN (${Array(n).fill('?').join(',')}) GROUP BY citizen_key`,
        )
        .raw();
      this.bansStmts.set(n, stmt);
    }
    return stmt;
  }

  /** This lender's exemptions from that ban that have not ended by `at`; synchronous, for a write transaction. */
  openExemptions(restrictionId: string, lenderId: string, at: Date): Interval[] {
    const rows = this.exemptionStmt.all(restrictionId, lenderId, at.getTime()) as Row[];
    return rows.map((e) => ({ startsAt: date(e.starts_at), endsAt: date(e.ends_at) }));
  }
}
