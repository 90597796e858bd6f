/**
 * tyiym/verify: offline verification of the registry's transparency log, for lenders, auditors and
 * courts. Depends on node:crypto only. Every failure is a VerifyError with a stable `code`.
 */
export { type Checkpoint, type CheckpointOptions, formatCheckpoint, parseCheckpoint, verifyCheckpoint } from './checkpoint.js';
export {
  ACTOR_KINDS,
  type ActorKind,
  type AnyCheckEntry,
  type AnyEntry,
  type AnyEventEntry,
  type CheckEntry,
  type CheckEntryV1,
  CITIZEN_KEY_SIZE,
  COMMITMENT_SIZE,
  decodeEntry,
  ENTRY_TYPES,
  ENTRY_VERSION,
  ENTRY_VERSIONS,
  type Entry,
  type EntryType,
  type EntryVersion,
  EVENT_ACTIONS,
  type EventAction,
  encodeEntry,
  MAX_ENTRY_SIZE,
  operatorHash,
  type RestrictionEventEntry,
  type RestrictionEventEntryV1,
  referenceHash,
} from './entry.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export { emptyRoot, HASH_SIZE, leafHash, nodeHash, rootFromLeafHashes, rootFromLeaves } from './hash.js';
export {
  isValidKeyName,
  keyIdFor,
  type Note,
  type NoteSignature,
  parseNote,
  parseVerifierKey,
  type VerifierKey,
  verifierKeyFor,
  verifyNote,
} from './note.js';
export { verifyConsistency, verifyInclusion } from './proof.js';
export { formatProof, parseProof, TLOG_PROOF_HEADER, type TlogProof, type VerifiedReceipt, verifyReceipt } from './receipt.js';
