import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import { logKeyFromSeed } from '../../src/log/note.js';
import type { Policies } from '../../src/registry/policy.js';
import { createServices, type Services } from '../../src/services.js';
import { openStore } from '../../src/store/open.js';
import { testDatabase } from './engine.js';

export const TEST_PEPPER = Buffer.alloc(32, 7);

/** A fixed log key for tests, so that their checkpoints can be verified with a known verifier key. */
export function testLogKey(origin = 'tyiym.kz/log') {
  return logKeyFromSeed(origin, Buffer.alloc(32, 9));
}

export function tempDir(prefix = 'tyiym-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestRegistry {
  services: Services;
  clock: ManualClock;
  dir: string;
  /** The SQLite file (on PostgreSQL, a path where no file is). */
  dbPath: string;
  /** What DATABASE_URL says for this registry, for a second process on the same store. */
  databaseUrl: string;
  close(): Promise<void>;
}

/** A registry on a fresh SQLite file in a temporary directory, with a manual clock. */
export async function openTestRegistry(
  options: { now?: string; env?: Record<string, string>; policies?: Partial<Policies> } = {},
): Promise<TestRegistry> {
  const dir = tempDir();
  const database = await testDatabase(dir);
  const dbPath = database.file ?? path.join(dir, 'tyiym.db');
  const base = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...options.env });
  const config: Config = { ...base, policies: { ...base.policies, ...options.policies } };
  const clock = new ManualClock(options.now ?? '2026-03-10T06:00:00Z');
  const logKey = testLogKey(config.log.origin);
  const store = await openStore(config.database, { origin: config.log.origin, key: logKey });
  const services = createServices({
    config,
    store,
    clock,
    secrets: { pepper: TEST_PEPPER, sessionSecret: Buffer.alloc(32, 8), devIdp: null, logKey },
  });
  return {
    services,
    clock,
    dir,
    dbPath,
    databaseUrl: database.url,
    close: async () => {
      await services.checkWriter.drain();
      await store.close();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How many checks the store holds. */
export function countChecks(services: Services): Promise<number> {
  return services.store.checks.count();
}
