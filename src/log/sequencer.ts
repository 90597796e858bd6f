import { leafHash } from '../verify/hash.js';
import { TLOG_PROOF_HEADER } from '../verify/receipt.js';
import { appendLeaves, inclusionProof, type ReadHash, rangeNodes, type StoredNode, stateRoot, type TreeState } from './merkle.js';
import { type LogKey, signCheckpoint } from './note.js';

/** Who signs the log's checkpoints, under which origin line. */
export interface LogSigner {
  origin: string;
  key: LogKey;
}

/** The log's storage as seen from inside one synchronous write transaction (the embedded engine's). */
export interface LogTx {
  readState(): TreeState;
  writeState(state: TreeState, checkpoint: string): void;
  putEntries(firstIndex: number, entries: readonly Buffer[]): void;
  putNodes(nodes: readonly StoredNode[]): void;
  saveCheckpoint(size: number, note: string, at: Date): void;
}

/** What one batch adds to the log, computed from the tree's state read under the lock, for an engine to write. */
export interface LogAppend {
  firstIndex: number;
  entries: readonly Buffer[];
  nodes: StoredNode[];
  state: TreeState;
  checkpoint: string;
  receipts: Receipt[];
}

/** What a logged event gets back: its index, its canonical bytes, and a receipt (C2SP tlog-proof). */
export interface Receipt {
  logIndex: number;
  entry: Buffer;
  receipt: string;
}

/**
 * Integrates a batch of encoded entries into a synchronous transaction (see planAppend): the state row is read and
 * written under the transaction's write lock, so two writers can never sign checkpoints of diverging trees.
 */
export function integrate(tx: LogTx, bytes: readonly Buffer[], signer: LogSigner, at: Date): Receipt[] {
  if (bytes.length === 0) return [];
  const append = planAppend(tx.readState(), bytes, signer);
  tx.putEntries(append.firstIndex, bytes);
  tx.putNodes(append.nodes);
  tx.writeState(append.state, append.checkpoint);
  tx.saveCheckpoint(append.state.size, append.checkpoint, at);
  return append.receipts;
}

/**
 * The one place where a batch of encoded entries (encodeEntry) becomes part of the tree: the new nodes, the new
 * state, one signed checkpoint for the batch and each entry's receipt (C2SP tlog-proof). Pure: the engine reads
 * `state` under the tree-state lock, inside the transaction that records the events themselves, and writes what
 * this returns in that same transaction, so the log and the registry never disagree.
 */
export function planAppend(state: TreeState, bytes: readonly Buffer[], signer: LogSigner): LogAppend {
  const { newState, newNodeHashes } = appendLeaves(
    state,
    bytes.map((b) => leafHash(b)),
  );
  const checkpoint = signCheckpoint({ origin: signer.origin, size: newState.size, root: stateRoot(newState) }, signer.key);

  // Every hash an inclusion proof of a new entry needs lies on the old right edge or was made
  // in this batch, so receipts are built from memory without reading the store.
  const known = new Map<number, Map<number, Buffer>>();
  const remember = (level: number, index: number, hash: Buffer) => {
    let row = known.get(level);
    if (row === undefined) {
      row = new Map();
      known.set(level, row);
    }
    row.set(index, hash);
  };
  for (const [i, id] of rangeNodes(0, state.size).entries()) remember(id.level, id.index, state.rightEdge[i] as Buffer);
  for (const n of newNodeHashes) remember(n.level, n.index, n.hash);
  const read: ReadHash = (level, index) => {
    const h = known.get(level)?.get(index);
    if (h === undefined) throw new Error(`log node ${level}/${index} is not in this batch`);
    return h;
  };
  const receipts = bytes.map((entry, k) => {
    const logIndex = state.size + k;
    // The same text formatProof writes, without re-parsing what was just built (this runs for every check).
    const hashes = inclusionProof(logIndex, newState.size, read).map((h) => `${h.toString('base64')}\n`);
    return { logIndex, entry, receipt: `${TLOG_PROOF_HEADER}\nindex ${logIndex}\n${hashes.join('')}\n${checkpoint}` };
  });
  return { firstIndex: state.size, entries: bytes, nodes: newNodeHashes, state: newState, checkpoint, receipts };
}
