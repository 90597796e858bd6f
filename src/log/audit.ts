import { createPublicKey, verify } from 'node:crypto';
import { type Checkpoint, parseCheckpoint, verifyCheckpoint } from '../verify/checkpoint.js';
import { type AnyEntry, decodeEntry } from '../verify/entry.js';
import { VerifyError } from '../verify/errors.js';
import { leafHash } from '../verify/hash.js';
import { parseNote, parseVerifierKey, type VerifierKey } from '../verify/note.js';
import { appendLeaves, EMPTY_TREE, type StoredNode, stateRoot, type TreeState } from './merkle.js';
import { LogReplay, ReplayError } from './replay.js';

/*
 * A full audit of a stored log: the tree is recomputed from the entries alone, from the empty tree,
 * and everything else that is stored (node hashes, checkpoints, the state row) must agree with it.
 * Every check is replayed against the ban changes logged before it, and must carry the answer they give.
 * The first disagreement stops the audit with a LogInconsistency that says where it is.
 */

/** What the audit reads: the log's tables, read-only. A LogRepository is one. */
export interface LogAuditSource {
  state(): Promise<{ size: number; rightEdge: Buffer[]; checkpoint: string | null }>;
  checkpoints(): Promise<{ size: number; note: string }[]>;
  entries(start: number, end: number): Promise<Buffer[]>;
  nodeRange(level: number, start: number, end: number): Promise<{ index: number; hash: Buffer }[]>;
  counts(): Promise<{ entries: number; nodes: number }>;
}

export interface LogAuditOptions {
  /** Every checkpoint must carry a valid signature by this key. */
  verifierKey: string | VerifierKey;
  /** When given, every checkpoint's origin line must equal it. */
  origin?: string;
  /** Entries read per query (default 10,000). */
  chunkSize?: number;
  /** Called after each chunk with the number of entries done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface LogAuditReport {
  entries: number;
  checkpoints: number;
  nodes: number;
  /** The recomputed root of the whole tree, base64. */
  root: string;
}

/** The stored log disagrees with itself: the message says where, and what to look at. */
export class LogInconsistency extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogInconsistency';
  }
}

const fail = (message: string): never => {
  throw new LogInconsistency(message);
};

/** How many perfect subtrees a tree of `size` leaves has completed: Σ⌊size / 2^level⌋ = 2·size − popcount(size). */
export function storedNodeCount(size: number): number {
  let n = 0;
  for (let s = size; s > 0; s = Math.floor(s / 2)) n += s;
  return n;
}

function describeVerifyError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * verifyCheckpoint for many checkpoints under one key. verifyCheckpoint imports the public key anew for
 * every note, which costs more than the signature check itself; here it is imported once. Whenever the
 * fast path does not accept a note, verifyCheckpoint itself decides, and says why.
 */
function checkpointVerifier(verifierKey: string | VerifierKey, origin: string | undefined): (note: string) => Checkpoint {
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, key.publicKey]), format: 'der', type: 'spki' });
  const options = origin === undefined ? {} : { origin };
  return (note) => {
    try {
      const n = parseNote(note);
      const ours = n.signatures.filter((sig) => sig.name === key.name && sig.keyId.equals(key.keyId));
      const message = Buffer.from(n.text, 'utf8');
      if (
        ours.length > 0 &&
        ours.every((sig) => sig.signature.length === 64 && verify(null, message, publicKey, sig.signature))
      ) {
        const checkpoint = parseCheckpoint(n.text);
        if (origin === undefined || checkpoint.origin === origin) return checkpoint;
      }
    } catch {
      // verifyCheckpoint below gives the reason
    }
    return verifyCheckpoint(note, key, options);
  };
}

/** Compares the nodes completed while appending one chunk with the stored ones, level by level. */
async function compareNodes(source: LogAuditSource, computed: readonly StoredNode[]): Promise<void> {
  const byLevel = new Map<number, StoredNode[]>();
  for (const n of computed) {
    const row = byLevel.get(n.level);
    if (row === undefined) byLevel.set(n.level, [n]);
    else row.push(n);
  }
  for (const [level, nodes] of byLevel) {
    // Leaves are appended in order, so the nodes a chunk completes at one level have consecutive indexes.
    const first = (nodes[0] as StoredNode).index;
    const stored = await source.nodeRange(level, first, first + nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const want = nodes[i] as StoredNode;
      const got = stored[i];
      if (got === undefined || got.index !== want.index) {
        const where = level === 0 ? `the leaf hash of entry ${want.index}` : `the hash of node ${level}/${want.index}`;
        fail(`${where} is not stored in log_nodes.`);
      } else if (!got.hash.equals(want.hash)) {
        fail(
          level === 0
            ? `entry ${want.index}: its leaf hash differs from the stored hash (log_nodes 0/${want.index}); the entry or that hash was changed after it was logged.`
            : `node ${level}/${want.index}: the stored hash differs from the one recomputed from the entries.`,
        );
      }
    }
  }
}

