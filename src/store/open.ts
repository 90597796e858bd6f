import type { DatabaseConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export function openStore(database: DatabaseConfig): Store {
  if (database.kind === 'postgres') {
    throw new ConfigError(
      'DATABASE_URL points at PostgreSQL, whose store is not available in this version yet. ' +
        'Use a SQLite file instead: leave DATABASE_URL unset, or set it to a path or sqlite:PATH.',
    );
  }
  return openSqliteStore(database.path);
}
