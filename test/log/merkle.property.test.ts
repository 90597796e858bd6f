import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  appendLeaves,
  assembleAsync,
  consistencyPlan,
  consistencyProof,
  EMPTY_TREE,
  inclusionPlan,
  inclusionProof,
  planNodes,
  type ReadHash,
  rootPlan,
  type StoredNode,
  stateAt,
  stateRoot,
  type TreeState,
  treeRoot,
} from '../../src/log/merkle.js';
import {
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  VerifyError,
  verifyConsistency,
  verifyInclusion,
} from '../../src/verify/index.js';

/** A random tree: its leaf hashes, its stored nodes, and the root of every prefix. */
function tree(size: number, seed: number) {
  const leaves = Array.from({ length: size }, (_, i) => leafHash(createHash('sha256').update(`${seed}/${i}`).digest()));
  const store = new Map<string, Buffer>();
  const roots: Buffer[] = [];
  let state: TreeState = EMPTY_TREE;
  roots.push(stateRoot(state));
  for (const leaf of leaves) {
    const { newState, newNodeHashes } = appendLeaves(state, [leaf]);
    for (const n of newNodeHashes) store.set(`${n.level}/${n.index}`, n.hash);
    state = newState;
    roots.push(stateRoot(state));
  }
  let reads = 0;
  const read: ReadHash = (level, index) => {
    reads++;
    const h = store.get(`${level}/${index}`);
    if (h === undefined) throw new Error(`node (${level}, ${index}) is not stored`);
    return h;
  };
  return { leaves, store, roots, read, reads: () => reads };
}

const fails = (f: () => unknown): boolean => {
  try {
    f();
    return false;
  } catch (e) {
    if (e instanceof VerifyError) return true;
    throw e;
  }
};

function flipBit(b: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(b);
  out[Math.floor(bit / 8) % out.length] = (out[Math.floor(bit / 8) % out.length] as number) ^ (1 << (bit % 8));
  return out;
}

const treeArb = fc.record({ size: fc.integer({ min: 1, max: 300 }), seed: fc.integer() });
const RUNS = { numRuns: 40 };

describe('Merkle tree: generated proofs verify', () => {
  it('every inclusion proof of a random tree verifies, reading O(log n) hashes', () => {
    fc.assert(
      fc.property(treeArb, ({ size, seed }) => {
        const t = tree(size, seed);
        const root = t.roots[size] as Buffer;
        assert.deepEqual(root, rootFromLeafHashes(t.leaves));
        assert.deepEqual(treeRoot(size, t.read), root);
        const logN = Math.ceil(Math.log2(size + 1));
        for (let i = 0; i < size; i++) {
          assert.ok(planNodes(inclusionPlan(i, size)).length <= 2 * logN + 1);
          assert.equal(verifyInclusion(i, size, t.leaves[i] as Buffer, inclusionProof(i, size, t.read), root), true);
        }
      }),
      RUNS,
    );
  });

  it('every consistency proof of a random tree verifies, reading O(log n) hashes', () => {
    fc.assert(
      fc.property(treeArb, ({ size, seed }) => {
        const t = tree(size, seed);
        const logN = Math.ceil(Math.log2(size + 1));
        for (let m = 1; m <= size; m++) {
          assert.ok(planNodes(consistencyPlan(m, size)).length <= 2 * logN + 2);
          const proof = consistencyProof(m, size, t.read);
          assert.equal(verifyConsistency(m, size, proof, t.roots[m] as Buffer, t.roots[size] as Buffer), true);
        }
      }),
      RUNS,
    );
  });

  it('appending in random batches gives the same nodes, state and root as one leaf at a time', () => {
    fc.assert(
      fc.property(treeArb, fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 12 }), ({ size, seed }, cuts) => {
        const t = tree(size, seed);
        const bounds = [...new Set([0, ...cuts.map((c) => c % (size + 1)), size])].sort((a, b) => a - b);
        let state: TreeState = EMPTY_TREE;
        const nodes: StoredNode[] = [];
        for (let b = 1; b < bounds.length; b++) {
          const { newState, newNodeHashes } = appendLeaves(state, t.leaves.slice(bounds[b - 1], bounds[b]));
          assert.deepEqual(newState, stateAt(newState.size, t.read));
          assert.deepEqual(stateRoot(newState), t.roots[newState.size]);
          nodes.push(...newNodeHashes);
          state = newState;
        }
        assert.equal(state.size, size);
        assert.deepEqual(stateRoot(state), rootFromLeafHashes(t.leaves));
        // Every completed node exactly once, and nothing else.
        assert.equal(nodes.length, t.store.size);
        for (const n of nodes) assert.deepEqual(n.hash, t.store.get(`${n.level}/${n.index}`));
      }),
      RUNS,
    );
  });

  it('a batch costs O(batch + log n) hashes', () => {
    const t = tree(1000, 7);
    const state = stateAt(999, t.read);
    const { newNodeHashes } = appendLeaves(state, [t.leaves[999] as Buffer]);
    assert.equal(newNodeHashes.length, 1 + 3); // 999 = 0b1111100111: three trailing ones merge
    assert.ok(appendLeaves(stateAt(511, t.read), t.leaves.slice(511, 611)).newNodeHashes.length <= 100 + 100 + 10);
  });

  it('reads the nodes of a plan in one asynchronous batch', async () => {
    const t = tree(300, 9);
    let batches = 0;
    const readMany = async (ids: { level: number; index: number }[]) => {
      batches++;
      return ids.map((id) => t.read(id.level, id.index));
    };
    assert.deepEqual(await assembleAsync(inclusionPlan(123, 300), readMany), inclusionProof(123, 300, t.read));
    assert.deepEqual(await assembleAsync(consistencyPlan(77, 300), readMany), consistencyProof(77, 300, t.read));
    assert.deepEqual(await assembleAsync(rootPlan(300), readMany), [t.roots[300]]);
    assert.equal(batches, 3);
  });

  it('does not modify the state it is given', () => {
    const t = tree(5, 1);
    const state = stateAt(5, t.read);
    const copy = { size: state.size, rightEdge: state.rightEdge.map((h) => Buffer.from(h)) };
    appendLeaves(state, [t.leaves[0] as Buffer, t.leaves[1] as Buffer, t.leaves[2] as Buffer]);
    assert.deepEqual(state, copy);
  });
});

