import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { housekeepingJobs } from '../../src/schedule/jobs.js';
import type { Job } from '../../src/schedule/scheduler.js';
import { periodOf, Scheduler } from '../../src/schedule/scheduler.js';
import { startServer } from '../../src/server.js';
import { ENGINE, testDatabase } from '../helpers/engine.js';
import { BIN, IIN } from '../helpers/people.js';
import { tempDir } from '../helpers/registry.js';
import { type Node, type Nodes, openNodes, postCheck } from './nodes.js';

// Scheduled work runs once per period however many nodes run a scheduler on one store, and a dead holder's job
// is taken over by another node once its lease ends.

const MINUTE = 60_000;

describe(`scheduled jobs across two nodes (${ENGINE})`, () => {
  let nodes: Nodes;
  let a: Node;
  let b: Node;
  before(async () => {
    nodes = await openNodes(2);
    [a, b] = nodes.nodes as [Node, Node];
  });
  after(() => nodes.close());

  /** A scheduler per node with one job, which records who ran it and when. */
  let runs: { by: string; at: string }[];
  let jobName = '';
  let count = 0;
  const schedulers = (job: Partial<Job> = {}) => {
    jobName = `test.job-${++count}`;
    const make = (node: Node, holder: string) => {
      const s = new Scheduler(node.services.store.leases, nodes.clock, { holder });
      s.add({
        name: jobName,
        everyMs: MINUTE,
        run: async (now) => {
          runs.push({ by: holder, at: now.toISOString() });
        },
        ...job,
      });
      return s;
    };
    return [make(a, 'node-a'), make(b, 'node-b')] as const;
  };
  beforeEach(() => {
    runs = [];
    nodes.clock.set('2026-03-10T06:00:00Z');
  });

  it('two schedulers ticking in any order, or at once, run the job exactly once per period', async () => {
    const [sa, sb] = schedulers();
    const periods = 12;
    for (let p = 0; p < periods; p++) {
      // Several ticks per period, in varying order, some of them concurrent.
      for (let t = 0; t < 4; t++) {
        if ((p + t) % 3 === 0) await Promise.all([sa.tick(), sb.tick()]);
        else if ((p + t) % 3 === 1) await Promise.all([sb.tick(), sa.tick()]);
        else {
          await sb.tick();
          await sa.tick();
        }
        nodes.clock.advance(MINUTE / 4);
      }
    }
    assert.equal(runs.length, periods, JSON.stringify(runs));
    const starts = runs.map((r) => periodOf(new Date(r.at), MINUTE).start.getTime());
    assert.equal(new Set(starts).size, periods, 'one run in each period');
    assert.ok(new Set(runs.map((r) => r.by)).size === 2, 'either node may be the one');
  });

  it('when the holder stops renewing, the other takes over once the lease ends, not before', async () => {
    const [sa, sb] = schedulers();
    nodes.clock.set('2026-03-10T06:00:10Z');
    assert.deepEqual(await sa.tick(), [jobName]);
    assert.deepEqual(await sb.tick(), []);
    const lease = await a.services.store.leases.find(jobName);
    assert.deepEqual(lease, { holder: 'node-a', until: new Date('2026-03-10T06:01:00Z') });

    // Node A dies: it ticks no more. Until its lease ends, B does not run the job.
    nodes.clock.set('2026-03-10T06:00:59.999Z');
    assert.deepEqual(await sb.tick(), []);
    nodes.clock.set('2026-03-10T06:01:00Z');
    assert.deepEqual(await sb.tick(), [jobName]);
    assert.equal((await b.services.store.leases.find(jobName))?.holder, 'node-b');
    nodes.clock.advance(MINUTE);
    assert.deepEqual(await sb.tick(), [jobName]);
    assert.deepEqual(
      runs.map((r) => `${r.by} ${r.at}`),
      ['node-a 2026-03-10T06:00:10.000Z', 'node-b 2026-03-10T06:01:00.000Z', 'node-b 2026-03-10T06:02:00.000Z'],
    );
  });

  it('a job that fails is not retried on every tick of its period, nor by the other node', async () => {
    let attempts = 0;
    const [sa, sb] = schedulers({
      run: async () => {
        attempts++;
        throw new Error('the job failed');
      },
    });
    assert.deepEqual(await sa.tick(), [jobName]);
    nodes.clock.advance(10_000);
    await sa.tick();
    await sb.tick();
    assert.equal(attempts, 1);
    nodes.clock.advance(MINUTE);
    await sb.tick();
    assert.equal(attempts, 2, 'tried again in the next period');
  });

  it('the housekeeping jobs forget Idempotency-Keys after 24 hours, once, on one node', async () => {
    const { lender, apiKey } = await a.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
    const res = await a.app.inject({
      method: 'POST',
      url: '/v1/checks',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'key-1' },
      payload: JSON.stringify({ iin: IIN.alice, channel: 'remote', reference: 'IDEM-1' }),
    });
    assert.equal(res.statusCode, 200, res.body);
    const recorded = () => a.services.store.idempotency.find(`lender:${lender.id}`, 'key-1', new Date(0));
    assert.notEqual(await recorded(), null);
    // Requests no longer purge as they go: only the scheduled job does.
    nodes.clock.advance(25 * 3_600_000);
    assert.equal((await postCheck(b, apiKey, 'IDEM-2')).statusCode, 200);
    assert.notEqual(await recorded(), null);

    const [sa, sb] = [a, b].map((node, i) => {
      const s = new Scheduler(node.services.store.leases, nodes.clock, { holder: `house-${i}` });
      for (const job of housekeepingJobs(node.services)) s.add(job);
      return s;
    }) as [Scheduler, Scheduler];
    assert.ok((await sa.tick()).includes('idempotency-keys.purge'));
    assert.deepEqual(await sb.tick(), [], 'the other node runs none of them this period');
    assert.equal(await recorded(), null);
  });
});

describe('tyiym serve runs the scheduler', () => {
  it('starts it with the housekeeping jobs, and stops it on close', async () => {
    const dir = tempDir('tyiym-serve-');
    const database = await testDatabase(dir);
    const server = await startServer(
      loadConfig({
        DATABASE_URL: database.url,
        TYIYM_SECRETS_FILE: path.join(dir, 'tyiym.secrets.json'),
        PORT: '0',
        LOG_LEVEL: 'silent',
      }),
      {
        handleSignals: false,
      },
    );
    try {
      assert.deepEqual(server.scheduler.jobNames.sort(), [
        'dev-idp-records.purge',
        'idempotency-keys.purge',
        'portal-sessions.purge',
        'rate-limit-windows.purge',
      ]);
      await server.scheduler.tick();
      const lease = await server.services.store.leases.find('idempotency-keys.purge');
      assert.equal(lease?.holder, server.scheduler.holder, 'the first tick ran at start');
    } finally {
      await server.close();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
