import { HASH_SIZE, nodeHash } from '../verify/hash.js';
import type { ReadHash } from './merkle.js';

/*
 * C2SP tlog-tiles (c2sp.org/tlog-tiles): the tree's hashes served as static tiles.
 *
 * Tiles have height 8: a tile holds up to 256 hashes. The tile at tile level L and index N holds the
 * nodes (8·L, N·256 + i) of merkle.ts for i < W; W = 256 for a full tile, 1..255 for the partial tile
 * at the right edge, served at `<path>.p/<W>`. Entry bundles hold the 256 entries of leaves
 * N·256 … N·256 + 255, each prefixed with its length as a big-endian uint16.
 */

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const MAX_TILE_LEVEL = 63;

/** tlog-tiles index encoding: groups of three digits, all but the last prefixed with "x" (1234067 → x001/x234/067). */
export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Invalid tile index ${String(n)}.`);
  let rest = Math.floor(n / 1000);
  let path = String(n % 1000).padStart(3, '0');
  while (rest > 0) {
    path = `x${String(rest % 1000).padStart(3, '0')}/${path}`;
    rest = Math.floor(rest / 1000);
  }
  return path;
}

function widthSuffix(width: number | undefined): string {
  if (width === undefined || width === TILE_WIDTH) return '';
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new RangeError(`Invalid tile width ${String(width)}.`);
  return `.p/${width}`;
}

/** `tile/<L>/<N>[.p/<W>]`: a hash tile. A width of 256 (or none) is a full tile. */
export function tilePath(level: number, index: number, width?: number): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL)
    throw new RangeError(`Invalid tile level ${String(level)}.`);
  return `tile/${level}/${encodeTileIndex(index)}${widthSuffix(width)}`;
}

/** `tile/entries/<N>[.p/<W>]`: an entry bundle. */
export function entriesTilePath(index: number, width?: number): string {
  return `tile/entries/${encodeTileIndex(index)}${widthSuffix(width)}`;
}

export type TileRef =
  | { kind: 'hashes'; level: number; index: number; width: number }
  | { kind: 'entries'; index: number; width: number };

/** Parses a tile path in its one canonical spelling, or returns null. Width 256 means a full tile. */
export function parseTilePath(path: string): TileRef | null {
  const m = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (m === null) return null;
  const [, levelText, indexText, widthText] = m as unknown as [string, string, string, string | undefined];
  if (/^x000\//.test(indexText)) return null; // no leading zero group
  const index = Number(indexText.replace(/[x/]/g, ''));
  if (!Number.isSafeInteger(index)) return null;
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (widthText !== undefined && width >= TILE_WIDTH) return null; // a full tile has no .p/ suffix
  if (levelText === 'entries') return { kind: 'entries', index, width };
  const level = Number(levelText);
  if (level > MAX_TILE_LEVEL) return null;
  return { kind: 'hashes', level, index, width };
}

/** The width of tile (level, index) in a tree of `size` leaves: 256 when full, 0 when it does not exist yet. */
export function tileWidth(level: number, index: number, size: number): number {
  const count = Math.floor(size / 2 ** (TILE_HEIGHT * level)); // nodes at level 8·L
  return Math.max(0, Math.min(TILE_WIDTH, count - index * TILE_WIDTH));
}

/** The width of entry bundle `index` in a tree of `size` leaves. */
export function entriesTileWidth(index: number, size: number): number {
  return tileWidth(0, index, size);
}

/**
 * The tiles (at every level) whose content changes when the tree grows from `oldSize` to `newSize`,
 * with their width at `newSize`: the tiles to write or to invalidate in a cache after a batch.
 */
export function changedTiles(oldSize: number, newSize: number): { level: number; index: number; width: number }[] {
  const out: { level: number; index: number; width: number }[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL; level++) {
    const unit = 2 ** (TILE_HEIGHT * level);
    const before = Math.floor(oldSize / unit);
    const after = Math.floor(newSize / unit);
    if (after === before) break;
    for (let index = Math.floor(before / TILE_WIDTH); index * TILE_WIDTH < after; index++)
      out.push({ level, index, width: tileWidth(level, index, newSize) });
  }
  return out;
}

/** The bytes of tile (level, index) with `width` hashes: the stored nodes (8·level, index·256 + i), concatenated. */
export function tileBytes(level: number, index: number, width: number, read: ReadHash): Buffer {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new RangeError(`Invalid tile width ${String(width)}.`);
  const out = Buffer.allocUnsafe(width * HASH_SIZE);
  for (let i = 0; i < width; i++) {
    const h = read(TILE_HEIGHT * level, index * TILE_WIDTH + i);
    if (h.length !== HASH_SIZE) throw new Error(`A stored hash must be ${HASH_SIZE} bytes.`);
    out.set(h, i * HASH_SIZE);
  }
  return out;
}

/**
 * A ReadHash that answers from tiles: node (h, i) is computed from the 2^(h mod 8) hashes it covers in
 * the tile at tile level ⌊h/8⌋. `readTile` returns the tile's bytes (full, or partial but wide enough);
 * it is called once per node, so cache tiles in it when they are costly to fetch.
 */
export function hashFromTiles(readTile: (level: number, index: number) => Uint8Array): ReadHash {
  return (level, index) => {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const height = level % TILE_HEIGHT;
    const span = 2 ** height;
    const first = index * span; // first covered node at level 8·tileLevel
    const tileIndex = Math.floor(first / TILE_WIDTH);
    const tile = readTile(tileLevel, tileIndex);
    const offset = first - tileIndex * TILE_WIDTH;
    if (tile.length < (offset + span) * HASH_SIZE)
      throw new Error(`Tile ${tilePath(tileLevel, tileIndex)} is too short for node (${level}, ${index}).`);
    let row: Uint8Array[] = [];
    for (let i = 0; i < span; i++) row.push(tile.subarray((offset + i) * HASH_SIZE, (offset + i + 1) * HASH_SIZE));
    while (row.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i] as Uint8Array, row[i + 1] as Uint8Array));
      row = next;
    }
    return row[0] as Uint8Array;
  };
}

/** An entry bundle: each entry prefixed with its length as a big-endian uint16 (tlog-tiles "Entry bundles"). */
export function entryBundle(entries: readonly Uint8Array[]): Buffer {
  if (entries.length > TILE_WIDTH) throw new RangeError(`An entry bundle holds at most ${TILE_WIDTH} entries.`);
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.length > 0xffff) throw new RangeError('An entry in a bundle is at most 65,535 bytes.');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(e.length);
    parts.push(length, Buffer.from(e));
  }
  return Buffer.concat(parts);
}

/** The entries of a bundle; throws if it is truncated. */
export function parseEntryBundle(bundle: Uint8Array): Buffer[] {
  const b = Buffer.from(bundle);
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    if (at + 2 > b.length) throw new Error('Truncated entry bundle.');
    const length = b.readUInt16BE(at);
    at += 2;
    if (at + length > b.length) throw new Error('Truncated entry bundle.');
    out.push(b.subarray(at, at + length));
    at += length;
  }
  if (out.length > TILE_WIDTH) throw new Error(`An entry bundle holds at most ${TILE_WIDTH} entries.`);
  return out;
}
