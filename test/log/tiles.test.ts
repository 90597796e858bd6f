import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { appendLeaves, consistencyProof, EMPTY_TREE, inclusionProof, type ReadHash, treeRoot } from '../../src/log/merkle.js';
import {
  changedTiles,
  encodeTileIndex,
  entriesTilePath,
  entriesTileWidth,
  entryBundle,
  hashFromTiles,
  parseEntryBundle,
  parseTilePath,
  tileBytes,
  tilePath,
  tileWidth,
} from '../../src/log/tiles.js';
import { leafHash } from '../../src/verify/index.js';

describe('tlog-tiles paths', () => {
  it('encodes indexes in groups of three digits', () => {
    assert.equal(encodeTileIndex(0), '000');
    assert.equal(encodeTileIndex(5), '005');
    assert.equal(encodeTileIndex(999), '999');
    assert.equal(encodeTileIndex(1000), 'x001/000');
    assert.equal(encodeTileIndex(1234067), 'x001/x234/067');
    assert.equal(tilePath(0, 1234067), 'tile/0/x001/x234/067');
    assert.equal(tilePath(1, 5, 44), 'tile/1/005.p/44');
    assert.equal(tilePath(2, 5, 256), 'tile/2/005');
    assert.equal(entriesTilePath(1234067), 'tile/entries/x001/x234/067');
    assert.equal(entriesTilePath(3, 1), 'tile/entries/003.p/1');
    assert.throws(() => tilePath(0, 1, 0));
    assert.throws(() => tilePath(0, 1, 257));
    assert.throws(() => tilePath(64, 1));
    assert.throws(() => tilePath(0, -1));
  });

  it('parses exactly the canonical paths', () => {
    fc.assert(
      fc.property(fc.nat(63), fc.maxSafeNat(), fc.integer({ min: 1, max: 256 }), (level, index, width) => {
        assert.deepEqual(parseTilePath(tilePath(level, index, width)), { kind: 'hashes', level, index, width });
        assert.deepEqual(parseTilePath(entriesTilePath(index, width)), { kind: 'entries', index, width });
      }),
    );
    for (const bad of [
      'tile/0/1',
      'tile/0/0001',
      'tile/0/x000/001',
      'tile/00/001',
      'tile/64/001',
      'tile/0/001.p/0',
      'tile/0/001.p/256',
      'tile/0/001.p/044',
      'tile/0/001/',
      '/tile/0/001',
      'tile/entries/x1/001',
      'tile/data/001',
    ])
      assert.equal(parseTilePath(bad), null, bad);
  });

  it('knows the width of every tile at a size, and which tiles a batch changes', () => {
    assert.equal(tileWidth(0, 0, 0), 0);
    assert.equal(tileWidth(0, 0, 255), 255);
    assert.equal(tileWidth(0, 0, 256), 256);
    assert.equal(tileWidth(0, 1, 300), 44);
    assert.equal(tileWidth(1, 0, 300), 1);
    assert.equal(tileWidth(1, 0, 65535), 255);
    assert.equal(tileWidth(2, 0, 65536), 1);
    assert.equal(entriesTileWidth(1, 300), 44);
    assert.deepEqual(changedTiles(250, 300), [
      { level: 0, index: 0, width: 256 },
      { level: 0, index: 1, width: 44 },
      { level: 1, index: 0, width: 1 },
    ]);
    assert.deepEqual(changedTiles(300, 301), [{ level: 0, index: 1, width: 45 }]);
    assert.deepEqual(changedTiles(300, 300), []);
  });
});

describe('tiles from stored nodes', () => {
  // 2^16 + 500 leaves: tiles at levels 0, 1 and 2, full and partial.
  const size = 65536 + 500;
  const leaves = Array.from({ length: size }, (_, i) => leafHash(createHash('sha256').update(String(i)).digest()));
  const { newNodeHashes } = appendLeaves(EMPTY_TREE, leaves);
  const store = new Map(newNodeHashes.map((n) => [`${n.level}/${n.index}`, n.hash]));
  const read: ReadHash = (level, index) => {
    const h = store.get(`${level}/${index}`);
    if (h === undefined) throw new Error(`node (${level}, ${index}) is not stored`);
    return h;
  };

  it('builds a tile as the concatenated hashes of level 8·L', () => {
    const tile = tileBytes(1, 0, 256, read);
    assert.equal(tile.length, 256 * 32);
    assert.deepEqual(tile.subarray(32 * 7, 32 * 8), read(8, 7));
    assert.deepEqual(tileBytes(0, 256, tileWidth(0, 256, size), read).subarray(0, 32), leaves[65536]);
    assert.equal(tileWidth(0, 257, size), 500 - 256);
    assert.equal(tileBytes(2, 0, tileWidth(2, 0, size), read).length, 32);
  });

  it('gives the same roots and proofs when nodes are read from tiles', () => {
    const tilesRead = new Set<string>();
    const fromTiles = hashFromTiles((level, index) => {
      tilesRead.add(`${level}/${index}`);
      return tileBytes(level, index, tileWidth(level, index, size), read);
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: size }), fc.nat(), fc.nat(), (n, i, m) => {
        const index = i % n;
        const size1 = (m % n) + 1;
        assert.deepEqual(treeRoot(n, fromTiles), treeRoot(n, read));
        tilesRead.clear();
        assert.deepEqual(inclusionProof(index, n, fromTiles), inclusionProof(index, n, read));
        assert.ok(tilesRead.size <= 3 * 3, `${tilesRead.size} tiles read`);
        assert.deepEqual(consistencyProof(size1, n, fromTiles), consistencyProof(size1, n, read));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a tile too short for the node asked', () => {
    const short = hashFromTiles(() => Buffer.alloc(32 * 3));
    assert.throws(() => short(2, 0));
  });
});

describe('entry bundles', () => {
  it('prefix each entry with its uint16 length, and parse back', () => {
    const entries = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300, 7)];
    const bundle = entryBundle(entries);
    assert.deepEqual(bundle.subarray(0, 3), Buffer.from([0, 1, 0x61]));
    assert.deepEqual(parseEntryBundle(bundle), entries);
    assert.throws(() => parseEntryBundle(bundle.subarray(0, -1)));
    assert.throws(() => entryBundle([Buffer.alloc(65536)]));
    assert.throws(() => entryBundle(Array.from({ length: 257 }, () => Buffer.alloc(1))));
  });
});
