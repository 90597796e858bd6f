import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  exportLogKeyPem,
  exportLogKeySeed,
  generateLogKey,
  loadLogKey,
  logKeyFromSeed,
  signCheckpoint,
  signNote,
} from '../../src/log/note.js';
import {
  emptyRoot,
  formatCheckpoint,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  rootFromLeaves,
  verifierKeyFor,
  verifyCheckpoint,
  verifyNote,
} from '../../src/verify/index.js';
import { codeOf } from '../helpers/verify.js';

// The example of golang.org/x/mod/sumdb/note's documentation, byte for byte.
const PN_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PN_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PN_SIG =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const PN_NOTE = `${PN_TEXT}\n${PN_SIG}`;
// Its private key, as published in the documentation of golang.org/x/mod/sumdb/note.
const PN_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';

// The example of C2SP signed-note.md (c2sp.org/signed-note), byte for byte.
const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_TEXT = 'This is an example message.\n';
const C2SP_NOTE = `${C2SP_TEXT}\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n`;

describe('signed-note: the C2SP specification example', () => {
  it('its key, note and signature verify', () => {
    const key = parseVerifierKey(C2SP_VKEY);
    assert.equal(key.name, 'example.com/foo');
    assert.equal(key.keyId.toString('hex'), '530d903a');
    assert.equal(verifierKeyFor(key.name, key.publicKey), C2SP_VKEY);
    assert.equal(verifyNote(C2SP_NOTE, C2SP_VKEY), C2SP_TEXT);
  });

  it('any change to any byte fails', () => {
    const bytes = Buffer.from(C2SP_NOTE, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = (changed[i] as number) ^ 0x01;
      assert.notEqual(
        codeOf(() => verifyNote(changed, C2SP_VKEY)),
        'verified',
        `byte ${i}`,
      );
    }
  });
});

describe('signed-note: the Go note package example', () => {
  it('parses the verifier key', () => {
    const key = parseVerifierKey(PN_VKEY);
    assert.equal(key.name, 'PeterNeumann');
    assert.equal(key.keyId.toString('hex'), 'c74f20a3');
    assert.equal(key.publicKey.length, 32);
    assert.equal(verifierKeyFor(key.name, key.publicKey), PN_VKEY);
  });

  it('verifies the note', () => {
    assert.equal(verifyNote(PN_NOTE, PN_VKEY), PN_TEXT);
    assert.equal(verifyNote(Buffer.from(PN_NOTE, 'utf8'), PN_VKEY), PN_TEXT);
    assert.deepEqual(
      parseNote(PN_NOTE).signatures.map((s) => [s.name, s.keyId.toString('hex'), s.signature.length]),
      [['PeterNeumann', 'c74f20a3', 64]],
    );
  });

  it('fails on any change to any byte of the note', () => {
    const bytes = Buffer.from(PN_NOTE, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed = Buffer.from(bytes);
        changed[i] = (changed[i] as number) ^ (1 << bit);
        assert.notEqual(
          codeOf(() => verifyNote(changed, PN_VKEY)),
          'verified',
          `byte ${i} bit ${bit}`,
        );
      }
    }
    assert.equal(
      codeOf(() => verifyNote(PN_NOTE.slice(0, -1), PN_VKEY)),
      'malformed_note',
    );
    assert.equal(
      codeOf(() => verifyNote(`x${PN_NOTE}`, PN_VKEY)),
      'invalid_signature',
    );
  });

  it('signs the same signature with the published private key (Ed25519 is deterministic)', () => {
    const key = loadLogKey('PeterNeumann', PN_SKEY);
    assert.equal(key.verifierKey, PN_VKEY);
    assert.equal(signNote(PN_TEXT, key), PN_NOTE);
  });

  it('refuses malformed verifier keys', () => {
    const [name, id, b64] = PN_VKEY.split('+') as [string, string, string];
    for (const bad of [
      '',
      'PeterNeumann',
      `${name}+${id}`,
      `${name}+c74f20a4+${b64}`, // wrong key ID
      `${name}+c74f20a+${b64}`,
      `Peter Neumann+${id}+${b64}`,
      `+${id}+${b64}`,
      `${name}+${id}+${b64.slice(0, -4)}`,
      `${name}+${id}+AhpcdQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW`, // another key type
      `${name}+${id}+${b64}=`,
    ])
      assert.equal(
        codeOf(() => parseVerifierKey(bad)),
        'invalid_verifier_key',
        bad,
      );
  });
});

