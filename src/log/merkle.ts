import { emptyRoot, HASH_SIZE, nodeHash } from '../verify/hash.js';

/*
 * The server side of an RFC 9162 tree whose hashes are stored, not recomputed.
 *
 * Node coordinates: the node (level, index) is the root of the perfect subtree of 2^level leaves that
 * starts at leaf index·2^level. Level 0 holds the leaf hashes. Only such perfect subtrees are stored;
 * the root and the right edge of a tree whose size is not a power of two are computed from them.
 * A tlog-tiles tile at tile level L holds the nodes at level 8·L (see tiles.ts).
 *
 * Proofs are computed in two steps, so that storage may be read in one batch, synchronously or not:
 * a plan lists the stored nodes each proof hash is made of, then the hashes are folded.
 * Sizes and indexes are numbers up to 2^53 - 1; arithmetic replaces bit operations, which are 32-bit.
 */

export interface NodeId {
  level: number;
  index: number;
}

export interface StoredNode extends NodeId {
  hash: Buffer;
}

/** Reads the stored hash of a node; every node of a plan for a size the tree has reached is stored. */
export type ReadHash = (level: number, index: number) => Uint8Array;

/**
 * Each element of a plan is one hash of the result: the perfect subtrees that cover a range, left to
 * right, whose hashes fold from the right into MTH of that range (RFC 9162 §2.1.1).
 */
export type HashPlan = NodeId[][];

function requireCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a non-negative integer below 2^53, not ${String(n)}.`);
}

/** The largest power of two strictly less than n (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The perfect subtrees covering leaves [start, end), largest first; start must be aligned to the first. */
export function rangeNodes(start: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let pos = start;
  while (pos < end) {
    let size = 1;
    let level = 0;
    while (size * 2 <= end - pos) {
      size *= 2;
      level++;
    }
    if (pos % size !== 0) throw new RangeError(`The range [${start}, ${end}) is not made of aligned subtrees.`);
    out.push({ level, index: pos / size });
    pos += size;
  }
  return out;
}

/** The plan of the root of a tree of `size` leaves (a single empty group for the empty tree). */
export function rootPlan(size: number): HashPlan {
  requireCount(size, 'The size');
  return [rangeNodes(0, size)];
}

/** RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf to root. */
export function inclusionPlan(index: number, size: number): HashPlan {
  requireCount(index, 'The index');
  requireCount(size, 'The size');
  if (index >= size) throw new RangeError(`Index ${index} is not in a tree of size ${size}.`);
  const parts: HashPlan = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      parts.push(rangeNodes(start + k, end)); // PATH(m, D[0:k]) : MTH(D[k:n])
      end = start + k;
    } else {
      parts.push(rangeNodes(start, start + k)); // PATH(m - k, D[k:n]) : MTH(D[0:k])
      start += k;
    }
  }
  return parts.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true); 0 < size1 ≤ size2. */
export function consistencyPlan(size1: number, size2: number): HashPlan {
  requireCount(size1, 'The first size');
  requireCount(size2, 'The second size');
  if (size1 === 0 || size1 > size2) throw new RangeError(`No consistency proof from size ${size1} to size ${size2}.`);
  const parts: HashPlan = [];
  let start = 0;
  let end = size2;
  let m = size1;
  let whole = true; // the flag b of SUBPROOF
  while (start + m !== end) {
    const k = splitPoint(end - start);
    if (m <= k) {
      parts.push(rangeNodes(start + k, end)); // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      end = start + k;
    } else {
      parts.push(rangeNodes(start, start + k)); // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      start += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) parts.push(rangeNodes(start, end)); // SUBPROOF(m, D[m], false) = {MTH(D[m])}
  return parts.reverse();
}

/** Every distinct node a plan reads, for fetching them in one batch. */
export function planNodes(plan: HashPlan): NodeId[] {
  const seen = new Map<string, NodeId>();
  for (const group of plan) for (const id of group) seen.set(`${id.level}/${id.index}`, id);
  return [...seen.values()];
}

function fold(group: readonly NodeId[], read: ReadHash): Buffer {
  let h: Uint8Array | null = null;
  for (let i = group.length - 1; i >= 0; i--) {
    const id = group[i] as NodeId;
    const stored = read(id.level, id.index);
    if (!(stored instanceof Uint8Array) || stored.length !== HASH_SIZE)
      throw new Error(`The stored hash of node (${id.level}, ${id.index}) is missing or not ${HASH_SIZE} bytes.`);
    h = h === null ? stored : nodeHash(stored, h);
  }
  return h === null ? emptyRoot() : Buffer.from(h);
}

/** Folds a plan into its hashes with a synchronous reader. */
export function assemble(plan: HashPlan, read: ReadHash): Buffer[] {
  return plan.map((group) => fold(group, read));
}

/** Folds a plan into its hashes, reading its nodes in one asynchronous batch (e.g. one SQL query). */
export async function assembleAsync(plan: HashPlan, readMany: (ids: NodeId[]) => Promise<Uint8Array[]>): Promise<Buffer[]> {
  const ids = planNodes(plan);
  const hashes = await readMany(ids);
  if (hashes.length !== ids.length) throw new Error('The reader returned a different number of hashes than asked for.');
  const byId = new Map(ids.map((id, i) => [`${id.level}/${id.index}`, hashes[i] as Uint8Array]));
  return assemble(plan, (level, index) => byId.get(`${level}/${index}`) as Uint8Array);
}

/** The root hash of the tree of `size` leaves; O(log size) reads. */
export function treeRoot(size: number, read: ReadHash): Buffer {
  return assemble(rootPlan(size), read)[0] as Buffer;
}

/** The RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves; O(log size) reads. */
export function inclusionProof(index: number, size: number, read: ReadHash): Buffer[] {
  return assemble(inclusionPlan(index, size), read);
}

/** The RFC 9162 §2.1.4.1 consistency proof from `size1` to `size2` leaves; O(log size2) reads. */
export function consistencyProof(size1: number, size2: number, read: ReadHash): Buffer[] {
  return assemble(consistencyPlan(size1, size2), read);
}

/**
 * The state of an append-only tree: its size and its right edge (a compact range), the hashes of the
 * perfect subtrees that make up [0, size), largest first: one per set bit of the size.
 */
export interface TreeState {
  readonly size: number;
  readonly rightEdge: readonly Buffer[];
}

export const EMPTY_TREE: TreeState = Object.freeze({ size: 0, rightEdge: Object.freeze([]) });

function popCount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m = Math.floor(m / 2)) count += m % 2;
  return count;
}

function requireState(state: TreeState): void {
  requireCount(state.size, 'The tree size');
  if (!Array.isArray(state.rightEdge) || state.rightEdge.length !== popCount(state.size))
    throw new Error(
      `A tree of size ${state.size} has ${popCount(state.size)} right-edge hashes, not ${state.rightEdge?.length}.`,
    );
  for (const h of state.rightEdge) if (h.length !== HASH_SIZE) throw new Error(`A right-edge hash must be ${HASH_SIZE} bytes.`);
}

/** The root of a tree from its state alone (RFC 9162 §2.1.1), without reading storage. */
export function stateRoot(state: TreeState): Buffer {
  requireState(state);
  let h: Buffer | null = null;
  for (let i = state.rightEdge.length - 1; i >= 0; i--) {
    const left = state.rightEdge[i] as Buffer;
    h = h === null ? left : nodeHash(left, h);
  }
  return h === null ? emptyRoot() : Buffer.from(h);
}

/** The state of a stored tree at `size`, to resume appending after a restart; O(log size) reads. */
export function stateAt(size: number, read: ReadHash): TreeState {
  requireCount(size, 'The size');
  return { size, rightEdge: rangeNodes(0, size).map((id) => Buffer.from(read(id.level, id.index))) };
}

/**
 * Appends leaf hashes to a tree. Returns the new state and every node completed on the way (the new
 * leaves at level 0 included), for storage. O(batch + log size); the input state is not modified.
 */
export function appendLeaves(
  state: TreeState,
  leafHashes: readonly Uint8Array[],
): { newState: TreeState; newNodeHashes: StoredNode[] } {
  requireState(state);
  const edge = [...state.rightEdge];
  const newNodeHashes: StoredNode[] = [];
  let size = state.size;
  for (const leaf of leafHashes) {
    if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_SIZE) throw new Error(`A leaf hash must be ${HASH_SIZE} bytes.`);
    if (size >= Number.MAX_SAFE_INTEGER) throw new RangeError('The tree is full.');
    let hash: Buffer = Buffer.from(leaf);
    let level = 0;
    let index = size;
    newNodeHashes.push({ level, index, hash });
    // Each trailing 1 bit of the old size is a perfect subtree of the same height to merge with.
    for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) {
      hash = nodeHash(edge.pop() as Buffer, hash);
      level++;
      index = Math.floor(index / 2);
      newNodeHashes.push({ level, index, hash });
    }
    edge.push(hash);
    size++;
  }
  return { newState: { size, rightEdge: edge }, newNodeHashes };
}
