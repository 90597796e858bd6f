import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import { logKeyFromSeed } from '../../src/log/note.js';
import type { Policies } from '../../src/registry/policy.js';
import { createServices, type Services } from '../../src/services.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

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
  dbPath: string;
  close(): Promise<void>;
}

/** A registry on a fresh SQLite file in a temporary directory, with a manual clock. */
export async function openTestRegistry(
  options: { now?: string; env?: Record<string, string>; policies?: Partial<Policies> } = {},
): Promise<TestRegistry> {
  const dir = tempDir();
  const dbPath = path.join(dir, 'tyiym.db');
  const base = loadConfig({ DATABASE_URL: dbPath, LOG_LEVEL: 'silent', ...options.env });
  const config: Config = { ...base, policies: { ...base.policies, ...options.policies } };
  const clock = new ManualClock(options.now ?? '2026-03-10T06:00:00Z');
  const store = openSqliteStore(dbPath);
  const logKey = testLogKey(config.log.origin);
  store.attachLog({ origin: config.log.origin, key: logKey });
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
    close: async () => {
      await services.checkWriter.drain();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How many checks the store holds. */
export function countChecks(services: Services): Promise<number> {
  return services.store.checks.count();
}
