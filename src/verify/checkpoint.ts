import { decodeBase64Strict, parseDecimal } from './base64.js';
import { VerifyError } from './errors.js';
import { emptyRoot, HASH_SIZE } from './hash.js';
import { noteBytes, type VerifierKey, verifyNote } from './note.js';

/** A C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text a log signs. */
export interface Checkpoint {
  /** The log's unique identity; by convention also the name of its key. */
  origin: string;
  /** The number of leaves in the tree. */
  size: number;
  /** The RFC 9162 root hash of those leaves. */
  root: Buffer;
  /** Optional extension lines, in order, without their newlines. */
  extensions: string[];
}

/**
 * Parses a checkpoint body: origin line, decimal tree size, base64 root hash, then optional non-empty
 * extension lines, each ending with a newline (tlog-checkpoint "Note text"). The body alone, not a
 * signed note: use verifyCheckpoint for that.
 */
export function parseCheckpoint(input: string | Uint8Array): Checkpoint {
  const bad = (why: string) => new VerifyError('malformed_checkpoint', `Malformed checkpoint: ${why}.`);
  const { text } = noteBytes(input, 'The checkpoint', 'malformed_checkpoint');
  if (!text.endsWith('\n')) throw bad('it must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (origin === undefined || sizeLine === undefined || rootLine === undefined) throw bad('it needs origin, size and root lines');
  if (origin === '') throw bad('the origin line is empty');
  if (extensions.some((l) => l === '')) throw bad('an extension line is empty');
  const size = parseDecimal(sizeLine, 'malformed_checkpoint', 'The tree size');
  const root = decodeBase64Strict(rootLine, 'malformed_checkpoint', 'The root hash');
  if (root.length !== HASH_SIZE) throw bad(`the root hash must be ${HASH_SIZE} bytes`);
  // RFC 9162 §2.1.1: the empty tree has exactly one root.
  if (size === 0 && !root.equals(emptyRoot())) throw bad('the root of an empty tree must be SHA-256 of the empty string');
  return { origin, size, root, extensions };
}

/** The checkpoint body in its canonical text form; refuses what parseCheckpoint would refuse. */
export function formatCheckpoint(c: { origin: string; size: number; root: Uint8Array; extensions?: readonly string[] }): string {
  const lines = [c.origin, String(c.size), Buffer.from(c.root).toString('base64'), ...(c.extensions ?? [])];
  if (lines.some((l) => l.includes('\n')))
    throw new VerifyError('malformed_checkpoint', 'Malformed checkpoint: a line holds a newline.');
  const text = `${lines.join('\n')}\n`;
  parseCheckpoint(text);
  return text;
}

export interface CheckpointOptions {
  /** When given, the checkpoint's origin line must equal it. */
  origin?: string;
}

/**
 * Verifies a signed checkpoint (a C2SP signed note whose text is a tlog-checkpoint) against a verifier
 * key, and returns the parsed checkpoint. Throws a VerifyError otherwise.
 */
export function verifyCheckpoint(
  noteText: string | Uint8Array,
  verifierKey: string | VerifierKey,
  options: CheckpointOptions = {},
): Checkpoint {
  const checkpoint = parseCheckpoint(verifyNote(noteText, verifierKey));
  if (options.origin !== undefined && checkpoint.origin !== options.origin)
    throw new VerifyError('origin_mismatch', `The checkpoint is for origin "${checkpoint.origin}", not "${options.origin}".`);
  return checkpoint;
}
