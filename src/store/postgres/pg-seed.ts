import type pg from 'pg';
import type { LoggedCheck } from '../../checks/check.repository.js';
import type { SeedBan, Seeder } from '../seeder.js';
import type { PgChecks } from './pg-checks.js';
import { inTransaction } from './pg-db.js';
import type { PgLog } from './pg-log.js';

/** Bulk loading for the benchmarks: each chunk of bans in one multi-row statement, all in one transaction. */
export class PgSeeder implements Seeder {
  constructor(
    private readonly pool: pg.Pool,
    private readonly checks: PgChecks,
    private readonly log: PgLog,
  ) {}

  async bans(chunks: AsyncIterable<readonly SeedBan[]>): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      for await (const chunk of chunks) {
        const col = <T>(f: (b: SeedBan) => T) => chunk.map(f);
        const types = col((b) => b.scope.lenderTypes.join(','));
        const channels = col((b) => b.scope.channels.join(','));
        await c.query(
          `WITH r AS (
             INSERT INTO restrictions (id, citizen_key, kind, version, lender_types, channels, starts_at, ends_at,
               lift_requested_at, lift_effective_at, birth_year, sex, created_at, updated_at)
             SELECT id, key, 'loan', 1, t, ch, s, e, NULL, NULL, y, sex, s, s
               FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                           $7::integer[], $8::text[]) AS u (id, key, t, ch, s, e, y, sex))
           INSERT INTO restriction_events (id, restriction_id, citizen_key, version, action, lender_types, channels,
             ends_at, actor_kind, actor_name, at)
           SELECT eid, id, key, 1, 'placed', t, ch, e, ak, an, s
             FROM unnest($9::text[], $1::text[], $2::bytea[], $3::text[], $4::text[], $6::timestamptz[], $10::text[],
                         $11::text[], $5::timestamptz[]) AS u (eid, id, key, t, ch, e, ak, an, s)`,
          [
            col((b) => b.id),
            col((b) => b.citizenKey),
            types,
            channels,
            col((b) => b.startsAt),
            col((b) => b.endsAt),
            col((b) => b.birthYear),
            col((b) => b.sex),
            col((b) => b.eventId),
            col((b) => b.actor.kind),
            col((b) => (b.actor.kind === 'operator' ? b.actor.name : null)),
          ],
        );
      }
    });
  }

  async checkBatches(batches: Iterable<readonly LoggedCheck[]>): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      for (const batch of batches) if (batch.length > 0) await this.checks.write(c, await this.log.lock(c), batch);
    });
  }

  async compact(): Promise<void> {
    // Fresh statistics, so the planner reads the bans' index from the first check on.
    await this.pool.query('VACUUM ANALYZE restrictions');
    await this.pool.query('VACUUM ANALYZE restriction_events');
  }
}