/**
 * Recomputes the whole tree from the stored entries, streaming them in chunks, and checks that every
 * entry is canonical, every stored node hash equals the recomputed one, every checkpoint is signed by
 * the key and commits to the recomputed root at its size, the state row holds the final right edge and
 * latest checkpoint, and no rows lie beyond the tree. Throws a LogInconsistency at the first difference.
 */
export async function auditLog(source: LogAuditSource, options: LogAuditOptions): Promise<LogAuditReport> {
  const chunkSize = options.chunkSize ?? 10_000;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError('The chunk size must be a positive integer.');
  const state = await source.state();
  const size = state.size;
  const checkpoints = await source.checkpoints();

  let previous = 0;
  for (const c of checkpoints) {
    if (c.size <= previous) fail(`log_checkpoints holds a checkpoint of size ${c.size} after one of size ${previous}.`);
    if (c.size > size) fail(`log_checkpoints holds a checkpoint of size ${c.size}, beyond the tree's size ${size} (log_state).`);
    previous = c.size;
  }
  if (size > 0 && checkpoints.at(-1)?.size !== size)
    fail(`no checkpoint of the tree's size ${size} is stored in log_checkpoints.`);

  const verifyNote = checkpointVerifier(options.verifierKey, options.origin);
  const checkCheckpoint = (c: { size: number; note: string }, tree: TreeState): void => {
    let parsed: Checkpoint;
    try {
      parsed = verifyNote(c.note);
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      throw new LogInconsistency(`checkpoint of size ${c.size}: ${describeVerifyError(e)}`);
    }
    if (parsed.size !== c.size) fail(`checkpoint of size ${c.size}: its note says size ${parsed.size}.`);
    if (!parsed.root.equals(stateRoot(tree)))
      fail(
        `checkpoint of size ${c.size}: its root hash is not the root recomputed from the first ${c.size} entries; the log was rewritten, or the checkpoint was not signed for this log.`,
      );
  };

  let tree: TreeState = EMPTY_TREE;
  let next = 0; // the next checkpoint to meet
  const replay = new LogReplay();
  const replayEntry = (entry: AnyEntry, index: number): void => {
    let want: boolean | null;
    try {
      want = replay.next(entry);
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
      throw new LogInconsistency(`entry ${index}: ${e.message}`);
    }
    if (want !== null && entry.type === 'check' && want !== entry.restricted)
      fail(
        `entry ${index}: check ${entry.checkId} was answered ${entry.restricted ? 'restricted' : 'not restricted'}, ` +
          `but the ban changes logged before it give ${want ? 'restricted' : 'not restricted'}.`,
      );
  };
  options.onProgress?.(0, size);
  for (let start = 0; start < size; start += chunkSize) {
    const end = Math.min(start + chunkSize, size);
    const entries = await source.entries(start, end);
    if (entries.length !== end - start) fail(`log_entries holds ${entries.length} of the entries ${start} to ${end - 1}.`);
    const decoded: AnyEntry[] = [];
    const leaves = entries.map((bytes, i) => {
      try {
        decoded.push(decodeEntry(bytes));
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
        fail(`entry ${start + i}: ${describeVerifyError(e)}`);
      }
      return leafHash(bytes);
    });
    const computed: StoredNode[] = [];
    const met: { cp: { size: number; note: string }; tree: TreeState }[] = [];
    let at = 0;
    // Split the chunk where checkpoints were signed, so each is checked against the tree of its own size.
    while (at < leaves.length) {
      const cp = checkpoints[next];
      const stop = cp !== undefined && cp.size <= end ? cp.size - start : leaves.length;
      const { newState, newNodeHashes } = appendLeaves(tree, leaves.slice(at, stop));
      tree = newState;
      for (const n of newNodeHashes) computed.push(n);
      at = stop;
      if (cp !== undefined && cp.size === tree.size) {
        met.push({ cp, tree });
        next++;
      }
    }
    // Stored hashes first: a changed entry is then reported as itself, not as a checkpoint that disagrees.
    await compareNodes(source, computed);
    for (const { cp, tree: t } of met) checkCheckpoint(cp, t);
    // After the hashes: an entry changed after it was logged is reported as changed, not as a wrong answer.
    for (const [i, entry] of decoded.entries()) replayEntry(entry, start + i);
    options.onProgress?.(end, size);
  }

  const edge = Buffer.concat(tree.rightEdge as Buffer[]);
  if (!Buffer.concat(state.rightEdge).equals(edge)) fail('log_state: its right edge is not the one recomputed from the entries.');
  if (size === 0 && (state.checkpoint !== null || checkpoints.length > 0))
    fail('log_state says the log is empty, yet a checkpoint is stored.');
  if (size > 0 && state.checkpoint !== checkpoints.at(-1)?.note)
    fail(`log_state: its checkpoint is not the one stored for size ${size} in log_checkpoints.`);
  const counts = await source.counts();
  if (counts.entries !== size) fail(`log_entries holds ${counts.entries} rows, but the tree has ${size} entries.`);
  const nodes = storedNodeCount(size);
  if (counts.nodes !== nodes) fail(`log_nodes holds ${counts.nodes} rows, but a tree of ${size} entries has ${nodes}.`);
  return { entries: size, checkpoints: checkpoints.length, nodes, root: stateRoot(tree).toString('base64') };
}
