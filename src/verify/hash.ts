import { createHash } from 'node:crypto';
import { VerifyError } from './errors.js';

/** SHA-256 output size; every tree hash is exactly this long. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** RFC 9162 §2.1.1: MTH({d}) = SHA-256(0x00 ‖ d). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** RFC 9162 §2.1.1: an interior node, SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 9162 §2.1.1: the root of the empty tree, SHA-256 of the empty string. */
export function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/** The tree head of already-hashed leaves, by folding the perfect subtrees of the size (RFC 9162 §2.1.1). */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Buffer {
  // A stack of perfect subtrees, as in an append-only compact range.
  const stack: { height: number; hash: Uint8Array }[] = [];
  for (const h of hashes) {
    let top = { height: 0, hash: h };
    for (let last = stack.at(-1); last !== undefined && last.height === top.height; last = stack.at(-1)) {
      stack.pop();
      top = { height: top.height + 1, hash: nodeHash(last.hash, top.hash) };
    }
    stack.push(top);
  }
  let root: Uint8Array | null = null;
  for (const s of stack.reverse()) root = root === null ? s.hash : nodeHash(s.hash, root);
  return root === null ? emptyRoot() : Buffer.from(root);
}

/** MTH(D[n]) of RFC 9162 §2.1.1 over raw entries; convenient for tests and small trees. */
export function rootFromLeaves(entries: readonly Uint8Array[]): Buffer {
  return rootFromLeafHashes(entries.map(leafHash));
}

export function requireHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE)
    throw new VerifyError(
      'invalid_hash',
      `${what} must be ${HASH_SIZE} bytes, not ${h instanceof Uint8Array ? h.length : typeof h}.`,
    );
}
