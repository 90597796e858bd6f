import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { LenderRepository } from '../../lenders/lender.repository.js';
import type { LogSigner } from '../../log/sequencer.js';
import type { Store } from '../store.js';
import { MIGRATIONS } from './migrations.js';
import type { Durable, Row } from './rows.js';
import { SqliteAuditors } from './sqlite-auditors.js';
import { SqliteChecks } from './sqlite-checks.js';
import { SqliteDevIdp } from './sqlite-dev-idp.js';
import { SqliteIdempotency } from './sqlite-idempotency.js';
import { SqliteLeases } from './sqlite-leases.js';
import { SqliteLenders } from './sqlite-lenders.js';
import { SqliteLog } from './sqlite-log.js';
import { SqliteLookups } from './sqlite-lookups.js';
import { SqliteRateLimits } from './sqlite-rate-limits.js';
import { SqliteRestrictions } from './sqlite-restrictions.js';
import { SqliteSeeder } from './sqlite-seed.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { WalSync } from './wal-sync.js';

/** Opens (creating if needed) a SQLite registry in WAL mode; see WalSync for how commits are made durable. */
export function openSqliteStore(file: string, signer: LogSigner | null = null): SqliteStore {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Owner-only from birth; SQLite gives the -wal and -shm files the database file's permissions.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  // The check path reads one index entry per check; mapping the file saves a read() and a copy per page.
  db.pragma('mmap_size = 1073741824');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 10000');
  const applied = migrate(db);
  const store = new SqliteStore(db, new WalSync(`${file}-wal`), signer);
  store.migrated = applied;
  return store;
}

/** Brings the schema up to date; returns how many migrations ran. */
function migrate(db: Database.Database): number {
  const current = () => db.pragma('user_version', { simple: true }) as number;
  if (current() >= MIGRATIONS.length) return 0;
  // IMMEDIATE takes the write lock first, so two processes opening a new file cannot both migrate.
  return db
    .transaction(() => {
      const from = current();
      for (let v = from; v < MIGRATIONS.length; v++) {
        db.exec(MIGRATIONS[v] as string);
        db.pragma(`user_version = ${v + 1}`);
      }
      return MIGRATIONS.length - from;
    })
    .immediate();
}

/** Opens (creating if needed) the SQLite file only to bring its schema up to date. */
export function migrateSqliteFile(file: string): { applied: number; version: number } {
  const store = openSqliteStore(file);
  try {
    return { applied: store.migrated, version: MIGRATIONS.length };
  } finally {
    void store.close();
  }
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  /** How many migrations ran when this store was opened. */
  migrated = 0;
  readonly lenders: LenderRepository;
  readonly restrictions: SqliteRestrictions;
  readonly checks: SqliteChecks;
  readonly log: SqliteLog;
  readonly lookups: SqliteLookups;
  readonly idempotency: SqliteIdempotency;
  readonly auditors: SqliteAuditors;
  readonly rateLimits: SqliteRateLimits;
  readonly leases: SqliteLeases;
  readonly sessions: SqliteSessions;
  readonly devIdp: SqliteDevIdp;

  constructor(
    readonly db: Database.Database,
    private readonly wal: WalSync,
    signer: LogSigner | null = null,
  ) {
    const durable = async <T>(write: () => T): Promise<T> => {
      const result = write();
      await wal.sync();
      return result;
    };
    this.log = new SqliteLog(db, signer);
    this.lenders = new SqliteLenders(db, durable);
    this.restrictions = new SqliteRestrictions(db, durable, this.log);
    this.checks = new SqliteChecks(db, durable, this.log, this.restrictions);
    this.idempotency = new SqliteIdempotency(db, durable);
    this.auditors = new SqliteAuditors(db, durable);
    this.lookups = new SqliteLookups(db, durable);
    this.rateLimits = new SqliteRateLimits(db, durable);
    this.leases = new SqliteLeases(db, durable);
    this.sessions = new SqliteSessions(db, durable);
    this.devIdp = new SqliteDevIdp(db, durable);
    this.durable = durable;
  }

  private readonly durable: Durable;

  async bindPepper(fingerprint: string): Promise<void> {
    const read = () => this.db.prepare(`SELECT value FROM meta WHERE key = 'pepper_fingerprint'`).get() as Row | undefined;
    if (read()?.value === fingerprint) return;
    await this.durable(() =>
      this.db
        .transaction(() => {
          const row = read();
          if (row === undefined) {
            this.db.prepare(`INSERT INTO meta (key, value) VALUES ('pepper_fingerprint', ?)`).run(fingerprint);
          } else if (row.value !== fingerprint) {
            throw new Error('This database was keyed with a different pepper; refusing to use it with this one.');
          }
        })
        .immediate(),
    );
  }

  /** Bulk loading for the benchmarks, on this connection. */
  seeder(): SqliteSeeder {
    return new SqliteSeeder(this.db, this.checks);
  }

  async isEmpty(): Promise<boolean> {
    const row = this.db.prepare('SELECT (SELECT count(*) FROM lenders) + (SELECT count(*) FROM restrictions) AS n').get() as Row;
    return row.n === 0;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.wal.close();
    if (this.db.open) this.db.close();
  }
}
