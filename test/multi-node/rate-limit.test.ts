import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ENGINE } from '../helpers/engine.js';
import { BIN } from '../helpers/people.js';
import { type Nodes, openNodes, postCheck } from './nodes.js';

// A lender's rate limit holds across nodes: two apps on one store share one budget, counted in the store or in Redis.

const REDIS_URL = 'redis://127.0.0.1:6379';

/** Whether Redis answers here, and why not. */
async function redisReachable(): Promise<string | null> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (e) {
    return `Redis is not reachable at ${REDIS_URL} (${(e as Error).message})`;
  } finally {
    probe.disconnect();
  }
}

async function twoLenders(nodes: Nodes) {
  const [a] = nodes.nodes;
  assert.ok(a);
  const bank = await a.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
  const mfo = await a.services.lenders.register({ name: 'MFO', bin: BIN.mfo, type: 'mfo' });
  return { bank: bank.apiKey, mfo: mfo.apiKey };
}

/** Three checks allowed per minute, through A, B, A; the fourth, through B, is refused as before. */
async function assertSharedBudget(nodes: Nodes): Promise<void> {
  const [a, b] = nodes.nodes;
  assert.ok(a && b);
  const { bank, mfo } = await twoLenders(nodes);
  const first = await postCheck(a, bank, 'R1');
  assert.equal(first.statusCode, 200, first.body);
  assert.equal(first.headers['x-ratelimit-limit'], '3');
  assert.equal(first.headers['x-ratelimit-remaining'], '2');
  assert.equal((await postCheck(b, bank, 'R2')).statusCode, 200);
  const third = await postCheck(a, bank, 'R3');
  assert.equal(third.statusCode, 200);
  assert.equal(third.headers['x-ratelimit-remaining'], '0');

  const refused = await postCheck(b, bank, 'R4');
  assert.equal(refused.statusCode, 429, 'the other node knows the budget is spent');
  assert.equal(refused.json().error.code, 'rate_limited');
  assert.equal(refused.headers['x-ratelimit-limit'], '3');
  assert.equal(refused.headers['x-ratelimit-remaining'], '0');
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, String(refused.headers['retry-after']));
  assert.equal((await postCheck(a, bank, 'R5')).statusCode, 429);
  assert.equal((await postCheck(b, mfo, 'M1')).statusCode, 200, 'another lender has its own budget');
}

describe(`a lender's rate limit across two nodes (${ENGINE})`, () => {
  describe('counted in the store', () => {
    let nodes: Nodes;
    before(async () => {
      nodes = await openNodes(2, { env: { RATE_LIMIT_PER_MINUTE: '3' } });
    });
    after(() => nodes.close());

    it('two nodes share one budget per lender, and the 429 answer and headers are unchanged', async () => {
      await assertSharedBudget(nodes);
    });

    it('a new minute brings a new budget, on every node; old windows are purged', async () => {
      const [a, b] = nodes.nodes;
      assert.ok(a && b);
      const lender = await a.services.lenders.register({ name: 'Other Bank', bin: BIN.otherBank, type: 'bank' });
      for (let i = 0; i < 3; i++) assert.equal((await postCheck(i % 2 ? a : b, lender.apiKey, `W${i}`)).statusCode, 200);
      assert.equal((await postCheck(a, lender.apiKey, 'W3')).statusCode, 429);
      nodes.clock.advance(60_000);
      assert.equal((await postCheck(b, lender.apiKey, 'W4')).statusCode, 200);
      assert.equal((await postCheck(a, lender.apiKey, 'W5')).statusCode, 200);
      const purged = await a.services.store.rateLimits.purge(nodes.clock.now());
      assert.ok(purged >= 1, 'the windows of the minute before are gone');
      const third = await postCheck(a, lender.apiKey, 'W6');
      assert.equal(third.headers['x-ratelimit-remaining'], '0', 'the current window was kept');
    });

    it('when the count cannot be read, checks go through (fail open) rather than answer 500', async () => {
      const [a] = nodes.nodes;
      assert.ok(a);
      const lender = (await a.services.lenders.list())[0];
      assert.ok(lender);
      const { apiKey } = await a.services.lenders.rotateKey(lender.id);
      nodes.clock.advance(60_000);
      const repo = a.services.store.rateLimits;
      const original = repo.increment;
      repo.increment = async () => {
        throw new Error('counter unavailable');
      };
      try {
        for (let i = 0; i < 5; i++) assert.equal((await postCheck(a, apiKey, `F${i}`)).statusCode, 200);
      } finally {
        repo.increment = original;
      }
    });
  });

  describe('counted in Redis', async () => {
    const skip = await redisReachable();
    // A prefix of this run's own, so that runs and tests never count into each other's keys.
    const prefix = `tyiym-test:${randomBytes(6).toString('hex')}:`;
    let nodes: Nodes;
    before(async () => {
      if (skip !== null) return;
      nodes = await openNodes(2, { env: { RATE_LIMIT_PER_MINUTE: '3', REDIS_URL, REDIS_KEY_PREFIX: prefix } });
    });
    after(async () => {
      if (skip !== null) return;
      await nodes.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    it('two nodes share one budget per lender in Redis, under the configured prefix', { skip: skip ?? false }, async () => {
      await assertSharedBudget(nodes);
      const [a] = nodes.nodes;
      assert.ok(a);
      assert.equal(await a.services.store.rateLimits.purge(new Date(8.64e15)), 0, 'nothing was counted in the store');
      const redis = new Redis(REDIS_URL);
      try {
        const keys = await redis.keys(`${prefix}*`);
        assert.ok(keys.length >= 2, keys.join(', '));
        assert.ok(keys.every((k) => k.startsWith(`${prefix}rate:`)));
      } finally {
        await redis.quit();
      }
    });
  });

  describe('with Redis unreachable', () => {
    let nodes: Nodes;
    before(async () => {
      // Nothing listens on port 1: the node starts, warns, and serves without the limit.
      nodes = await openNodes(1, { env: { RATE_LIMIT_PER_MINUTE: '2', REDIS_URL: 'redis://127.0.0.1:1' } });
    });
    after(() => nodes.close());

    it('checks are answered (fail open), not refused with 500 or 429', async () => {
      const { bank } = await twoLenders(nodes);
      const [a] = nodes.nodes;
      assert.ok(a);
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const res = await postCheck(a, bank, `U${i}`);
        assert.equal(res.statusCode, 200, res.body);
      }
      assert.ok(Date.now() - started < 2_000, 'no check waits for Redis');
    });
  });
});