describe('signed-note: parsing and verifying', () => {
  const key = generateLogKey('example.com/log');
  const other = generateLogKey('witness.example');
  const text = 'hello\nworld\n';

  it('ignores signatures by other keys, and needs one by the given key', () => {
    const both = `${signNote(text, other)}${signNote(text, key).slice(text.length + 1)}`;
    assert.equal(parseNote(both).signatures.length, 2);
    assert.equal(verifyNote(both, key.verifierKey), text);
    assert.equal(verifyNote(both, other.verifierKey), text);
    assert.equal(
      codeOf(() => verifyNote(signNote(text, other), key.verifierKey)),
      'no_signature',
    );
  });

  it('refuses a signature with the right name and key ID that does not verify', () => {
    const impostor = { ...generateLogKey(key.name), keyId: key.keyId };
    assert.equal(
      codeOf(() => verifyNote(signNote(text, impostor), key.verifierKey)),
      'invalid_signature',
    );
  });

  it('refuses malformed notes', () => {
    const sig = signNote(text, key).slice(text.length + 1);
    for (const bad of [
      'hello\n',
      `hello\n\n`,
      `hello\n\n${sig.slice(0, -1)}`, // no final newline
      `hello\n\n${sig.replace('\u2014', '-')}`,
      `hello\n\n${sig.replace(' ', '')}`,
      `hel\0lo\n\n${sig}`,
      `hel\rlo\n\n${sig}`,
      `hello\n\n${sig}${'\u2014 a AAAA\n'}`, // signature shorter than its key ID
      `hello\n\n${sig}${'\u2014 a AAAAAA==\n'}`, // non-canonical base64
      `hello\n\n${sig}\n`,
      `hello\n\n${sig}${'\u2014 a b c\n'}`,
      `hello\n\n${'\u2014 x AAAAAAA=\n'.repeat(101)}`,
    ])
      assert.equal(
        codeOf(() => verifyNote(bad, key.verifierKey)),
        'malformed_note',
        JSON.stringify(bad),
      );
    assert.equal(
      codeOf(() => verifyNote(Buffer.from([0x68, 0xff, 0x0a, 0x0a]), key.verifierKey)),
      'malformed_note',
    );
  });
});

describe('tlog-checkpoint', () => {
  const key = generateLogKey('tyiym.kz/log');
  const root = rootFromLeaves([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);

  it('signs and verifies a checkpoint', () => {
    const note = signCheckpoint({ origin: key.name, size: 3, root }, key);
    assert.ok(note.startsWith(`tyiym.kz/log\n3\n${root.toString('base64')}\n\n\u2014 tyiym.kz/log `));
    assert.deepEqual(verifyCheckpoint(note, key.verifierKey), { origin: key.name, size: 3, root, extensions: [] });
    assert.deepEqual(verifyCheckpoint(note, parseVerifierKey(key.verifierKey), { origin: key.name }).size, 3);
    assert.equal(
      codeOf(() => verifyCheckpoint(note, key.verifierKey, { origin: 'elsewhere' })),
      'origin_mismatch',
    );
    assert.equal(
      codeOf(() => verifyCheckpoint(note, generateLogKey(key.name).verifierKey)),
      'no_signature',
    );
  });

  it('keeps extension lines', () => {
    const note = signCheckpoint({ origin: key.name, size: 3, root, extensions: ['ext one', 'two'] }, key);
    assert.deepEqual(verifyCheckpoint(note, key.verifierKey).extensions, ['ext one', 'two']);
  });

  it('fails when any byte of the signed checkpoint changes', () => {
    const bytes = Buffer.from(signCheckpoint({ origin: key.name, size: 3, root }, key), 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = (changed[i] as number) ^ 0x01;
      assert.notEqual(
        codeOf(() => verifyCheckpoint(changed, key.verifierKey)),
        'verified',
        `byte ${i}`,
      );
    }
  });

  it('refuses malformed checkpoint bodies', () => {
    const r = root.toString('base64');
    for (const bad of [
      `o\n3\n${r}`,
      `o\n3\n`,
      `\n3\n${r}\n`,
      `o\n03\n${r}\n`,
      `o\n-3\n${r}\n`,
      `o\n3.0\n${r}\n`,
      `o\n 3\n${r}\n`,
      `o\n9007199254740992\n${r}\n`,
      `o\n3\n${r.slice(0, -1)}\n`,
      `o\n3\n${Buffer.alloc(31).toString('base64')}\n`,
      `o\n3\n${r}\n\n`,
      `o\n3\n${r}\next\n\nmore\n`,
      `o\n0\n${r}\n`,
      `o\t\n3\n${r}\n`,
    ])
      assert.equal(
        codeOf(() => parseCheckpoint(bad)),
        'malformed_checkpoint',
        JSON.stringify(bad),
      );
    assert.equal(parseCheckpoint(`o\n0\n${emptyRoot().toString('base64')}\n`).size, 0);
    assert.equal(
      codeOf(() => formatCheckpoint({ origin: 'o\nx', size: 1, root })),
      'malformed_checkpoint',
    );
    assert.equal(
      codeOf(() => formatCheckpoint({ origin: 'o', size: 1, root, extensions: [''] })),
      'malformed_checkpoint',
    );
  });
});

describe('log keys', () => {
  it('round-trips through a seed, PEM and the note signer form', () => {
    const key = generateLogKey('tyiym.kz/log');
    const seed = exportLogKeySeed(key);
    assert.equal(Buffer.from(seed, 'base64').length, 32);
    assert.equal(loadLogKey(key.name, seed).verifierKey, key.verifierKey);
    assert.equal(loadLogKey(key.name, `${seed}\n`).verifierKey, key.verifierKey);
    assert.equal(loadLogKey(key.name, exportLogKeyPem(key)).verifierKey, key.verifierKey);
    assert.equal(logKeyFromSeed(key.name, Buffer.from(seed, 'base64')).keyId.toString('hex'), key.verifierKey.split('+')[1]);
  });

  it('refuses what is not an Ed25519 key for this name', () => {
    assert.throws(() => loadLogKey('x', 'not a key'));
    assert.throws(() => loadLogKey('x', Buffer.alloc(31).toString('base64')));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    assert.throws(() => loadLogKey('x', ec));
    assert.throws(() => loadLogKey('SomeoneElse', PN_SKEY));
    assert.throws(() => generateLogKey('has space'));
    assert.throws(() => generateLogKey('has+plus'));
  });
});
