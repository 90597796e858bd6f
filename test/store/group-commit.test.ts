import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../src/store/group-commit.js';

describe('GroupCommit', () => {
  it('commits everything enqueued in one tick as one batch, and settles only after the commit', async () => {
    const batches: number[][] = [];
    let committed = false;
    const writer = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
      committed = true;
      return items.map((i) => i * 10);
    });
    const settled = [1, 2, 3].map((i) =>
      writer.enqueue(i).then((result) => {
        assert.equal(committed, true, 'settled before its commit finished');
        return result;
      }),
    );
    assert.deepEqual(await Promise.all(settled), [10, 20, 30], 'each write gets its own result');
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  it('queues writes that arrive during a commit for the next batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const writer = new GroupCommit<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return [];
    });
    const first = writer.enqueue(1);
    await new Promise((r) => setImmediate(r));
    const later = [writer.enqueue(2), writer.enqueue(3)];
    release();
    await Promise.all([first, ...later]);
    assert.deepEqual(batches, [[1], [2, 3]]);
  });

  it('fails only the item that cannot be written; the rest of its batch is committed', async () => {
    const committed: number[] = [];
    const writer = new GroupCommit<number, number>(async (items) => {
      if (items.includes(13)) throw new Error('cannot encode 13');
      committed.push(...items);
      return items.map((i) => i * 10);
    });
    const results = await Promise.allSettled([1, 2, 13, 4, 5].map((i) => writer.enqueue(i)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected')),
      [10, 20, 'rejected', 40, 50],
    );
    assert.deepEqual(committed.sort(), [1, 2, 4, 5]);
  });

  it('rejects every write when the store itself fails, and goes on with the next batch', async () => {
    let failing = true;
    let calls = 0;
    const writer = new GroupCommit<number>(async () => {
      calls++;
      if (failing) throw new Error('disk full');
      return [];
    });
    const results = await Promise.allSettled([writer.enqueue(1), writer.enqueue(2)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(calls, 3, 'the batch, then each half');
    failing = false;
    await writer.enqueue(3);
  });

  it('caps a batch and drains the rest', async () => {
    const sizes: number[] = [];
    const writer = new GroupCommit<number>(
      async (items) => {
        sizes.push(items.length);
        return [];
      },
      { maxBatch: 4 },
    );
    for (let i = 0; i < 10; i++) void writer.enqueue(i);
    await writer.drain();
    assert.deepEqual(sizes, [4, 4, 2]);
  });
});
