import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Auditor, AuditorRepository } from '../../src/auditors/auditor.js';
import { AuditorService } from '../../src/auditors/auditor.service.js';
import { systemClock } from '../../src/clock.js';
import { generateApiKey, hashApiKey, hasKeyShape } from '../../src/lenders/api-key.js';
import type { Lender } from '../../src/lenders/lender.js';
import type { LenderRepository } from '../../src/lenders/lender.repository.js';
import { LenderService } from '../../src/lenders/lender.service.js';
import { LruCache } from '../../src/lenders/lru.js';

// The API-key caches in front of the store: bounded, holding key hashes only, never emptied by a flood.

const CACHE_MS = 60_000;

/** A lender store in memory that counts its lookups by key hash. */
function lenderStore() {
  const byHash = new Map<string, Lender>();
  const looked: string[] = [];
  const repo = {
    async findByKeyHash(hash: Buffer): Promise<Lender | null> {
      looked.push(hash.toString('base64'));
      return byHash.get(hash.toString('base64')) ?? null;
    },
  } as unknown as LenderRepository;
  const add = (n: number): string => {
    const apiKey = generateApiKey();
    byHash.set(hashApiKey(apiKey).toString('base64'), {
      id: `lender-${n}`,
      name: `Lender ${n}`,
      bin: '000000000000',
      type: 'bank',
      status: 'active',
      keyPrefix: apiKey.slice(0, 10),
      createdAt: new Date(),
      revokedAt: null,
    });
    return apiKey;
  };
  const lookupsOf = (apiKey: string) => looked.filter((h) => h === hashApiKey(apiKey).toString('base64')).length;
  return { repo, add, looked, lookupsOf };
}

/** Keys no lender holds, of the shape the registry issues. */
const unknownKey = () => `tyk_${randomBytes(32).toString('base64url')}`;

/** The shapes a caller may send that no issued key has; each must be refused without a lookup. */
const MISSHAPEN = [
  '',
  'tyk_',
  `tyk_${'A'.repeat(42)}`,
  `tyk_${'A'.repeat(44)}`,
  `tyk_${'A'.repeat(42)}=`,
  `tyk_${'A'.repeat(42)}+`,
  `TYK_${'A'.repeat(43)}`,
  `tya_${'A'.repeat(43)}`,
  `tyk_${'A'.repeat(16 * 1024)}`,
  `${'x'.repeat(47)}`,
];

function heapUsedAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('API key shape', () => {
  it('is the prefix and 43 base64url characters, as issued', () => {
    for (let i = 0; i < 100; i++) {
      assert.ok(hasKeyShape(generateApiKey()));
      assert.ok(hasKeyShape(generateApiKey('tya_'), 'tya_'));
    }
    for (const key of MISSHAPEN) assert.equal(hasKeyShape(key), false, key.slice(0, 60));
    assert.equal(hasKeyShape(generateApiKey(), 'tya_'), false);
  });
});

describe('LenderService.authenticate', () => {
  it('refuses keys of the wrong shape before any lookup', async () => {
    const store = lenderStore();
    const lenders = new LenderService(store.repo, systemClock, CACHE_MS);
    for (const key of MISSHAPEN) assert.equal(await lenders.authenticate(key), null);
    assert.deepEqual(store.looked, []);
  });

  it('does not remember unknown keys: heap flat after 10,000, and a real lender stays cached', async () => {
    const store = lenderStore();
    const lenders = new LenderService(store.repo, systemClock, CACHE_MS);
    const real = store.add(1);
    assert.equal((await lenders.authenticate(real))?.id, 'lender-1');
    // Warm up, so that the measure below is of the cache, not of code loading.
    for (let i = 0; i < 500; i++) await lenders.authenticate(unknownKey());
    const before = heapUsedAfterGc();
    for (let i = 0; i < 10_000; i++) {
      assert.equal(await lenders.authenticate(i % 2 === 0 ? unknownKey() : `tyk_${'Z'.repeat(16 * 1024)}${i}`), null);
    }
    const grown = heapUsedAfterGc() - before;
    // A remembered 16 KiB key, or even its 32-byte hash with an entry, would show here.
    assert.ok(grown < 2 * 1024 * 1024, `the heap grew by ${(grown / 1024 / 1024).toFixed(1)} MB`);
    assert.equal((await lenders.authenticate(real))?.id, 'lender-1');
    assert.equal(store.lookupsOf(real), 1, 'the real lender was served from the cache throughout');
  });

  it('when full, evicts the least recently used lender, never the whole cache', async () => {
    const store = lenderStore();
    const lenders = new LenderService(store.repo, systemClock, CACHE_MS);
    const hot = store.add(0);
    await lenders.authenticate(hot);
    // More lenders than the cache holds (10,000), with the hot one in use all along.
    const others: string[] = [];
    for (let n = 1; n <= 10_500; n++) {
      const key = store.add(n);
      others.push(key);
      await lenders.authenticate(key);
      if (n % 1_000 === 0) await lenders.authenticate(hot);
    }
    await lenders.authenticate(hot);
    assert.equal(store.lookupsOf(hot), 1, 'the lender in use stayed cached');
    // The most recent lenders are still cached; the coldest were evicted and are looked up again.
    await lenders.authenticate(others.at(-1) as string);
    assert.equal(store.lookupsOf(others.at(-1) as string), 1);
    await lenders.authenticate(others[0] as string);
    assert.equal(store.lookupsOf(others[0] as string), 2);
  });
});

describe('AuditorService.authenticate', () => {
  it('refuses keys of the wrong shape (a lender key included) before any lookup, and caches real auditors', async () => {
    const looked: Buffer[] = [];
    const key = generateApiKey('tya_');
    const auditor: Auditor = {
      id: 'a1',
      name: 'Audit',
      status: 'active',
      keyPrefix: key.slice(0, 10),
      createdAt: new Date(),
      revokedAt: null,
    };
    const repo = {
      async findByKeyHash(hash: Buffer) {
        looked.push(hash);
        return hash.equals(hashApiKey(key)) ? auditor : null;
      },
    } as unknown as AuditorRepository;
    const auditors = new AuditorService(repo, systemClock, CACHE_MS);
    for (const k of [...MISSHAPEN.filter((k) => !k.startsWith('tya_')), generateApiKey(), `tya_${'A'.repeat(44)}`]) {
      assert.equal(await auditors.authenticate(k), null);
    }
    assert.equal(looked.length, 0);
    assert.equal((await auditors.authenticate(key))?.id, 'a1');
    for (let i = 0; i < 2_000; i++) await auditors.authenticate(`tya_${randomBytes(32).toString('base64url')}`);
    assert.equal((await auditors.authenticate(key))?.id, 'a1');
    assert.equal(looked.filter((h) => h.equals(hashApiKey(key))).length, 1);
  });
});

describe('LruCache', () => {
  it('holds at most its capacity, dropping the least recently used', () => {
    const lru = new LruCache<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    assert.equal(lru.get('a'), 1); // a is now the most recent
    lru.set('d', 4); // evicts b
    assert.equal(lru.size, 3);
    assert.equal(lru.get('b'), undefined);
    assert.deepEqual([lru.get('a'), lru.get('c'), lru.get('d')], [1, 3, 4]);
    lru.set('c', 30); // an update is a use
    lru.set('e', 5); // evicts a
    assert.equal(lru.get('a'), undefined);
    assert.equal(lru.get('c'), 30);
    lru.delete('c');
    assert.equal(lru.size, 2);
    assert.throws(() => new LruCache(0), RangeError);
  });
});
