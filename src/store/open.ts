import type { DatabaseConfig } from '../config.js';
import type { LogSigner } from '../log/sequencer.js';
import { openPostgresStore } from './postgres/pg-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the store DATABASE_URL names, migrated to this version. `signer` signs the log's checkpoints; without
 * one the store can be read and managed, but nothing can be logged.
 */
export async function openStore(database: DatabaseConfig, signer: LogSigner | null): Promise<Store> {
  if (database.kind === 'postgres') return openPostgresStore(database.url, signer, database.poolSize);
  return openSqliteStore(database.path, signer);
}
