import { decodeBase64Strict, parseDecimal } from './base64.js';
import { type Checkpoint, type CheckpointOptions, verifyCheckpoint } from './checkpoint.js';
import { type AnyEntry, decodeEntry } from './entry.js';
import { VerifyError } from './errors.js';
import { HASH_SIZE, leafHash } from './hash.js';
import { noteBytes, type VerifierKey } from './note.js';
import { verifyInclusion } from './proof.js';

// C2SP tlog-proof (c2sp.org/tlog-proof): an inclusion proof bundled with the signed checkpoint it leads to.
//
//   c2sp.org/tlog-proof@v1
//   extra <base64>            (optional)
//   index <decimal>
//   <base64 proof hash>       (zero or more, leaf to root)
//   <empty line>
//   <signed checkpoint note>

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  /** Opaque bytes from the `extra` line, or null. Not covered by any signature. */
  extra: Buffer | null;
  index: number;
  /** RFC 9162 §2.1.3 inclusion path in the checkpoint's tree, leaf to root. */
  proof: Buffer[];
  /** The signed checkpoint note, as it appeared. */
  checkpoint: string;
}

/** Parses a tlog-proof. Checks its shape only; verifyReceipt verifies it. */
export function parseProof(input: string | Uint8Array): TlogProof {
  const bad = (why: string) => new VerifyError('malformed_proof', `Malformed tlog-proof: ${why}.`);
  const { text } = noteBytes(input, 'The tlog-proof', 'malformed_proof');
  const split = text.indexOf('\n\n');
  if (split < 0) throw bad('no empty line before the checkpoint');
  const lines = text.slice(0, split).split('\n');
  const checkpoint = text.slice(split + 2);
  if (lines.shift() !== TLOG_PROOF_HEADER) throw bad(`the first line must be ${TLOG_PROOF_HEADER}`);
  let extra: Buffer | null = null;
  if (lines[0]?.startsWith('extra '))
    extra = decodeBase64Strict((lines.shift() as string).slice(6), 'malformed_proof', 'The extra data');
  const indexLine = lines.shift();
  if (indexLine === undefined || !indexLine.startsWith('index ')) throw bad('expected an "index <N>" line');
  const index = parseDecimal(indexLine.slice(6), 'malformed_proof', 'The index');
  const proof = lines.map((l, i) => {
    const h = decodeBase64Strict(l, 'malformed_proof', `Proof hash ${i}`);
    if (h.length !== HASH_SIZE) throw bad(`proof hash ${i} is not ${HASH_SIZE} bytes`);
    return h;
  });
  if (checkpoint === '') throw bad('the checkpoint is missing');
  return { extra, index, proof, checkpoint };
}

/** Writes a tlog-proof; the inverse of parseProof. */
export function formatProof(p: {
  extra?: Uint8Array | null;
  index: number;
  proof: readonly Uint8Array[];
  checkpoint: string;
}): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0)
    throw new VerifyError('invalid_argument', 'The index must be a non-negative integer.');
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined && p.extra !== null) lines.push(`extra ${Buffer.from(p.extra).toString('base64')}`);
  lines.push(`index ${p.index}`);
  for (const h of p.proof) {
    if (h.length !== HASH_SIZE) throw new VerifyError('invalid_hash', `A proof hash must be ${HASH_SIZE} bytes.`);
    lines.push(Buffer.from(h).toString('base64'));
  }
  const text = `${lines.join('\n')}\n\n${p.checkpoint}`;
  parseProof(text);
  return text;
}

export interface VerifiedReceipt {
  /** The decoded entry. */
  entry: AnyEntry;
  /** Its position in the log. */
  index: number;
  /** The signed checkpoint whose tree includes it. */
  checkpoint: Checkpoint;
  /** The proof's extra data, unauthenticated. */
  extra: Buffer | null;
}

/**
 * Verifies a receipt offline: the checkpoint carries a valid signature by `verifierKey`, and the leaf
 * hash of `entryBytes` is at `index` in that checkpoint's tree (RFC 9162 §2.1.3.2). Returns the decoded
 * entry with its index and checkpoint, or throws a VerifyError saying what failed.
 */
export function verifyReceipt(
  proofText: string | Uint8Array,
  entryBytes: Uint8Array,
  verifierKey: string | VerifierKey,
  options: CheckpointOptions = {},
): VerifiedReceipt {
  const p = parseProof(proofText);
  const checkpoint = verifyCheckpoint(p.checkpoint, verifierKey, options);
  if (!(entryBytes instanceof Uint8Array)) throw new VerifyError('invalid_argument', 'The entry must be bytes.');
  verifyInclusion(p.index, checkpoint.size, leafHash(entryBytes), p.proof, checkpoint.root);
  return { entry: decodeEntry(entryBytes), index: p.index, checkpoint, extra: p.extra };
}
