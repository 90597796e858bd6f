import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

/**
 * Which store the suite runs on: SQLite by default; PostgreSQL when TYIYM_TEST_ENGINE=postgres, in the run's own
 * database TYIYM_TEST_PG_URL (scripts/test.mjs creates it and drops it after the run).
 */
export type Engine = 'sqlite' | 'postgres';
export const ENGINE: Engine = process.env.TYIYM_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

function runDatabase(): string {
  const url = process.env.TYIYM_TEST_PG_URL;
  if (url === undefined || url === '') throw new Error('TYIYM_TEST_ENGINE=postgres needs TYIYM_TEST_PG_URL (npm test sets both)');
  return url;
}

/** A fresh, empty database for one registry, and how to throw it away. */
export interface TestDatabase {
  /** What DATABASE_URL says: a SQLite file in `dir`, or a schema of its own in the run's PostgreSQL database. */
  url: string;
  /** The SQLite file, or null on PostgreSQL. */
  file: string | null;
  drop(): Promise<void>;
}

export async function testDatabase(dir: string, name = 'tyiym.db'): Promise<TestDatabase> {
  if (ENGINE === 'sqlite') {
    const file = path.join(dir, name);
    return { url: file, file, drop: async () => undefined };
  }
  const base = runDatabase();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    file: null,
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
