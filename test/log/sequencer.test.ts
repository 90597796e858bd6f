import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consistencyProof, EMPTY_TREE, inclusionProof, type StoredNode, type TreeState } from '../../src/log/merkle.js';
import { logKeyFromSeed } from '../../src/log/note.js';
import { integrate, type LogTx } from '../../src/log/sequencer.js';
import { parseCheckpoint } from '../../src/verify/checkpoint.js';
import { encodeEntry, formatProof, parseProof, referenceHash, verifyConsistency, verifyReceipt } from '../../src/verify/index.js';

/** The log's storage in memory, as a transaction would see it. */
class MemoryLog implements LogTx {
  state: TreeState = EMPTY_TREE;
  nodes = new Map<string, Buffer>();
  entries: Buffer[] = [];
  checkpoints: { size: number; note: string }[] = [];
  readState() {
    return this.state;
  }
  writeState(state: TreeState) {
    this.state = state;
  }
  putEntries(first: number, entries: readonly Buffer[]) {
    assert.equal(first, this.entries.length, 'entries are appended in order');
    this.entries.push(...entries);
  }
  putNodes(nodes: readonly StoredNode[]) {
    for (const n of nodes) this.nodes.set(`${n.level}/${n.index}`, n.hash);
  }
  saveCheckpoint(size: number, note: string) {
    this.checkpoints.push({ size, note });
  }
  read = (level: number, index: number) => this.nodes.get(`${level}/${index}`) as Buffer;
}

const key = logKeyFromSeed('tyiym.kz/log', Buffer.alloc(32, 3));
const signer = { origin: 'tyiym.kz/log', key };

/** The canonical bytes of a check entry, as the check path encodes them before a batch is integrated. */
function entry(n: number): Buffer {
  return encodeEntry({
    type: 'check',
    entryVersion: 2,
    checkId: `check-${n}`,
    lenderId: 'lender-1',
    lenderType: 'bank',
    citizenKey: Buffer.alloc(32, n % 251),
    channel: 'remote',
    referenceHash: referenceHash(`check-${n}`, `ref-${n}`),
    restricted: n % 2 === 0,
    checkedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  });
}

describe('integrating batches into the log', () => {
  it('gives every entry a receipt that verifies, written exactly as formatProof writes it', () => {
    const log = new MemoryLog();
    let n = 0;
    for (const batchSize of [1, 2, 5, 1, 64, 3, 130]) {
      const batch = Array.from({ length: batchSize }, () => entry(n++));
      const receipts = integrate(log, batch, signer, new Date());
      assert.equal(receipts.length, batchSize);
      for (const [k, r] of receipts.entries()) {
        assert.equal(r.entry, batch[k], 'the bytes given are the bytes logged, not re-encoded');
        assert.deepEqual(log.entries[r.logIndex], batch[k]);
        const verified = verifyReceipt(r.receipt, r.entry, key.verifierKey);
        assert.equal(verified.index, r.logIndex);
        assert.equal(verified.entry.type === 'check' && verified.entry.checkId, `check-${r.logIndex}`);
        const p = parseProof(r.receipt);
        assert.equal(r.receipt, formatProof({ index: r.logIndex, proof: p.proof, checkpoint: p.checkpoint }));
        assert.deepEqual(p.proof, inclusionProof(r.logIndex, log.state.size, log.read), 'the proof matches the stored tree');
      }
    }
    assert.equal(log.state.size, n);
    assert.equal(log.entries.length, n);
  });

  it('signs one checkpoint per batch, each consistent with the ones before', () => {
    const log = new MemoryLog();
    for (let b = 0; b < 6; b++) integrate(log, [entry(2 * b), entry(2 * b + 1)], signer, new Date());
    assert.deepEqual(
      log.checkpoints.map((c) => c.size),
      [2, 4, 6, 8, 10, 12],
    );
    const body = (note: string) => parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1));
    const last = body(log.checkpoints.at(-1)?.note ?? '');
    for (const c of log.checkpoints.slice(0, -1)) {
      const cp = body(c.note);
      assert.equal(
        verifyConsistency(cp.size, last.size, consistencyProof(cp.size, last.size, log.read), cp.root, last.root),
        true,
      );
    }
  });

  it('integrates the bytes it is given, of either entry version, without decoding them again', () => {
    const log = new MemoryLog();
    const v1 = encodeEntry({
      type: 'check',
      entryVersion: 1,
      checkId: 'old-check',
      lenderId: 'lender-1',
      lenderType: 'bank',
      citizenKey: Buffer.alloc(32, 1),
      channel: 'remote',
      reference: 'APP-OLD',
      restricted: false,
      checkedAt: '2025-12-31T23:59:59.000Z',
    });
    const receipts = integrate(log, [v1, entry(1)], signer, new Date());
    assert.deepEqual(
      receipts.map((r) => verifyReceipt(r.receipt, r.entry, key.verifierKey).entry.entryVersion),
      [1, 2],
    );
    assert.deepEqual(log.entries, [v1, entry(1)]);
  });

  it('records nothing for an empty batch', () => {
    const log = new MemoryLog();
    assert.deepEqual(integrate(log, [], signer, new Date()), []);
    assert.equal(log.checkpoints.length, 0);
  });
});
