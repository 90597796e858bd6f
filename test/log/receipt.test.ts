import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { appendLeaves, EMPTY_TREE, inclusionProof, type ReadHash, stateRoot } from '../../src/log/merkle.js';
import { generateLogKey, signCheckpoint } from '../../src/log/note.js';
import {
  type CheckEntry,
  type CheckEntryV1,
  encodeEntry,
  formatProof,
  leafHash,
  parseProof,
  referenceHash,
  verifyReceipt,
} from '../../src/verify/index.js';
import { codeOf } from '../helpers/verify.js';

const key = generateLogKey('tyiym.kz/log');

/** Entries below this index are of format version 1, as a log started before version 2 holds them. */
const V1_ENTRIES = 10;

/** A log of `size` check entries; returns the entries, a reader of the stored nodes and the signed checkpoint. */
function buildLog(size: number) {
  const entries = Array.from({ length: size }, (_, i) => {
    const common = {
      type: 'check' as const,
      checkId: `check-${i}`,
      lenderId: `lender-${i % 3}`,
      lenderType: i % 2 === 0 ? 'bank' : 'mfo',
      citizenKey: createHmac('sha256', 'pepper')
        .update(`citizen ${i % 7}`)
        .digest(),
      channel: 'remote',
      restricted: i % 5 === 0,
      checkedAt: new Date(Date.UTC(2026, 10, 29, 18, 50, i)).toISOString(),
    };
    return encodeEntry(
      i < V1_ENTRIES
        ? ({ ...common, entryVersion: 1, reference: `APP-${i}` } satisfies CheckEntryV1)
        : ({ ...common, entryVersion: 2, referenceHash: referenceHash(`check-${i}`, `APP-${i}`) } satisfies CheckEntry),
    );
  });
  const { newState, newNodeHashes } = appendLeaves(EMPTY_TREE, entries.map(leafHash));
  const store = new Map(newNodeHashes.map((n) => [`${n.level}/${n.index}`, n.hash]));
  const read: ReadHash = (level, index) => store.get(`${level}/${index}`) as Buffer;
  const checkpoint = signCheckpoint({ origin: key.name, size, root: stateRoot(newState) }, key);
  const receipt = (index: number, extra?: Buffer) =>
    formatProof({ index, proof: inclusionProof(index, size, read), checkpoint, ...(extra ? { extra } : {}) });
  return { entries, checkpoint, receipt };
}

describe('receipts (C2SP tlog-proof)', () => {
  const log = buildLog(37);

  it('verifies every entry of a log offline, of either format version, and returns the decoded entry', () => {
    for (let i = 0; i < 37; i++) {
      const r = verifyReceipt(log.receipt(i), log.entries[i] as Buffer, key.verifierKey, { origin: key.name });
      assert.equal(r.index, i);
      assert.equal(r.checkpoint.size, 37);
      assert.equal(r.entry.type, 'check');
      assert.equal(r.entry.type === 'check' && r.entry.checkId, `check-${i}`);
      assert.equal(r.entry.entryVersion, i < V1_ENTRIES ? 1 : 2);
      if (r.entry.type === 'check' && r.entry.entryVersion === 1) assert.equal(r.entry.reference, `APP-${i}`);
      if (r.entry.type === 'check' && r.entry.entryVersion === 2) {
        // The lender, who knows its reference, matches the receipt to its application; the entry does not say it.
        assert.deepEqual(Buffer.from(r.entry.referenceHash), referenceHash(`check-${i}`, `APP-${i}`));
        assert.equal((log.entries[i] as Buffer).indexOf(`APP-${i}`), -1);
      }
      assert.equal(r.extra, null);
    }
  });

  it('has the tlog-proof layout', () => {
    const text = log.receipt(5);
    const lines = text.split('\n');
    assert.equal(lines[0], 'c2sp.org/tlog-proof@v1');
    assert.equal(lines[1], 'index 5');
    assert.equal(text.slice(text.indexOf('\n\n') + 2), log.checkpoint);
    const p = parseProof(text);
    assert.equal(p.proof.length, 6);
    assert.equal(formatProof(p), text);
    const withExtra = log.receipt(5, Buffer.from('opaque'));
    assert.equal(withExtra.split('\n')[1], `extra ${Buffer.from('opaque').toString('base64')}`);
    assert.deepEqual(verifyReceipt(withExtra, log.entries[5] as Buffer, key.verifierKey).extra, Buffer.from('opaque'));
  });

  it('fails when any bit of the receipt changes', () => {
    for (const index of [0, V1_ENTRIES - 1, 17, 36]) {
      const bytes = Buffer.from(log.receipt(index), 'utf8');
      const entry = log.entries[index] as Buffer;
      for (let i = 0; i < bytes.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const changed = Buffer.from(bytes);
          changed[i] = (changed[i] as number) ^ (1 << bit);
          assert.notEqual(
            codeOf(() => verifyReceipt(changed, entry, key.verifierKey)),
            'verified',
            `index ${index}: byte ${i} bit ${bit}`,
          );
        }
      }
    }
  });

  it('fails when any bit of the entry changes, or for another entry, or another key', () => {
    for (const index of [3, 17]) {
      const receipt = log.receipt(index);
      const entry = log.entries[index] as Buffer;
      for (let i = 0; i < entry.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const changed = Buffer.from(entry);
          changed[i] = (changed[i] as number) ^ (1 << bit);
          assert.equal(
            codeOf(() => verifyReceipt(receipt, changed, key.verifierKey)),
            'root_mismatch',
            `entry ${index}: byte ${i} bit ${bit}`,
          );
        }
      }
    }
    const receipt = log.receipt(17);
    const entry = log.entries[17] as Buffer;
    assert.equal(
      codeOf(() => verifyReceipt(receipt, log.entries[16] as Buffer, key.verifierKey)),
      'root_mismatch',
    );
    assert.equal(
      codeOf(() => verifyReceipt(receipt, entry, generateLogKey(key.name).verifierKey)),
      'no_signature',
    );
    assert.equal(
      codeOf(() => verifyReceipt(receipt, entry, key.verifierKey, { origin: 'elsewhere' })),
      'origin_mismatch',
    );
  });

  it('refuses a receipt against a checkpoint of another size', () => {
    const other = buildLog(38);
    const text = log.receipt(17);
    const swapped = text.slice(0, text.indexOf('\n\n') + 2) + other.checkpoint;
    assert.ok(
      ['invalid_proof', 'root_mismatch'].includes(
        codeOf(() => verifyReceipt(swapped, log.entries[17] as Buffer, key.verifierKey)),
      ),
    );
  });

  it('refuses malformed receipts', () => {
    const text = log.receipt(3);
    const [header, ...rest] = text.split('\n');
    for (const bad of [
      rest.join('\n'),
      `c2sp.org/tlog-proof@v2\n${rest.join('\n')}`,
      text.replace('index 3', 'index 03'),
      text.replace('index 3', 'index  3'),
      text.replace('index 3', 'extra AA==\nindex 3').replace('extra AA==', 'extra A'),
      text.replace('index 3\n', ''),
      text.replace('\n\n', '\n'),
      `${header}\nindex 3\n\n${log.checkpoint}`.replace('\n\n', `\n${Buffer.alloc(31).toString('base64')}\n\n`),
      text.slice(0, text.indexOf('\n\n') + 2),
    ])
      assert.ok(
        ['malformed_proof', 'malformed_note'].includes(
          codeOf(() => parseProof(bad) && verifyReceipt(bad, Buffer.alloc(1), key.verifierKey)),
        ),
        bad,
      );
  });
});
