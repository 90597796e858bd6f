import { VerifyError } from './errors.js';
import { HASH_SIZE, nodeHash, requireHash } from './hash.js';

// Sizes and indexes are JavaScript numbers up to 2^53 - 1, so the bit operations of RFC 9162 are
// written as arithmetic: `>> 1` on a number would truncate it to 32 bits.
const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

function requireCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new VerifyError('invalid_argument', `${what} must be a non-negative integer below 2^53, not ${String(n)}.`);
}

function requireProofHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new VerifyError('invalid_proof', 'The proof must be an array of hashes.');
  proof.forEach((p, i) => {
    requireHash(p, `Proof hash ${i}`);
  });
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === HASH_SIZE && b.length === HASH_SIZE && Buffer.compare(a, b) === 0;
}

/**
 * RFC 9162 §2.1.3.2: verifies that `leafHash` is the leaf at `index` of the tree of `size` leaves whose
 * root is `root`. Returns true, or throws a VerifyError saying why not.
 *
 * The size is not bound to the root by the proof itself: take both from one signed checkpoint.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): true {
  requireCount(index, 'The index');
  requireCount(size, 'The tree size');
  requireHash(leafHash, 'The leaf hash');
  requireHash(root, 'The root');
  requireProofHashes(proof);
  if (index >= size) throw new VerifyError('invalid_argument', `Index ${index} is not in a tree of size ${size}.`);

  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new VerifyError('invalid_proof', `The inclusion proof is too long for index ${index} in size ${size}.`);
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new VerifyError('invalid_proof', `The inclusion proof is too short for index ${index} in size ${size}.`);
  if (!sameHash(r, root)) throw new VerifyError('root_mismatch', 'The inclusion proof does not lead to the root.');
  return true;
}

/**
 * RFC 9162 §2.1.4.2: verifies that the tree of `size1` leaves with root `root1` is a prefix of the tree of
 * `size2` leaves with root `root2`. Returns true, or throws a VerifyError saying why not.
 *
 * A first size of 0 is refused (every tree extends the empty tree, so such a proof proves nothing), and
 * equal sizes need an empty proof and equal roots.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): true {
  requireCount(size1, 'The first size');
  requireCount(size2, 'The second size');
  requireHash(root1, 'The first root');
  requireHash(root2, 'The second root');
  requireProofHashes(proof);
  if (size1 === 0) throw new VerifyError('invalid_argument', 'A consistency proof from the empty tree proves nothing.');
  if (size1 > size2) throw new VerifyError('invalid_argument', `The first size ${size1} is larger than the second ${size2}.`);
  if (size1 === size2) {
    if (proof.length !== 0) throw new VerifyError('invalid_proof', 'Trees of equal size need an empty consistency proof.');
    if (!sameHash(root1, root2)) throw new VerifyError('root_mismatch', 'Trees of equal size have different roots.');
    return true;
  }
  // Step 1: the path may not be empty.
  if (proof.length === 0) throw new VerifyError('invalid_proof', 'The consistency proof is empty.');

  // Step 2: when the first tree is a perfect subtree, its root is the first node of the path.
  const path: readonly Uint8Array[] = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  // Step 3, 4.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  const [first, ...rest] = path as [Uint8Array, ...Uint8Array[]];
  let fr: Uint8Array = first;
  let sr: Uint8Array = first;
  // Step 6.
  for (const c of rest) {
    if (sn === 0) throw new VerifyError('invalid_proof', `The consistency proof is too long for sizes ${size1} and ${size2}.`);
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) throw new VerifyError('invalid_proof', `The consistency proof is too short for sizes ${size1} and ${size2}.`);
  if (!sameHash(fr, root1)) throw new VerifyError('root_mismatch', 'The consistency proof does not lead to the first root.');
  if (!sameHash(sr, root2)) throw new VerifyError('root_mismatch', 'The consistency proof does not lead to the second root.');
  return true;
}

function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m > 1 && !isOdd(m)) m = half(m);
  return m === 1;
}
