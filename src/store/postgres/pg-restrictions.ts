import type pg from 'pg';
import type { IdempotencyClaim } from '../../idempotency/idempotency.js';
import type { CitizenKey } from '../../identity/citizen-key.js';
import { KIND_CHECKED_BY, type LenderType, type RestrictionKind } from '../../registry/policy.js';
import type { CitizenFacts, Exemption, Mutation, Restriction, RestrictionEvent } from '../../registry/restriction.js';
import type { CurrentBan, LoggedMutation, RestrictionRepository } from '../../registry/restriction.repository.js';
import type { Interval } from '../../registry/restriction.rules.js';
import { Statement } from './pg-db.js';
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
    // The tree-state lock first: the change is planned from the ban as every earlier logged change left it.
    return this.log.locked(async (c, state) => {
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
      // One INSERT for every event, rows in their order: identity values follow the rows, so history (ORDER BY seq)
      // lists them as they happened. Separate parts of one statement run in no guaranteed order.
      const rows = m.events.map((e) => {
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
        return `(${values.map((v) => s.p(v)).join(', ')})`;
      });
      if (rows.length > 0)
        s.with(
          'e',
          `INSERT INTO restriction_events (id, restriction_id, citizen_key, version, action, lender_types, channels,
             ends_at, lift_effective_at, exemption_lender_id, exemption_ends_at, actor_kind, actor_name, at, log_index)
           VALUES ${rows.join(',\n             ')}`,
        );
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
   * For each check, in order: the citizen's latest ban of the kind its lender checks and that lender's exemptions
   * from it not ended by `at`, in one query. Inside the checks' transaction, after the tree-state lock, so it sees
   * every change logged before.
   */
  async bansFor(
    c: pg.PoolClient,
    checks: readonly { citizenKey: CitizenKey; lender: { id: string; type: LenderType } }[],
    at: Date,
  ): Promise<{ ban: CurrentBan | null; exemptions: Interval[] }[]> {
    const { rows } = await c.query({
      name: 'bans_for_checks',
      text: `SELECT w.ord, b.id, b.version, b.lender_types, b.channels, b.starts_at, b.ends_at, b.lift_effective_at,
                    x.starts, x.ends
               FROM unnest($1::bytea[], $2::text[], $3::text[]) WITH ORDINALITY AS w (citizen_key, kind, lender_id, ord)
               JOIN LATERAL (SELECT id, version, lender_types, channels, starts_at, ends_at, lift_effective_at
                               FROM restrictions r WHERE r.citizen_key = w.citizen_key AND r.kind = w.kind
                              ORDER BY seq DESC LIMIT 1) b ON true
               LEFT JOIN LATERAL (SELECT array_agg(starts_at) AS starts, array_agg(ends_at) AS ends
                                    FROM exemptions e WHERE e.restriction_id = b.id AND e.lender_id = w.lender_id
                                     AND e.ends_at > $4) x ON true`,
      values: [
        checks.map((k) => k.citizenKey),
        checks.map((k) => KIND_CHECKED_BY[k.lender.type]),
        checks.map((k) => k.lender.id),
        at,
      ],
    });
    const found = checks.map((): { ban: CurrentBan | null; exemptions: Interval[] } => ({ ban: null, exemptions: [] }));
    for (const r of rows) {
      const starts = (r.starts ?? []) as Date[];
      const ends = (r.ends ?? []) as Date[];
      found[r.ord - 1] = { ban: toBan(r), exemptions: starts.map((s, i) => ({ startsAt: s, endsAt: ends[i] as Date })) };
    }
    return found;
  }
}
