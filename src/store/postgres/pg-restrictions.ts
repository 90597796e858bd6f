import type pg from 'pg';
import type { IdempotencyClaim } from '../../idempotency/idempotency.js';
import type { CitizenKey } from '../../identity/citizen-key.js';
import type { RestrictionKind } from '../../registry/policy.js';
import type { CitizenFacts, Exemption, Mutation, Restriction, RestrictionEvent } from '../../registry/restriction.js';
import type { CurrentBan, LoggedMutation, RestrictionRepository } from '../../registry/restriction.repository.js';
import type { Interval } from '../../registry/restriction.rules.js';
import { inTransaction, Statement } from './pg-db.js';
import { assertClaimed, claimKeys } from './pg-idempotency.js';
import type { PgLog } from './pg-log.js';
import { actorOf, dateOrNull, type Row, scopeOf } from './pg-rows.js';

function toRestriction(r: Row): Restriction {
  return {
    id: r.id as string,
    kind: r.kind as RestrictionKind,
    version: r.version as number,
    scope: scopeOf(r),
    startsAt: r.starts_at as Date,
    endsAt: dateOrNull(r.ends_at),
    liftRequestedAt: dateOrNull(r.lift_requested_at),
    liftEffectiveAt: dateOrNull(r.lift_effective_at),
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

function toBan(r: Row): CurrentBan {
  return {
    id: r.id as string,
    version: r.version as number,
    scope: scopeOf(r),
    startsAt: r.starts_at as Date,
    endsAt: dateOrNull(r.ends_at),
    liftEffectiveAt: dateOrNull(r.lift_effective_at),
  };
}

const LATEST = 'SELECT * FROM restrictions WHERE citizen_key = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1';

export class PgRestrictions implements RestrictionRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly log: PgLog,
  ) {}

  async mutate(
    citizenKey: CitizenKey,
    kind: RestrictionKind,
    facts: CitizenFacts,
    plan: (current: Restriction | null, notBefore: Date) => LoggedMutation,
    claim?: IdempotencyClaim,
  ): Promise<Mutation> {
    return inTransaction(this.pool, async (c) => {
      // The tree-state lock first: the change is planned from the ban as every earlier logged change left it.
      const state = await this.log.lock(c);
      const row = (await c.query(LATEST, [citizenKey, kind])).rows[0];
      const { mutation: m, entries } = plan(row ? toRestriction(row) : null, state.lastAt);
      const r = m.restriction;
      const append = this.log.plan(state, entries);
      for (const [i, e] of m.events.entries()) e.logIndex = append.receipts[i]?.logIndex ?? null;

      const s = new Statement();
      const scope = (x: { scope: Restriction['scope'] }) => [x.scope.lenderTypes.join(','), x.scope.channels.join(',')];
      if (m.isNew) {
        const [types, channels] = scope(r);
        s.with(
          'r',
          `INSERT INTO restrictions (id, citizen_key, kind, version, lender_types, channels, starts_at, ends_at,
             lift_requested_at, lift_effective_at, birth_year, sex, created_at, updated_at)
           VALUES (${[r.id, citizenKey, r.kind, r.version, types, channels, r.startsAt, r.endsAt, r.liftRequestedAt, r.liftEffectiveAt, facts.birthYear, facts.sex, r.createdAt, r.updatedAt].map((v) => s.p(v)).join(', ')})`,
        );
      } else {
        const [types, channels] = scope(r);
        s.with(
          'r',
          `UPDATE restrictions SET version = ${s.p(r.version)}, lender_types = ${s.p(types)}, channels = ${s.p(channels)},
             ends_at = ${s.p(r.endsAt)}, lift_requested_at = ${s.p(r.liftRequestedAt)}, lift_effective_at = ${s.p(r.liftEffectiveAt)},
             updated_at = ${s.p(r.updatedAt)} WHERE id = ${s.p(r.id)}`,
        );
      }
      m.events.forEach((e, i) => {
        const [types, channels] = scope(e);
        const values = [
          e.id,
          e.restrictionId,
          citizenKey,
          e.version,
          e.action,
          types,
          channels,
          e.endsAt,
          e.liftEffectiveAt,
          e.exemption?.lenderId ?? null,
          e.exemption?.endsAt ?? null,
          e.actor.kind,
          e.actor.kind === 'operator' ? e.actor.name : null,
          e.at,
          e.logIndex ?? null,
        ];
        s.with(
          `e${i}`,
          `INSERT INTO restriction_events (id, restriction_id, citizen_key, version, action, lender_types, channels,
             ends_at, lift_effective_at, exemption_lender_id, exemption_ends_at, actor_kind, actor_name, at, log_index)
           VALUES (${values.map((v) => s.p(v)).join(', ')})`,
        );
      });
      if (m.exemption) {
        const x = m.exemption;
        const values = [
          x.id,
          x.restrictionId,
          x.lenderId,
          x.startsAt,
          x.endsAt,
          x.actor.kind,
          x.actor.kind === 'operator' ? x.actor.name : null,
        ];
        s.with(
          'x',
          `INSERT INTO exemptions (id, restriction_id, lender_id, starts_at, ends_at, actor_kind, actor_name)
           VALUES (${values.map((v) => s.p(v)).join(', ')})`,
        );
      }
      // Every change goes into the transparency log in the same transaction, in the same statement.
      this.log.write(s, append, m.events[0]?.at ?? r.updatedAt);
      claimKeys(s, 'claims', claim === undefined ? [] : [{ claim }]);
      const result = await c.query(
        s.text(claim === undefined ? 'SELECT 0 AS claimed' : 'SELECT count(*) AS claimed FROM claims'),
        s.params,
      );
      assertClaimed(result.rows[0].claimed, claim === undefined ? 0 : 1);
      return m;
    });
  }

  async latest(citizenKey: CitizenKey, kind: RestrictionKind): Promise<Restriction | null> {
    const row = (await this.pool.query(LATEST, [citizenKey, kind])).rows[0];
    return row ? toRestriction(row) : null;
  }

  async exemptions(restrictionId: string): Promise<Exemption[]> {
    const { rows } = await this.pool.query('SELECT * FROM exemptions WHERE restriction_id = $1 ORDER BY starts_at, id', [
      restrictionId,
    ]);
    return rows.map((r) => ({
      id: r.id,
      restrictionId: r.restriction_id,
      lenderId: r.lender_id,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      actor: actorOf(r),
    }));
  }

  async history(citizenKey: CitizenKey): Promise<RestrictionEvent[]> {
    const { rows } = await this.pool.query('SELECT * FROM restriction_events WHERE citizen_key = $1 ORDER BY seq', [citizenKey]);
    return rows.map((r) => ({
      id: r.id,
      restrictionId: r.restriction_id,
      version: r.version,
      action: r.action,
      scope: scopeOf(r),
      endsAt: dateOrNull(r.ends_at),
      liftEffectiveAt: dateOrNull(r.lift_effective_at),
      exemption: r.exemption_lender_id === null ? null : { lenderId: r.exemption_lender_id, endsAt: r.exemption_ends_at },
      actor: actorOf(r),
      at: r.at,
      logIndex: r.log_index ?? null,
    }));
  }

  /**
   * The latest ban of `kind` of each citizen, keyed by the citizen key in hex, in one query; inside the checks'
   * transaction, after the tree-state lock, so it sees every change logged before.
   */
  async currentBans(
    c: pg.PoolClient,
    citizenKeys: readonly CitizenKey[],
    kind: RestrictionKind,
  ): Promise<Map<string, CurrentBan>> {
    const { rows } = await c.query({
      name: 'current_bans',
      text: `SELECT DISTINCT ON (citizen_key) citizen_key, id, version, lender_types, channels, starts_at, ends_at, lift_effective_at
               FROM restrictions WHERE kind = $1 AND citizen_key = ANY($2::bytea[]) ORDER BY citizen_key, seq DESC`,
      values: [kind, citizenKeys],
    });
    const bans = new Map<string, CurrentBan>();
    for (const r of rows) bans.set((r.citizen_key as Buffer).toString('hex'), toBan(r));
    return bans;
  }

  /** The exemptions not ended by `at` of each (ban, lender) pair asked, keyed `banId lenderId`; one query. */
  async openExemptions(
    c: pg.PoolClient,
    pairs: readonly { restrictionId: string; lenderId: string }[],
    at: Date,
  ): Promise<Map<string, Interval[]>> {
    const found = new Map<string, Interval[]>();
    if (pairs.length === 0) return found;
    const { rows } = await c.query(
      `SELECT x.restriction_id, x.lender_id, x.starts_at, x.ends_at
         FROM unnest($1::text[], $2::text[]) AS want (restriction_id, lender_id)
         JOIN exemptions x ON x.restriction_id = want.restriction_id AND x.lender_id = want.lender_id AND x.ends_at > $3`,
      [pairs.map((p) => p.restrictionId), pairs.map((p) => p.lenderId), at],
    );
    for (const r of rows) {
      const key = `${r.restriction_id} ${r.lender_id}`;
      const list = found.get(key) ?? [];
      list.push({ startsAt: r.starts_at, endsAt: r.ends_at });
      found.set(key, list);
    }
    return found;
  }
}