describe('Merkle tree: any change fails', () => {
  const inclusionCase = treeArb.chain(({ size, seed }) =>
    fc.record({ size: fc.constant(size), seed: fc.constant(seed), index: fc.nat(size - 1), bit: fc.nat(255), pick: fc.nat() }),
  );

  it('inclusion: a flipped bit in a proof hash, the leaf hash or the root; the index ±1; the size ±1 with its root', () => {
    fc.assert(
      fc.property(inclusionCase, ({ size, seed, index, bit, pick }) => {
        const t = tree(size + 1, seed);
        const leaf = t.leaves[index] as Buffer;
        const root = t.roots[size] as Buffer;
        const proof = inclusionProof(index, size, t.read);
        if (proof.length > 0) {
          const at = pick % proof.length;
          assert.ok(fails(() => verifyInclusion(index, size, leaf, proof.with(at, flipBit(proof[at] as Buffer, bit)), root)));
          assert.ok(
            fails(() => verifyInclusion(index, size, leaf, proof.slice(0, -1), root)),
            'truncated',
          );
        }
        assert.ok(
          fails(() => verifyInclusion(index, size, leaf, [...proof, leaf], root)),
          'extended',
        );
        assert.ok(
          fails(() => verifyInclusion(index, size, flipBit(leaf, bit), proof, root)),
          'leaf',
        );
        assert.ok(
          fails(() => verifyInclusion(index, size, leaf, proof, flipBit(root, bit))),
          'root',
        );
        assert.ok(
          fails(() => verifyInclusion(index + 1, size, leaf, proof, root)),
          'index + 1',
        );
        if (index > 0)
          assert.ok(
            fails(() => verifyInclusion(index - 1, size, leaf, proof, root)),
            'index - 1',
          );
        assert.ok(
          fails(() => verifyInclusion(index, size + 1, leaf, proof, t.roots[size + 1] as Buffer)),
          'size + 1',
        );
        if (size > 1)
          assert.ok(
            fails(() => verifyInclusion(index, size - 1, leaf, proof, t.roots[size - 1] as Buffer)),
            'size - 1',
          );
      }),
      { numRuns: 300 },
    );
  });

  const consistencyCase = treeArb.chain(({ size, seed }) =>
    fc.record({
      size: fc.constant(size),
      seed: fc.constant(seed),
      size1: fc.integer({ min: 1, max: size }),
      bit: fc.nat(255),
      pick: fc.nat(),
    }),
  );

  it('consistency: a flipped bit in a proof hash or either root; either size ±1 with its root', () => {
    fc.assert(
      fc.property(consistencyCase, ({ size, seed, size1, bit, pick }) => {
        const t = tree(size + 1, seed);
        const r = (n: number) => t.roots[n] as Buffer;
        const proof = consistencyProof(size1, size, t.read);
        if (proof.length > 0) {
          const at = pick % proof.length;
          assert.ok(
            fails(() => verifyConsistency(size1, size, proof.with(at, flipBit(proof[at] as Buffer, bit)), r(size1), r(size))),
          );
          assert.ok(
            fails(() => verifyConsistency(size1, size, proof.slice(0, -1), r(size1), r(size))),
            'truncated',
          );
        }
        assert.ok(
          fails(() => verifyConsistency(size1, size, [...proof, r(size)], r(size1), r(size))),
          'extended',
        );
        assert.ok(
          fails(() => verifyConsistency(size1, size, proof, flipBit(r(size1), bit), r(size))),
          'root1',
        );
        assert.ok(
          fails(() => verifyConsistency(size1, size, proof, r(size1), flipBit(r(size), bit))),
          'root2',
        );
        for (const s1 of [size1 - 1, size1 + 1]) {
          if (s1 < 1 || s1 > size) continue;
          assert.ok(
            fails(() => verifyConsistency(s1, size, proof, r(size1), r(size))),
            'size1 ± 1',
          );
          assert.ok(
            fails(() => verifyConsistency(s1, size, proof, r(s1), r(size))),
            'size1 ± 1 with its root',
          );
        }
        for (const s2 of [size - 1, size + 1]) {
          if (s2 < size1) continue;
          assert.ok(
            fails(() => verifyConsistency(size1, s2, proof, r(size1), r(s2))),
            'size2 ± 1 with its root',
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a proof does not bind the tree size to a root: that is what the signed checkpoint does', () => {
    // RFC 9162 §2.1.3.2 checks a path, and the path of leaf 0 has the same shape in trees of 5 and 6
    // leaves. So receipts take the size and the root from one signed checkpoint, never from the caller.
    const t = tree(6, 3);
    const proof = inclusionProof(0, 5, t.read);
    assert.equal(verifyInclusion(0, 6, t.leaves[0] as Buffer, proof, t.roots[5] as Buffer), true);
    assert.ok(fails(() => verifyInclusion(0, 6, t.leaves[0] as Buffer, proof, t.roots[6] as Buffer)));
  });

  it('refuses hashes that are not 32 bytes, index ≥ size, a first size of 0, equal sizes with a proof', () => {
    const t = tree(8, 2);
    const r = (n: number) => t.roots[n] as Buffer;
    const leaf = t.leaves[3] as Buffer;
    const proof = inclusionProof(3, 8, t.read);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as VerifyError).code;
      }
      return 'verified';
    };
    assert.equal(
      code(() => verifyInclusion(3, 8, leaf.subarray(1), proof, r(8))),
      'invalid_hash',
    );
    assert.equal(
      code(() => verifyInclusion(3, 8, leaf, proof, Buffer.concat([r(8), Buffer.alloc(1)]))),
      'invalid_hash',
    );
    assert.equal(
      code(() => verifyInclusion(3, 8, leaf, proof.with(0, Buffer.alloc(31)), r(8))),
      'invalid_hash',
    );
    assert.equal(
      code(() => verifyInclusion(8, 8, leaf, proof, r(8))),
      'invalid_argument',
    );
    assert.equal(
      code(() => verifyInclusion(0, 0, leaf, [], r(0))),
      'invalid_argument',
    );
    assert.equal(
      code(() => verifyInclusion(-1, 8, leaf, proof, r(8))),
      'invalid_argument',
    );
    assert.equal(
      code(() => verifyInclusion(1.5, 8, leaf, proof, r(8))),
      'invalid_argument',
    );
    assert.equal(
      code(() => verifyConsistency(0, 8, [], r(0), r(8))),
      'invalid_argument',
    );
    assert.equal(
      code(() => verifyConsistency(0, 0, [], r(0), r(0))),
      'invalid_argument',
    );
    assert.equal(
      code(() => verifyConsistency(5, 4, [], r(5), r(4))),
      'invalid_argument',
    );
    assert.equal(
      code(() => verifyConsistency(4, 4, [r(4)], r(4), r(4))),
      'invalid_proof',
    );
    assert.equal(
      code(() => verifyConsistency(4, 4, [], r(4), r(4))),
      'verified',
    );
    assert.equal(
      code(() => verifyConsistency(4, 4, [], r(4), r(5))),
      'root_mismatch',
    );
    assert.equal(
      code(() => verifyConsistency(4, 8, [], r(4), r(8))),
      'invalid_proof',
    );
    assert.equal(
      code(() => verifyConsistency(4, 8, consistencyProof(4, 8, t.read), r(4).subarray(0, 16), r(8))),
      'invalid_hash',
    );
  });

  it('handles indexes and sizes beyond 32 bits without truncation', () => {
    // A tree of 2^40 + 3 leaves: the first 2^40 are equal, so every perfect subtree among them has one
    // hash per level; the last three differ. Enough to catch any 32-bit truncation of sizes or indexes.
    const size = 2 ** 40 + 3;
    const uniform = [leafHash(Buffer.from('same'))];
    for (let level = 1; level <= 40; level++) uniform.push(nodeHash(uniform[level - 1] as Buffer, uniform[level - 1] as Buffer));
    const synthetic: ReadHash = (level, index) =>
      (index + 1) * 2 ** level <= 2 ** 40
        ? (uniform[level] as Buffer)
        : level === 0
          ? leafHash(Buffer.from(`leaf ${index}`))
          : nodeHash(synthetic(level - 1, 2 * index), synthetic(level - 1, 2 * index + 1));
    const index = 2 ** 40 + 1;
    const root = treeRoot(size, synthetic);
    assert.equal(verifyInclusion(index, size, synthetic(0, index), inclusionProof(index, size, synthetic), root), true);
    const size1 = 2 ** 33 + 5;
    const proof = consistencyProof(size1, size, synthetic);
    assert.equal(verifyConsistency(size1, size, proof, treeRoot(size1, synthetic), root), true);
  });
});
