import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { openStore } from '../../src/store/open.js';
import { testDatabase } from '../helpers/engine.js';
import { IIN } from '../helpers/people.js';
import { TEST_PEPPER, tempDir, testLogKey } from '../helpers/registry.js';

/** One node: its own connection to the shared store, its own services and caches, its own app. */
export interface Node {
  services: Services;
  app: FastifyInstance;
}

export interface Nodes {
  nodes: Node[];
  /** The clock every node reads, as NTP keeps real nodes' clocks together. */
  clock: ManualClock;
  close(): Promise<void>;
}

/**
 * `count` registries on one database (one SQLite file, or one PostgreSQL schema), each with its own
 * connection, services and app, as several `tyiym serve` processes would be. Nothing is shared between
 * them but the store, and the clock.
 */
export async function openNodes(count: number, options: { env?: Record<string, string>; now?: string } = {}): Promise<Nodes> {
  const dir = tempDir('tyiym-nodes-');
  const database = await testDatabase(dir);
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...options.env });
  const clock = new ManualClock(options.now ?? '2026-03-10T06:00:00Z');
  const logKey = testLogKey(config.log.origin);
  const nodes: Node[] = [];
  const close = async () => {
    for (const { app, services } of nodes) {
      await app.close();
      await services.checkWriter.drain();
      await services.store.close();
    }
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // One after another: the first migrates the new database.
    for (let i = 0; i < count; i++) {
      const store = await openStore(config.database, { origin: config.log.origin, key: logKey });
      const services = createServices({
        config,
        store,
        clock,
        secrets: { pepper: TEST_PEPPER, sessionSecret: Buffer.alloc(32, 8), devIdp: null, logKey },
      });
      const app = await buildApp(services, { logger: false });
      nodes.push({ services, app });
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { nodes, clock, close };
}

/** POST /v1/checks on one node. */
export function postCheck(node: Node, apiKey: string, reference: string, iin = IIN.alice) {
  return node.app.inject({
    method: 'POST',
    url: '/v1/checks',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ iin, channel: 'remote', reference }),
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
