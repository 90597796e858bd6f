import type pg from 'pg';
import type { LogSigner } from '../../log/sequencer.js';
import type { Store } from '../store.js';
import { PgAuditors } from './pg-auditors.js';
import { PgChecks } from './pg-checks.js';
import { openPool } from './pg-db.js';
import { PgDevIdp } from './pg-dev-idp.js';
import { PgIdempotency } from './pg-idempotency.js';
import { PgLeases } from './pg-leases.js';
import { PgLenders } from './pg-lenders.js';
import { PgLog } from './pg-log.js';
import { PgLookups } from './pg-lookups.js';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { PgRateLimits } from './pg-rate-limits.js';
import { PgRestrictions } from './pg-restrictions.js';
import { PgSeeder } from './pg-seed.js';
import { PgSessions } from './pg-sessions.js';

/** Any constant: the advisory lock that lets one process at a time migrate a database. */
const MIGRATION_LOCK = 7_351_920_113;

/**
 * Brings the schema up to date, one transaction per pending migration, under an advisory lock so that several
 * nodes starting at once migrate once. Returns how many migrations ran.
 */
export async function migratePostgres(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = (await client.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).rows[0].v as number;
    for (let v = done; v < PG_MIGRATIONS.length; v++) {
      await client.query('BEGIN');
      try {
        await client.query(PG_MIGRATIONS[v] as string);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
    return Math.max(0, PG_MIGRATIONS.length - done);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

/** Connects only to migrate; returns how many migrations ran. */
export async function migratePostgresUrl(url: string): Promise<number> {
  const pool = openPool(url, 1);
  try {
    return await migratePostgres(pool);
  } catch (e) {
    throw new Error(`cannot migrate the PostgreSQL database ${redacted(url)}: ${(e as Error).message}`, { cause: e });
  } finally {
    await pool.end();
  }
}

/** The URL as it may be shown: without its password. */
function redacted(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

/** Connects to PostgreSQL and migrates; the pool's size bounds this node's connections. */
export async function openPostgresStore(url: string, signer: LogSigner | null, poolSize = 10): Promise<PgStore> {
  const pool = openPool(url, poolSize);
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end();
    throw new Error(`cannot open the PostgreSQL database ${redacted(url)}: ${(e as Error).message}`, { cause: e });
  }
  return new PgStore(pool, signer);
}

export class PgStore implements Store {
  readonly engine = 'postgres' as const;
  readonly lenders: PgLenders;
  readonly restrictions: PgRestrictions;
  readonly checks: PgChecks;
  readonly log: PgLog;
  readonly lookups: PgLookups;
  readonly idempotency: PgIdempotency;
  readonly auditors: PgAuditors;
  readonly rateLimits: PgRateLimits;
  readonly leases: PgLeases;
  readonly sessions: PgSessions;
  readonly devIdp: PgDevIdp;

  constructor(
    readonly pool: pg.Pool,
    signer: LogSigner | null,
  ) {
    this.log = new PgLog(pool, signer);
    this.lenders = new PgLenders(pool);
    this.restrictions = new PgRestrictions(pool, this.log);
    this.checks = new PgChecks(pool, this.log, this.restrictions);
    this.idempotency = new PgIdempotency(pool);
    this.auditors = new PgAuditors(pool);
    this.lookups = new PgLookups(pool);
    this.rateLimits = new PgRateLimits(pool);
    this.leases = new PgLeases(pool);
    this.sessions = new PgSessions(pool);
    this.devIdp = new PgDevIdp(pool);
  }

  async bindPepper(fingerprint: string): Promise<void> {
    await this.pool.query(`INSERT INTO meta (key, value) VALUES ('pepper_fingerprint', $1) ON CONFLICT (key) DO NOTHING`, [
      fingerprint,
    ]);
    const stored = (await this.pool.query(`SELECT value FROM meta WHERE key = 'pepper_fingerprint'`)).rows[0]?.value;
    if (stored !== fingerprint)
      throw new Error('This database was keyed with a different pepper; refusing to use it with this one.');
  }

  seeder(): PgSeeder {
    return new PgSeeder(this.pool, this.checks, this.log);
  }

  async isEmpty(): Promise<boolean> {
    const r = (await this.pool.query('SELECT (SELECT count(*) FROM lenders) + (SELECT count(*) FROM restrictions) AS n')).rows[0];
    return Number(r.n) === 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private closed = false;

  /** Ends the pool once; closing again does nothing, as with the embedded store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
