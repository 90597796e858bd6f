import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import type { LogSigner } from '../../src/log/sequencer.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';

/**
 * Which store the suite runs on: SQLite by default; PostgreSQL when TYIYM_TEST_ENGINE=postgres, in the run's own
 * database TYIYM_TEST_PG_URL (scripts/test.mjs creates it and drops it after the run).
 */
export type Engine = 'sqlite' | 'postgres';
export const ENGINE: Engine = process.env.TYIYM_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** For `it(name, { skip: onlyOn('sqlite', …) })`: the reason to skip a test that means nothing on this engine. */
export function onlyOn(engine: Engine, reason: string): string | false {
  return ENGINE === engine ? false : reason;
}

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
  /** The PostgreSQL schema, or null on SQLite. */
  schema: string | null;
  drop(): Promise<void>;
}

async function onRunDatabase(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: runDatabase() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Names a fresh database at once and creates it when `create` is awaited: for a helper that must hand out
 * DATABASE_URL before it can wait (a child process's environment).
 */
export function planTestDatabase(dir: string, name = 'tyiym.db'): TestDatabase & { create(): Promise<void> } {
  if (ENGINE === 'sqlite') {
    const file = path.join(dir, name);
    return { url: file, file, schema: null, create: async () => undefined, drop: async () => undefined };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const u = new URL(runDatabase());
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    file: null,
    schema,
    create: () => onRunDatabase(`CREATE SCHEMA ${schema}`),
    drop: () => onRunDatabase(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

export async function testDatabase(dir: string, name = 'tyiym.db'): Promise<TestDatabase> {
  const database = planTestDatabase(dir, name);
  await database.create();
  return database;
}

/** Opens the store DATABASE_URL names, as the registry does: for a second process on a test's database. */
export function openTestStore(url: string, signer: LogSigner | null): Promise<Store> {
  return openStore(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }).database, signer);
}
