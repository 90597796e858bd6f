import type Database from 'better-sqlite3';
import type { LoggedCheck } from '../../checks/check.repository.js';
import type { SeedBan, Seeder } from '../seeder.js';
import { ms } from './rows.js';
import type { SqliteChecks } from './sqlite-checks.js';

/**
 * Bulk loading for the benchmarks: millions of rows written straight into the tables, far faster than
 * the services would. SQLite only; another engine brings its own.
 */
export class SqliteSeeder implements Seeder {
  constructor(
    private readonly db: Database.Database,
    private readonly checks: SqliteChecks,
  ) {
    // This connection only: a large page cache keeps the randomly ordered citizen_key index in memory while it grows.
    db.pragma('cache_size = -524288');
  }

  /**
   * Every ban in one transaction, opened by hand rather than with db.transaction(): the chunks are awaited
   * one by one, so the caller can redraw a progress bar and handle Ctrl+C mid-seed.
   */
  async bans(chunks: AsyncIterable<readonly SeedBan[]>): Promise<void> {
    const { db } = this;
    const insertBan = db.prepare(
      `INSERT INTO restrictions (id, citizen_key, kind, version, lender_types, channels, starts_at, ends_at,
         lift_requested_at, lift_effective_at, birth_year, sex, created_at, updated_at)
       VALUES (?, ?, 'loan', 1, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)`,
    );
    const insertEvent = db.prepare(
      `INSERT INTO restriction_events (id, restriction_id, citizen_key, version, action, lender_types, channels,
         ends_at, lift_effective_at, exemption_lender_id, exemption_ends_at, actor_kind, actor_name, at)
       VALUES (?, ?, ?, 1, 'placed', ?, ?, ?, NULL, NULL, NULL, ?, ?, ?)`,
    );
    db.exec('BEGIN IMMEDIATE');
    try {
      for await (const chunk of chunks) {
        for (const b of chunk) {
          const lenderTypes = b.scope.lenderTypes.join(',');
          const channels = b.scope.channels.join(',');
          const startsAt = b.startsAt.getTime();
          const endsAt = ms(b.endsAt);
          insertBan.run(b.id, b.citizenKey, lenderTypes, channels, startsAt, endsAt, b.birthYear, b.sex, startsAt, startsAt);
          const operator = b.actor.kind === 'operator' ? b.actor.name : null;
          insertEvent.run(b.eventId, b.id, b.citizenKey, lenderTypes, channels, endsAt, b.actor.kind, operator, startsAt);
        }
      }
      db.exec('COMMIT');
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  }

  /** Group-commit batches of checks with their log entries, each written as the server writes one, all in one transaction. */
  async checkBatches(batches: Iterable<readonly LoggedCheck[]>): Promise<void> {
    this.db
      .transaction(() => {
        for (const batch of batches) this.checks.writeBatch(batch);
      })
      .immediate();
  }

  /** Folds the WAL into the main file, so whatever opens the seeded file next starts from a compact database. */
  async compact(): Promise<void> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
