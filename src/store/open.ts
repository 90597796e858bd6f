import type { DatabaseConfig } from '../config.js';
import type { LogSigner } from '../log/sequencer.js';
import { PG_MIGRATIONS } from './postgres/pg-migrations.js';
import { migratePostgresUrl, openPostgresStore } from './postgres/pg-store.js';
import { migrateSqliteFile, openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the store DATABASE_URL names, migrated to this version. `signer` signs the log's checkpoints; without
 * one the store can be read and managed, but nothing can be logged.
 */
export async function openStore(database: DatabaseConfig, signer: LogSigner | null): Promise<Store> {
  if (database.kind === 'postgres') return openPostgresStore(database.url, signer, database.poolSize);
  return openSqliteStore(database.path, signer);
}

/** Brings the store's schema up to date without opening the registry (no secrets needed): `tyiym migrate`. */
export async function migrateStore(
  database: DatabaseConfig,
): Promise<{ engine: Store['engine']; applied: number; version: number }> {
  if (database.kind === 'postgres') {
    const applied = await migratePostgresUrl(database.url);
    return { engine: 'postgres', applied, version: PG_MIGRATIONS.length };
  }
  return { engine: 'sqlite', ...migrateSqliteFile(database.path) };
}
